// The GAN family: gan, dcgan, cgan (class label, condition vector or sentence) and infogan,
// one model class whose kind picks defaults and which parts exist (gan_config.hpp lists the
// keys, gan_nets.hpp the networks).
//
// fit (Goodfellow et al. 2014, with the non-saturating generator loss). Each batch of real
// x ∈ [0, 1] (scaled to [−1, 1]) and fresh z ~ N(0, I) makes one discriminator step
//   L_D = softplus(−D(x, c)) + softplus(D(G(z, c), c))           (mean over the batch)
// and every d_steps-th batch one generator step on the same fake images
//   L_G = softplus(−D(G(z, c), c))
// with two Adam optimisers (lr 2e-4, β1 0.5 by default). Both networks run in training mode
// (batch statistics); real and fake go through D in separate passes, as in the DCGAN paper's
// code. The generator step back-propagates through D without computing D's weight gradients.
//   cgan, text (Reed et al. 2016, GAN-CLS): the matching-aware discriminator also sees real
//     images with a wrong sentence (the batch's sentences rolled by one row):
//       L_D = softplus(−D(x, t)) + (1−w)·softplus(D(G(z, t), t)) + w·softplus(D(x, t̃)),
//     w = wrong_text_weight (½, the paper's). Sentences arrive as hashed word and bigram
//     counts (gm_text_features_compute); g.embed and d.embed learn their embeddings.
//     With text_match λ > 0 each step also adds λ · the softmax cross-entropy of the
//     sentence embedding scored against learned class prototypes (g.match for G's, d.match
//     for D's) against the image's label: Reed et al.'s sentence–class joint embedding.
//   infogan (Chen et al. 2016): G takes z and codes c (one-hot categorical, uniform
//     continuous); Q shares D's trunk and both steps add λ·L_info (info_loss in gan_losses.hpp):
//     the D step trains Q and the trunk, the G step the generator.
// D(x, c) = w·f(x) + ⟨V c, f(x)⟩ for a condition c: the projection discriminator (docs/gan.md).
// fit reports the summed L_D + L_G per example to the progress callback.
//
// sample: row r draws z (and infogan's codes, cgan's label when none is given) from
//   Rng(seed, r); the generator runs with its running statistics; values in [0, 1].
// decode: codes (N, latent_dim()) = z (and infogan's codes after it) → images; cgan takes
//   its condition from SampleOptions (labels or conditions) as sample does.
// encode: infogan only — Q's inference for real images: per categorical group the softmax
//   probabilities, then the continuous codes' means. gan, dcgan and cgan answer
//   unsupported (no latent inversion; see the README).
// log_prob: unsupported — an implicit model has no likelihood; `genmodels eval` measures it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/gan/gan_config.hpp"
#include "models/generative_model.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace gan {
struct Nets;
struct Scratch;
struct Widths;
}  // namespace gan
struct GanOptimisers;

class GanModel final : public ModelKind<GanModel>, public nn::SteppedTrainable {
 public:
  static uint32_t capability_bits(gan::Flavor flavor);

  GanModel(gan::Flavor flavor, const Json& config);
  ~GanModel() override;
  GanModel(GanModel&&) noexcept;
  GanModel& operator=(GanModel&&) noexcept;

  const char* kind() const override { return gan::flavor_name(cfg_.flavor); }
  uint32_t capabilities() const override { return capability_bits(cfg_.flavor); }
  bool trains_in_epochs() const override { return true; }
  bool draws_gaussian_latent() const override { return true; }
  const Json& config() const override { return config_; }

  // SteppedTrainable (public for tests).
  double train_batch(const DataView& batch, Rng& rng, int64_t step) override;
  std::vector<nn::Adam*> optimisers() override;
  bool trains_in_parallel() const override { return true; }
  void end_epoch(nn::EpochReport& report) override;
  // The two objectives on one batch with the noise of key, at the current parameters and
  // without any update: L_D (+ λ·L_info) with, if backward, its gradient in the
  // discriminator's (and Q's) part of parameter_store(); L_G (+ λ·L_info) likewise for the
  // generator. Both run the networks in training mode. For gradient checks.
  double discriminator_objective(const DataView& batch, uint64_t key, bool backward);
  double generator_objective(const DataView& batch, uint64_t key, bool backward);
  nn::ParameterStore& parameter_store();
  nn::ParamSpan discriminator_span();
  nn::ParamSpan generator_span();
  const nn::TrainReport& last_report() const { return report_; }
  // The mean discriminator and generator losses of the last completed epoch.
  double last_d_loss() const { return epoch_d_; }
  double last_g_loss() const { return epoch_g_; }
  // The mean losses of the last training iteration (L_G of the last generator step).
  double step_d_loss() const { return last_d_; }
  double step_g_loss() const { return last_g_; }
  const gan::Config& settings() const { return cfg_; }
  // Text: G's (generator) or D's sentence embeddings (n, embed) of n condition rows, as
  // training and sampling compute them (G's after text_norm). For tests (the matching loss
  // separates classes).
  void sentence_embedding(bool generator, int64_t n, const float* conditions, float* out) const;

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  int64_t do_latent_dim() const override;
  void do_decode(const DataView& codes, const SampleOptions& options, float* out) const override;
  int64_t do_encode_dim() const override { return cfg_.code_width(); }
  void do_encode(const DataView& data, const EvalOptions& options, float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  // G's input [z | c] for n rows: c is the one-hot label, the condition vector, the text
  // embedding of the hashed sentence (with text_augment μ + σ·ε, eps (n, embed)), or
  // infogan's codes.
  void generator_input(int64_t n, const float* z, const int32_t* labels, const float* conditions, const float* codes,
                       const float* eps, float* gin) const;
  // Values in [0, 1]; labels or conditions as the configuration needs; fills in the
  // fitted "classes" / "condition_dim".
  void check_fit_data(const DataView& data);
  // One iteration's pieces: the real batch scaled, noise, codes and conditions from key,
  // G's forward; then the D step's and the G step's losses (and gradients).
  gan::Widths widths(const DataView& batch) const;
  void prepare(const DataView& batch, uint64_t key);
  double discriminator_pass(const DataView& batch, bool backward);
  double generator_pass(const DataView& batch, bool backward);
  double info_term(const float* f, int64_t B, nn::SequentialWork& work, bool backward, bool weights);
  // text_match: λ · the sentence–class matching loss of G's (generator) or D's sentence
  // embeddings e (B, embed) against the batch's labels; with backward, the prototypes'
  // gradient is added to the store's and ∂/∂e added into de.
  double match_term(bool generator, const DataView& batch, const float* e, float* de, bool backward);
  // image_match: λ · the cross-entropy of d.classify over D's features f (B, F) against the
  // batch's labels; with backward ∂/∂f is added into df, and the head's gradient to the
  // store's when weights (the D step; the G step passes through it).
  double classify_term(const DataView& batch, const float* f, float* df, bool backward, bool weights);

  Json config_;
  gan::Config cfg_;
  std::unique_ptr<gan::Nets> nets_;
  std::unique_ptr<gan::Scratch> scratch_;
  std::unique_ptr<GanOptimisers> optimisers_;  // of the current fit
  nn::TrainReport report_;
  int threads_ = 1;
  double epoch_d_ = 0, epoch_g_ = 0, sum_d_ = 0, sum_g_ = 0, last_d_ = 0, last_g_ = 0;
  int64_t rows_d_ = 0, rows_g_ = 0;
};

}  // namespace gm
