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
// With lambda_identity λ_id > 0 (not the paper's; 0 by default), L_G also has
//     λ_id·mean|x − G(x, c′)|
// — a map to the domain an image is already in leaves it alone (CycleGAN's identity term in
// StarGAN's one-generator form; docs/gan.md, "Translation").
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
//     ∂L_gp/∂θ = Σ_b w_b · ∂/∂θ ⟨∇_x f_b(x̂_b; θ), v_b⟩,     w_b = 2(‖g_b‖ − 1)/B   (× λ_gp)
// D is convolutions and LeakyReLUs only (no normalisation), so around x̂ it is the affine map
// of its activation pattern: with s_i the LeakyReLU slopes (1 or 0.01) of stage i at x̂,
//     ⟨∇_x f(x̂; θ), v⟩ = Σ_p [W_src ∗ s_L ⊙ (W_L ∗ … s_1 ⊙ (W_1 ∗ v))]_p
// the "tangent network": D's convolutions without their biases and with the activations
// replaced by multiplication with the fixed slopes. The slopes change with θ only at kinks
// (a set of measure zero; their derivative is 0, as in PyTorch's double backward), so the
// θ-gradient of the directional derivative is an ordinary backward pass of the tangent
// network, with unit gradients on its P outputs. It is linear in v, so one pass on the B
// inputs u_b = λ_gp·w_b·v_b gives the whole sum: exact, and the cost of one more forward and
// backward of D on B images. (Biases get no gradient from it; the stage outputs of the pass
// on x̂ give the slopes, as LeakyReLU keeps the sign of its input.)
//   The first implementation used a central difference along v instead,
//     ∂/∂θ ⟨∇_x f_b, v_b⟩ ≈ [∇_θ f_b(x̂_b + h v_b) − ∇_θ f_b(x̂_b − h v_b)] / (2h),
// exact only where no LeakyReLU changes side between x̂ − h v and x̂ + h v. That holds for
// the tiny test networks (tests/models/test_stargan.cpp checks both ways against central
// differences of L_gp in θ there), but D at 28×28 (ndf 64) has ~19 000 LeakyReLUs per image:
// some always change side, each adds an error of order 1/h to its image's term, and the
// chance of a change falls only as fast as h does, until float rounding takes over. Measured
// on a batch of 16 with the default configuration, the differences for h = 1e-1 … 1e-5 were
// 34% to 500% away from the tangent network's gradient (relative L2 over all of D's
// parameters) and as far from one another. (At that size central differences of L_gp in θ
// are no reference either: a step of one weight moves some of the 300 000 activations of the
// batch across a kink and ‖g‖ jumps.) gradient_penalty(..., fd_step) keeps the difference.
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
  bool trains_in_parallel() const override { return true; }  // docs/distributed.md
  std::vector<nn::Adam*> optimisers() override;
  void end_epoch(nn::EpochReport& report) override;

  // For gradient checks: the objectives on one batch with the targets and ε of key, at the
  // current parameters, without any update. Each returns its value (a mean, as the header
  // writes it) and with backward sets its gradient in the network's part of
  // parameter_store() (zeroed first). discriminator_objective is L_D (with the penalty when
  // λ_gp > 0); gradient_penalty is λ_gp·L_gp alone; generator_objective is L_G.
  double discriminator_objective(const DataView& batch, uint64_t key, bool backward);
  // fd_step > 0 computes the penalty's gradient by the finite difference along v instead of
  // the tangent network (see above; for tests and comparisons).
  double gradient_penalty(const DataView& batch, uint64_t key, bool backward, float fd_step = 0.0f);
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
  double penalty_pass(int64_t B, bool backward, float fd_step);
  void fd_penalty_backward(int64_t B, const double* norm, const float* weight, float h);
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
