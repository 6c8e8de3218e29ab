// vae — the variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational
// Bayes"), scored with the importance-weighted bound of Burda et al. 2015 ("Importance
// Weighted Autoencoders").
//
//   prior      p(z) = N(0, I_Z)
//   decoder    p(x | z): Bernoulli with logits f(z) (binary data), or Gaussian
//              N(f(z), diag e^{v}) with a per-pixel log-variance v (D) that is learned
//              (clamped below at min_logvar: a constant pixel would otherwise drive its
//              variance to 0 and the likelihood to +∞) or fixed (continuous data)
//   encoder    q(z | x) = N(μ(x), diag e^{λ(x)}),  [μ | λ] = g(x)
//   f, g       MLPs (ReLU hidden layers, widths "hidden", mirrored in the decoder) or, with
//              "architecture": "conv", strided 4×4 convolutions (stride 2, padding 1; each
//              halves H and W) in front of the MLP and transposed convolutions after it.
//
// fit maximises the ELBO  L(x) = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z))  with one
// reparameterised sample per example, z = μ + e^{λ/2} ⊙ ε, ε ~ N(0, I) (row r of a batch
// draws from Rng(u, r), u = the first 64 bits of the training step's Rng), the KL in closed form
// (−½ Σ 1 + λ − μ² − e^λ). Adam, lr 1e-3 by default; the trainer's batch (100 by default).
//
// log_prob(x) is the IWAE bound with k importance samples (k = EvalOptions.samples, 0 → the
// config's "iwae_samples", default 100):
//   log p(x) ≥ L_k(x) = log (1/k) Σ_j p(x | z_j) p(z_j) / q(z_j | x),  z_j ~ q(z | x),
// L_1 ≤ L_k ≤ L_{k+1} ≤ log p(x) in expectation. For k = 1 it returns the ELBO as trained
// (reconstruction term with one sample, KL in closed form): the figure PyTorch VAEs report.
// log p(x | z) is summed in double (over float partial sums of 256 pixels), and the log
// weights are combined by log-sum-exp in double. Example i draws its
// ε from the stream Rng(seed, i), so results do not depend on the thread count or on how
// rows are batched; the k samples of many examples go through the decoder together.
//
// encode(x) → (N, 2Z): the posterior mean μ (columns 0..Z−1), then its log-variance λ
//   (columns Z..2Z−1); any finite input is accepted (fit and log_prob of a Bernoulli
//   decoder need x ∈ {0, 1}: anything else is invalid_data, never a silent cast).
// decode(z) → (N, D): the decoder mean, σ(f(z)) or f(z).
// sample(n): z ~ N(0, I), then a draw x ~ p(x | z) — binary for Bernoulli, mean plus
//   Gaussian noise for Gaussian — or, with "sample_mean": true, the decoder mean.
//   Row r uses the stream Rng(seed, r).
//
// Parameters (saved under these names, F32; H_i = hidden widths, C_i = conv_channels):
//   mlp   enc.fc{i}.weight (H_i, H_{i−1}) .bias (H_i)   H_0 = D
//         enc.head.weight (2Z, H_n) .bias (2Z)          rows 0..Z−1 → μ, Z..2Z−1 → λ
//         dec.fc{i}.weight (H_{n+1−i}, ·) .bias          mirrored widths, H_{n+1} = Z
//         dec.out.weight (D, H_1) .bias (D)             logits or Gaussian mean
//         dec.logvar (D)                                Gaussian decoder with learned variance
//   conv  enc.conv{i}.weight (C_i, C_{i−1}, 4, 4) .bias before the MLP (C_0 = channels),
//         enc.fc{i}/enc.head as above with H_0 = C_L·(H/2^L)·(W/2^L);
//         dec.fc{i} mirrored, then dec.fc{n+1} → C_L·(H/2^L)·(W/2^L) with ReLU, then
//         dec.deconv{i}.weight (C_{L+1−i}, C_{L−i}, 4, 4) .bias, the last one to the image.
//
// Config keys: VaeModel::config_schema() in vae.cpp (unknown keys, and keys that do not
// apply, are invalid_config).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/generative_model.hpp"
#include "nn/buffer.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace vae {
class VaeNet;

// The values read from the configuration: the defaults live in the schema only
// (VaeModel::config_schema); read_config fills every field, the ones a key does not apply to
// (conv_channels for an MLP, the variance keys for a Bernoulli decoder) from the schema too.
struct Config {
  bool conv{};
  std::vector<int64_t> hidden;
  std::vector<int64_t> conv_channels;
  int64_t latent{};
  bool gaussian{};
  bool learn_variance{};
  float logvar{}, min_logvar{};
  int64_t iwae_samples{};
  bool sample_mean{};
  double weight_decay{};
};
}  // namespace vae

class VaeModel final : public ModelKind<VaeModel>, public nn::Trainable {
 public:
  // The default (Bernoulli) configuration's bits; capabilities() drops binary_data for a
  // Gaussian decoder.
  // The kind's one name: kind(), the registry and model files use it.
  static constexpr const char* kind_name = "vae";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_encode | cap_decode | cap_binary_data;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
  explicit VaeModel(const Json& config);
  ~VaeModel() override;
  VaeModel(VaeModel&&) noexcept;
  VaeModel& operator=(VaeModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override;
  bool trains_in_epochs() const override { return true; }
  bool draws_gaussian_latent() const override { return true; }
  const Json& config() const override { return config_; }

  const nn::TrainReport& last_report() const { return report_; }
  const vae::Config& settings() const { return cfg_; }

  // Trainable (public so tests can check the loss gradient as a whole). Both draw ε the
  // same way from rng, so a copy of one Rng reproduces the same noise in either.
  nn::ParameterStore& parameter_store() override;
  double train_step(const DataView& batch, Rng& rng) override;
  double evaluate(const DataView& batch, Rng& rng) override;
  // evaluate's negative ELBO split per row: rec (B) = −log p(x | z), kl (B) = KL(q ‖ p).
  double negative_elbo(const DataView& batch, Rng& rng, double* rec, double* kl);
  // The raw decoder output for codes z (n, Z) → (n, D): logits (Bernoulli) or means.
  void decoder_output(const float* z, int64_t n, float* out) const;
  // The per-pixel log-variance the Gaussian decoder uses (D), clamped; empty for Bernoulli.
  std::vector<float> pixel_logvar() const;

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  int64_t do_encode_dim() const override { return 2 * cfg_.latent; }
  void do_encode(const DataView& data, const EvalOptions& options, float* out) const override;
  int64_t do_latent_dim() const override { return cfg_.latent; }
  void do_decode(const DataView& codes, const SampleOptions& options, float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  double elbo_pass(const DataView& batch, Rng& rng, bool backward, double* rec, double* kl);
  // Bernoulli: every value 0 or 1; Gaussian: finite.
  void check_data(const DataView& data, int threads) const;
  void fill_pixel_logvar(float* v) const;  // (D)

  // Training scratch, sized once per batch size (Buffers only grow).
  struct Scratch;

  Json config_;
  vae::Config cfg_;
  std::unique_ptr<vae::VaeNet> net_;
  std::unique_ptr<Scratch> scratch_;
  nn::TrainReport report_;
};

}  // namespace gm
