// Progressive GAN (Karras et al. 2018, "Progressive Growing of GANs for Improved Quality,
// Stability, and Variation"): G and D grow together from a low resolution to the data's, one
// stage (a doubling of the side) at a time; each new block fades in with α going 0 → 1, then
// trains at α = 1 (progan_schedule.hpp). The networks are in progan_nets.hpp (pixel norm in G,
// minibatch stddev in D's last block, equalised learning rate everywhere, toRGB / fromRGB 1×1
// convolutions per stage, nearest upsampling, average-pool downsampling), the keys in
// progan_config.hpp.
//
// Data: square images in [0, 1] (28×28: stages 7, 14, 28; 32×32: 4 … 32; 64×64: 4 … 64),
// scaled to [−1, 1] inside; G's output is linear (the paper's), and samples are clamped back
// into [0, 1]. At stage s the real batch is average-pooled down to side b·2^s and, during a
// fade, blended as the paper does: x ← α·x + (1 − α)·up(pool(x)), so D sees real images as
// blurred as G's blended output.
//
// fit: per batch of B real images x (the schedule's phase from the images shown before it),
// latents z ~ N(0, I) from the step's stream, x̃ = G(z) detached, then
//   discriminator step:
//     L_D = mean D(x̃) − mean D(x) + ε_drift·mean D(x)² + λ·(1/B) Σ_b (‖∇_{x̂_b} Σ_b′ D(x̂)_b′‖ − 1)²
//     with x̂_b = ε_b x_b + (1 − ε_b) x̃_b, ε_b ~ U(0, 1); λ 10, ε_drift 0.001 (the paper's
//     WGAN-GP and drift term; the official code's sum over the batch inside the gradient, as
//     the minibatch stddev couples the images)
//   generator step, on fresh latents z′ through the updated D:  L_G = −mean D(G(z′))
// Adam lr 1e-3, β (0, 0.99), ε 1e-8 for both (the paper), n_critic 1. With gp_every = k > 1
// (lazy regularisation, StyleGAN2) the penalty term is in L_D only on global steps 1, 1 + k,
// …, weighted k·λ there; the objectives below (discriminator_objective, gradient_penalty)
// are always the every-step L_D and λ·L_gp. The optimisers run over
// every stage's parameters from the start: a block not yet grown gets zero gradients, and
// Adam with β1 = 0 moves nothing on a zero gradient. (The official code also resets Adam's
// moments at every phase change; here they carry on, which a resumed fit keeps exactly.)
// The penalty's parameter gradient is exact, by the tangent pass of progan_tangent.hpp.
//
// The images shown so far are the model's growth state: a tensor of the model file
// ("progress.images", i64), so a saved model samples at its stage and α, and a checkpoint
// taken mid-fade resumes at the same stage and α (the trainer restores the rest).
//
// sample: G(z) at the current stage and α, z from (seed, row); with SampleOptions::stage = k
// (1 = the lowest resolution) at a stage already reached (α = 1 below the current one). The
// rows are always the data's width: a lower stage's images are upsampled (nearest) to the
// data's side, so every k×k block of a stage-k image is one pixel of it. decode(z) is the same
// at the given latents (z is pixel-normalised first, as in sampling).
// log_prob, encode, complete, translate: unsupported (unsupported_why says why).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/generative_model.hpp"
#include "models/progan/progan_config.hpp"
#include "models/progan/progan_schedule.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace progan {
struct Nets;
struct Scratch;
struct Optimisers;
}  // namespace progan

class ProGanModel final : public ModelKind<ProGanModel>, public nn::SteppedTrainable {
 public:
  static constexpr const char* kind_name = "progan";
  static constexpr uint32_t capability_bits = cap_fit | cap_sample | cap_decode;
  static const Schema& config_schema() { return progan::schema(); }

