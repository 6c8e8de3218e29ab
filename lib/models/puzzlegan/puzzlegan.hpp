// Puzzle-GAN (Lee et al. 2018, "Unsupervised holistic image generation from key local
// patches", ECCV): a whole image from a few of its parts. The networks are in
// puzzlegan_nets.hpp, the patch handling in puzzlegan_parts.hpp, the keys in
// puzzlegan_config.hpp; docs/gan.md ("Whole images from parts") says what differs from the paper.
//
// Data: square images C×S×S in [0, 1] (S a multiple of 4), scaled to [−1, 1] inside; outputs
// come back in [0, 1]. No labels.
//
// The parts. Each of k key patches p_j (C×P×P) is placed on its own canvas at its position
// (top, left) with a mask channel m_j (puzzlegan_parts.hpp): the encoder knows where each part
// is, so the generator has to fill in the image around parts that stay where they were (the
// verb gm_model_complete_from_parts takes the positions). The shared encoder E maps each
// canvas to a code, averaged over the parts: h = (1/k) Σ_j E(canvas_j).
//
// fit: per batch of images x, K = `parts` positions per image drawn uniformly from [0, S − P]²
// (the step's stream; the paper's key-part detectors replaced by random patches, the
// unsupervised simplification), patches p_j cut from x there, u = ∪_j m_j their mask, noise
// z ~ N(0, I_N) per image, x̃ = G(h, z). Least-squares adversarial losses (LSGAN, Mao et al.
// 2017; the paper trains with WGAN-GP — LSGAN needs no double backward and is what cyclegan
// already uses), "mean" over the batch and D's (S/4)² patch scores:
//   discriminator step, every batch:   L_D = ½·mean (D(x) − 1)² + ½·mean D(x̃)²
//   generator step (E, M, G), every batch, on the same x̃ through the updated D:
//     L_G = ½·mean (D(x̃) − 1)²                                  adversarial
//         + λ_mask · mean BCE(M(h), u)                          mask prediction (per pixel)
//         + λ_app  · mean_b (1/(K C P²)) Σ_j ‖x̃_b − p_bj‖₁ over patch j's square   appearance
//         + λ_rec  · mean |x̃ − x|                               whole-image reconstruction
// λ_mask 1, λ_app 10, λ_rec 1; Adam 2e-4, β (0.5, 0.999) for both sides. The mask term makes
// the averaged code keep where the parts lie (M reads it back); the appearance term asks the
// generated image to show the patches where they were; the reconstruction term (the paper
// has one too) ties the rest to the source image, which the noise then varies around.
// The L1 terms are on the [−1, 1] scale (an L1 of 0.1 there is 0.05 in [0, 1]).
//
// complete_from_parts: G(h, z) with z ~ N(0, I) from (seed, row); k may differ from K (the
// mean over parts takes any k ≥ 1), although the networks saw K parts in training. Per call
// buffers, so a model completes on many threads at once.
// sample, log_prob, encode, decode, complete, translate: unsupported (unsupported_why says why).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/generative_model.hpp"
#include "models/puzzlegan/puzzlegan_config.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace puzzlegan {
struct Nets;
struct Scratch;
struct Optimisers;
}  // namespace puzzlegan

class PuzzleGanModel final : public ModelKind<PuzzleGanModel>, public nn::SteppedTrainable {
 public:
  static constexpr const char* kind_name = "puzzlegan";
  static constexpr uint32_t capability_bits = cap_fit | cap_complete_from_parts;
  static const Schema& config_schema() { return puzzlegan::schema(); }

  explicit PuzzleGanModel(const Json& config);
  ~PuzzleGanModel() override;
  PuzzleGanModel(PuzzleGanModel&&) noexcept;
  PuzzleGanModel& operator=(PuzzleGanModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  bool trains_in_epochs() const override { return true; }
  bool draws_gaussian_latent() const override { return true; }
  const Json& config() const override { return config_; }

  // SteppedTrainable (public for tests).
  double train_batch(const DataView& batch, Rng& rng, int64_t step) override;
  bool trains_in_parallel() const override { return true; }  // docs/distributed.md
  std::vector<nn::Adam*> optimisers() override;
  void end_epoch(nn::EpochReport& report) override;

  // For gradient checks: the objectives on one batch with the positions and noise of key, at
  // the current parameters, without an update. Each returns its value (a mean, as above) and
  // with backward sets its gradient in its side's part of parameter_store() (zeroed first).
  double discriminator_objective(const DataView& batch, uint64_t key, bool backward);
  double generator_objective(const DataView& batch, uint64_t key, bool backward);
  // The terms of the last generator_objective, unweighted: adversarial, mask, appearance (on
  // the [−1, 1] scale), reconstruction.
  struct Terms {
    double adversarial = 0, mask = 0, appearance = 0, reconstruction = 0;
  };
  const Terms& last_terms() const { return terms_; }
  nn::ParameterStore& parameter_store();
  nn::ParamSpan discriminator_span();
  nn::ParamSpan generator_span();
  const nn::TrainReport& last_report() const { return report_; }
  const puzzlegan::Config& settings() const { return cfg_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  int64_t do_parts_patch_size() const override { return cfg_.patch_size; }
  void do_complete_from_parts(const DataView& patches, const int64_t* positions, int64_t k,
                              const SampleOptions& options, float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  void check_fit_data(const DataView& data) const;
  // The batch scaled, positions, patches, canvases, masks and noise from key; h and x̃.
  void prepare(const DataView& batch, uint64_t key);
  double discriminator_pass(int64_t B, bool backward);
  double generator_pass(int64_t B, bool backward);

  Json config_;
  puzzlegan::Config cfg_;
  std::unique_ptr<puzzlegan::Nets> nets_;
  std::unique_ptr<puzzlegan::Scratch> scratch_;
  std::unique_ptr<puzzlegan::Optimisers> optimisers_;  // of the current fit
  nn::TrainReport report_;
  Terms terms_;
  int threads_ = 1;
  double sum_d_ = 0, sum_g_ = 0;
  int64_t rows_ = 0;
};

}  // namespace gm
