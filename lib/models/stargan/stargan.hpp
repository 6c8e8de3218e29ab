// StarGAN (Choi et al. 2018): one generator G(x, c) that translates an image x into any of K
// domains c, trained on unpaired images whose labels are their domains, with a discriminator
// that both scores realness (a patch map D_src) and classifies the domain (D_cls). The
// networks are in stargan_nets.hpp, the keys in stargan_config.hpp.
//
// Data: values in [0, 1], scaled to [−1, 1] inside (translations come back in [0, 1]); the
// labels (gm_data.labels) are the domains, K = max(num_classes, largest label + 1) ≥ 2.
//
// fit: per batch (x, its domains c′), a target c per row drawn uniformly among the K domains
// from the step's stream (StarGAN's code permutes the batch's labels instead; uniform draws
// give every domain the same share whatever the batch holds), x̃ = G(x, c), then
//   discriminator step, every batch:
//     L_D = −mean D_src(x) + mean D_src(x̃) + λ_cls·CE(D_cls(x), c′) + λ_gp·L_gp
//   generator step, every d_steps-th batch (n_critic, 5), on the same x̃ through the updated D:
//     L_G = −mean D_src(x̃) + λ_cls·CE(D_cls(x̃), c) + λ_rec·mean|x − G(x̃, c′)|
// "mean D_src" is over the batch and the P = m² scores of the patch map; CE is the softmax
// cross-entropy, mean over the batch; the L1 mean is over all B·C·S·S values (PyTorch's
// L1Loss). λ_cls 1, λ_rec 10, λ_gp 10; Adam lr 1e-4, β (0.5, 0.999) for both networks.
// fit reports L_D (+ L_G on a generator step) per example to the progress callback, and the
// epoch means of both to the epoch report.
//
// The gradient penalty (WGAN-GP, Gulrajani et al. 2017), as StarGAN's code has it: per image
// b, x̂_b = ε_b x_b + (1 − ε_b) x̃_b with ε_b ~ U(0, 1) and x̃ detached (no gradient to G),
//     f_b(x; θ) = Σ_p D_src(x; θ)_p              (the code's grad_outputs = ones: a sum over
//     g_b = ∇_x f_b(x̂_b; θ)                       the patch map, not a mean)
//     L_gp = (1/B) Σ_b (‖g_b‖₂ − 1)²
// Its gradient in D's parameters θ needs ∂g/∂θ, a double backward, which the layer kit does
// not have. With v_b = g_b / ‖g_b‖ held fixed (it is the derivative of the norm):
//     ∂L_gp/∂θ = (1/B) Σ_b 2(‖g_b‖ − 1) · ∂/∂θ ⟨∇_x f_b(x̂_b; θ), v_b⟩
// and the directional derivative is a central difference along v_b,
//     ⟨∇_x f_b(x̂; θ), v⟩ = [f_b(x̂ + h v; θ) − f_b(x̂ − h v; θ)] / (2h),
// so its θ-gradient is [∇_θ f_b(x̂ + h v) − ∇_θ f_b(x̂ − h v)] / (2h): one ordinary backward
// pass over the 2B images x̂ ± h v with every patch score's output gradient
// ±λ_gp · 2(‖g_b‖ − 1) / (B · 2h). D has no normalisation and only convolutions and
// LeakyReLUs, so f_b is piecewise affine in x: the difference is exact (up to rounding) when
// no LeakyReLU input changes sign between x̂ − h v and x̂ + h v, and it is wrong only for the
// images where one does. h = kGpStep = 1e-3, the L2 length of the step in the [−1, 1] image
// space (per pixel about 1e-3/√(C·S·S): 4e-5 at 28×28, 1.6e-4 at 8×8): small, so that a sign
// change along the segment is rare (its chance grows with h, and the error it brings is of
// order 1/h for that image), and large enough that float rounding stays small: the
// perturbation of a pixel is still ~1000× its float spacing, and the difference of the two
// θ-gradients is ~2h·|∂²f/∂θ∂x| against float errors of ~1e-7·|∂f/∂θ|, a relative error of
// order 1e-4. tests/models/test_stargan.cpp checks the result against central differences
// of L_gp itself in θ.
//
// translate: G(x, target) with the target's one-hot planes; deterministic (no noise, the seed
// is unused); one thread's buffers per call, so a model translates on many threads at once.
// sample, encode, decode, log_prob, complete: unsupported (unsupported_why says why).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/generative_model.hpp"
#include "models/stargan/stargan_config.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace stargan {
struct Nets;
struct Scratch;
struct Optimisers;
inline constexpr float kGpStep = 1e-3f;  // h of the gradient penalty's difference
}  // namespace stargan

class StarGanModel final : public ModelKind<StarGanModel>, public nn::SteppedTrainable {
 public:
  static constexpr const char* kind_name = "stargan";
  static constexpr uint32_t capability_bits = cap_fit | cap_translate;
  static const Schema& config_schema() { return stargan::schema(); }

  explicit StarGanModel(const Json& config);
  ~StarGanModel() override;
  StarGanModel(StarGanModel&&) noexcept;
  StarGanModel& operator=(StarGanModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  bool trains_in_epochs() const override { return true; }
  const Json& config() const override { return config_; }

  // SteppedTrainable (public for tests).
  double train_batch(const DataView& batch, Rng& rng, int64_t step) override;
  std::vector<nn::Adam*> optimisers() override;
  void end_epoch(nn::EpochReport& report) override;

  // For gradient checks: the objectives on one batch with the targets and ε of key, at the
  // current parameters, without any update. Each returns its value (a mean, as the header
  // writes it) and with backward sets its gradient in the network's part of
  // parameter_store() (zeroed first). discriminator_objective is L_D (with the penalty when
  // λ_gp > 0); gradient_penalty is λ_gp·L_gp alone; generator_objective is L_G.
  double discriminator_objective(const DataView& batch, uint64_t key, bool backward);
  double gradient_penalty(const DataView& batch, uint64_t key, bool backward);
  double generator_objective(const DataView& batch, uint64_t key, bool backward);
  nn::ParameterStore& parameter_store();
  nn::ParamSpan discriminator_span();
  nn::ParamSpan generator_span();
  const nn::TrainReport& last_report() const { return report_; }
  double last_d_loss() const { return epoch_d_; }
  double last_g_loss() const { return epoch_g_; }
  const stargan::Config& settings() const { return cfg_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  std::vector<std::string> do_domain_names() const override;
  void do_translate(const DataView& x, const int32_t* target, const TranslateOptions& options,
                    float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  void check_fit_data(const DataView& data);
  // The batch scaled, targets and ε from key, x̃ = G(x, c).
  void prepare(const DataView& batch, uint64_t key);
  double discriminator_pass(const DataView& batch, bool backward);
  double penalty_pass(int64_t B, bool backward);
  double generator_pass(const DataView& batch, bool backward);

  Json config_;
  stargan::Config cfg_;
  std::unique_ptr<stargan::Nets> nets_;
  std::unique_ptr<stargan::Scratch> scratch_;
  std::unique_ptr<stargan::Optimisers> optimisers_;  // of the current fit
  nn::TrainReport report_;
  int threads_ = 1;
  double epoch_d_ = 0, epoch_g_ = 0, sum_d_ = 0, sum_g_ = 0;
  int64_t rows_d_ = 0, rows_g_ = 0;
};

}  // namespace gm