  explicit ProGanModel(const Json& config);
  ~ProGanModel() override;
  ProGanModel(ProGanModel&&) noexcept;
  ProGanModel& operator=(ProGanModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  bool trains_in_epochs() const override { return true; }
  bool samples_at_stages() const override { return true; }
  Json growth() const override;
  const Json& config() const override { return config_; }

  // SteppedTrainable (public for tests).
  double train_batch(const DataView& batch, Rng& rng, int64_t step) override;
  bool trains_in_parallel() const override { return true; }  // docs/distributed.md
  bool reads_shards() const override { return false; }       // docs/distributed.md, "Sharded reading"
  // A rank of a distributed fit trains on whole minibatch-stddev groups (b mod M, M the
  // batch's group count, in the rank's dist::slice_of of the M groups), in batch order: the
  // groups, and so D's statistic, are those of one process.
  void rank_rows(int64_t count, int rank, int size, std::vector<int64_t>& positions) const override;
  std::vector<nn::Adam*> optimisers() override;
  void end_epoch(nn::EpochReport& report) override;

  // Growth: the stages the data's side gives, the real images shown so far, and the phase
  // (stage from 0, α) they put the networks in.
  int64_t stages() const;
  int64_t images_seen() const;  // 0 before a fit
  progan::Phase phase() const;

  // For gradient checks: the objectives on one batch at phase ph, with the latents and ε of
  // key, at the current parameters, without any update. Each returns its value and with
  // backward sets its gradient in the network's part of parameter_store() (zeroed first).
  // discriminator_objective is L_D (with the penalty when λ > 0); gradient_penalty is
  // λ·L_gp alone; generator_objective is L_G.
  double discriminator_objective(const DataView& batch, progan::Phase ph, uint64_t key, bool backward);
  double gradient_penalty(const DataView& batch, progan::Phase ph, uint64_t key, bool backward);
  double generator_objective(const DataView& batch, progan::Phase ph, uint64_t key, bool backward);
  // G's output at phase ph for latents z (n, Z), in G's own range (no clamping), at the
  // stage's side: for the fade-in test.
  std::vector<float> generate(const float* z, int64_t n, progan::Phase ph);
  nn::ParameterStore& parameter_store();
  nn::ParamSpan discriminator_span();
  nn::ParamSpan generator_span();
  const nn::TrainReport& last_report() const { return report_; }
  double last_d_loss() const { return epoch_d_; }
  double last_g_loss() const { return epoch_g_; }
  const progan::Config& settings() const { return cfg_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  int64_t do_latent_dim() const override { return cfg_.latent; }
  void do_decode(const DataView& codes, const SampleOptions& options, float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  void check_fit_data(const DataView& data) const;
  progan::Phase sample_phase(int64_t stage) const;
  void generate_rows(const float* z, int64_t n, progan::Phase ph, float* out) const;
  // The batch at phase ph: real images at the stage's side, latents and ε from key, x̃ = G(z).
  void prepare(const DataView& batch, progan::Phase ph, uint64_t key);
  // lambda: the penalty's weight in this pass (0: none; train_batch's lazy λ·k or 0).
  double discriminator_pass(int64_t B, bool backward, double lambda);
  double penalty_pass(int64_t B, bool backward, double lambda);
  double generator_pass(int64_t B, bool backward);

  Json config_;
  progan::Config cfg_;
  std::unique_ptr<progan::Nets> nets_;
  std::unique_ptr<progan::Scratch> scratch_;
  std::unique_ptr<progan::Optimisers> optimisers_;  // of the current fit
  nn::TrainReport report_;
  int threads_ = 1;
  double epoch_d_ = 0, epoch_g_ = 0, sum_d_ = 0, sum_g_ = 0;
  int64_t rows_d_ = 0, rows_g_ = 0;
  // A distributed fit's step: the batch positions of the block's rows (their noise streams);
  // empty = rows 0..B−1.
  std::vector<int64_t> positions_;
};

}  // namespace gm
