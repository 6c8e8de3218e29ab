// vae inference verbs: log_prob (the IWAE bound), encode, decode, sample. All const and
// thread-safe: activations live in per-call NetWork scratch, noise comes from per-example
// streams Rng(seed, row), so results do not depend on the thread count or on batching.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "models/vae.hpp"
#include "models/vae_math.hpp"
#include "models/vae_net.hpp"
#include "nn/compute.hpp"

namespace gm {

namespace {

constexpr int64_t kRows = 256;          // rows per encoder / decoder product
constexpr int64_t kSampleRows = 1024;   // latent samples per decoder product in log_prob
constexpr int64_t kMaxSamples = int64_t{1} << 24;
constexpr double kLog2Pi = 1.8378770664093454836;

inline float sigmoid(float l) { return 1.0f / (1.0f + std::exp(-l)); }

// log p(x | logits l) = Σ_d x_d l_d − softplus(l_d)   (per pixel in float, summed in double)
double bernoulli_log_lik(const float* l, const float* x, int64_t D) { return -vae::bce_row(l, x, D, nullptr, 0.0f); }

// log N(x; mean, e^{lv}) summed over pixels; inv_var = e^{−lv}.
double gaussian_log_lik(const float* mean, const float* x, const float* lv, const float* inv_var, int64_t D) {
  double s = 0.0;
  for (int64_t d = 0; d < D; ++d) {
    const float r = x[d] - mean[d];
    s += -0.5 * (kLog2Pi + lv[d] + static_cast<double>(r) * r * inv_var[d]);
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------- log_prob

void VaeModel::log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  require_fitted("log_prob");
  require_rows(data);
  check_data(data, options.threads);
  if (options.samples < 0 || options.samples > kMaxSamples)
    fail(Status::invalid_argument, "vae log_prob: samples must be in [0, {}] (0 = the default {}), got {}",
         kMaxSamples, cfg_.iwae_samples, options.samples);
  const int64_t k = options.samples > 0 ? options.samples : cfg_.iwae_samples;
  nn::ComputeScope scope(options.threads);
  const vae::VaeNet& net = *net_;
  const int64_t D = shape_.d, Z = cfg_.latent;
  // `group` rows share one decoder product (all their k samples); a row with k > kSampleRows
  // is a group of its own, decoded in several products.
  const int64_t group = std::max<int64_t>(1, kSampleRows / k);
  const int64_t block = group * std::max<int64_t>(1, kRows / group);
  const std::vector<float> lv_pix = pixel_logvar();
  std::vector<float> inv_var(lv_pix.size());
  for (std::size_t j = 0; j < lv_pix.size(); ++j) inv_var[j] = std::exp(-lv_pix[j]);

  vae::NetWork enc, dec;
  const int64_t batch_samples = std::min(group * k, kSampleRows);
  std::vector<float> z(static_cast<std::size_t>(batch_samples * Z));
  std::vector<double> log_w(static_cast<std::size_t>(group * k)), q_term(static_cast<std::size_t>(batch_samples));
  std::vector<Rng> rngs;

  for (int64_t b0 = 0; b0 < data.n; b0 += block) {
    const int64_t nb = std::min(block, data.n - b0);
    const float* head = net.encoder.forward(data.row(b0), nb, enc);  // (nb, 2Z) = [μ | λ]
    for (int64_t g0 = 0; g0 < nb; g0 += group) {
      const int64_t ng = std::min(group, nb - g0), S = ng * k;
      rngs.clear();
      for (int64_t r = 0; r < ng; ++r) rngs.emplace_back(options.seed, static_cast<uint64_t>(b0 + g0 + r));
      for (int64_t s0 = 0; s0 < S; s0 += kSampleRows) {
        const int64_t s1 = std::min(S, s0 + kSampleRows);
        // z = μ + σ ⊙ ε, and log p(z) − log q(z | x) = Σ_z ½ε² − ½z² + ½λ (the 2π terms cancel).
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < ng; ++r) {
          const float* mu = head + (g0 + r) * 2 * Z;
          const float* lv = mu + Z;
          for (int64_t s = std::max(s0, r * k); s < std::min(s1, (r + 1) * k); ++s) {
            float* zs = &z[(s - s0) * Z];
            double q = 0.0;
            for (int64_t j = 0; j < Z; ++j) {
              const double e = rngs[r].normal();
              zs[j] = static_cast<float>(mu[j] + std::exp(0.5 * lv[j]) * e);
              q += 0.5 * (e * e - static_cast<double>(zs[j]) * zs[j] + lv[j]);
            }
            q_term[s - s0] = q;
          }
        }
        const float* o = net.decoder.forward(z.data(), s1 - s0, dec);
#pragma omp parallel for schedule(static)
        for (int64_t s = s0; s < s1; ++s) {
          const float* x = data.row(b0 + g0 + s / k);
          const float* os = o + (s - s0) * D;
          const double ll = cfg_.gaussian ? gaussian_log_lik(os, x, lv_pix.data(), inv_var.data(), D)
                                          : bernoulli_log_lik(os, x, D);
          log_w[s] = k == 1 ? ll : ll + q_term[s - s0];
        }
      }
      for (int64_t r = 0; r < ng; ++r) {
        const double* w = &log_w[r * k];
        double result;
        if (k == 1) {
          // The ELBO as trained: one-sample reconstruction, KL in closed form.
          const float* mu = head + (g0 + r) * 2 * Z;
          const float* lv = mu + Z;
          double kl = 0.0;
          for (int64_t j = 0; j < Z; ++j)
            kl += -0.5 * (1.0 + lv[j] - static_cast<double>(mu[j]) * mu[j] - std::exp(static_cast<double>(lv[j])));
          result = w[0] - kl;
        } else {
          const double top = *std::max_element(w, w + k);
          double sum = 0.0;
          for (int64_t j = 0; j < k; ++j) sum += std::exp(w[j] - top);
          result = top + std::log(sum) - std::log(static_cast<double>(k));
        }
        out[b0 + g0 + r] = result;
      }
    }
  }
}

// ---------------------------------------------------------------- encode, decode, sample

void VaeModel::encode(const DataView& data, const EvalOptions& options, float* out) const {
  require_fitted("encode");
  require_rows(data);
  require_finite(data);
  nn::ComputeScope scope(options.threads);
  const int64_t width = 2 * cfg_.latent;
  vae::NetWork work;
  for (int64_t b0 = 0; b0 < data.n; b0 += kRows) {
    const int64_t nb = std::min(kRows, data.n - b0);
    const float* head = net_->encoder.forward(data.row(b0), nb, work);
    std::memcpy(out + b0 * width, head, static_cast<std::size_t>(nb * width) * sizeof(float));
  }
}

void VaeModel::decoder_output(const float* z, int64_t n, float* out) const {
  require_fitted("decode");
  const int64_t D = shape_.d, Z = cfg_.latent;
  vae::NetWork work;
  for (int64_t b0 = 0; b0 < n; b0 += kRows) {
    const int64_t nb = std::min(kRows, n - b0);
    const float* o = net_->decoder.forward(z + b0 * Z, nb, work);
    std::memcpy(out + b0 * D, o, static_cast<std::size_t>(nb * D) * sizeof(float));
  }
}

void VaeModel::decode(const DataView& codes, const SampleOptions& options, float* out) const {
  require_fitted("decode");
  validate_view(codes);
  if (codes.d != cfg_.latent)
    fail(Status::invalid_data, "vae decode: codes have {} values per row, the latent size is {}", codes.d,
         cfg_.latent);
  require_finite(codes);
  nn::ComputeScope scope(options.threads);
  decoder_output(codes.x, codes.n, out);
  if (!cfg_.gaussian) {
    const int64_t total = codes.n * shape_.d;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < total; ++i) out[i] = sigmoid(out[i]);
  }
}

void VaeModel::sample(int64_t n, const SampleOptions& options, float* out) const {
  require_fitted("sample");
  if (n < 0) fail(Status::invalid_argument, "vae sample: n must be >= 0, got {}", n);
  nn::ComputeScope scope(options.threads);
  const int64_t D = shape_.d, Z = cfg_.latent;
  const std::vector<float> lv_pix = pixel_logvar();
  vae::NetWork work;
  std::vector<float> z(static_cast<std::size_t>(std::min(kRows, n) * Z));
  std::vector<Rng> rngs;
  for (int64_t b0 = 0; b0 < n; b0 += kRows) {
    const int64_t nb = std::min(kRows, n - b0);
    rngs.clear();
    for (int64_t r = 0; r < nb; ++r) rngs.emplace_back(options.seed, static_cast<uint64_t>(b0 + r));
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < nb; ++r)
      for (int64_t j = 0; j < Z; ++j) z[r * Z + j] = static_cast<float>(rngs[r].normal());
    const float* o = net_->decoder.forward(z.data(), nb, work);
    // Each row continues its own stream: x ~ p(x | z), or the mean with sample_mean.
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < nb; ++r) {
      const float* l = o + r * D;
      float* x = out + (b0 + r) * D;
      Rng& rng = rngs[r];
      for (int64_t d = 0; d < D; ++d) {
        if (!cfg_.gaussian) {
          const float p = sigmoid(l[d]);
          x[d] = cfg_.sample_mean ? p : (rng.uniform_f() < p ? 1.0f : 0.0f);
        } else {
          x[d] = cfg_.sample_mean ? l[d] : l[d] + std::exp(0.5f * lv_pix[d]) * static_cast<float>(rng.normal());
        }
      }
    }
  }
}

}  // namespace gm
