// vae inference verbs: log_prob (the IWAE bound), encode, decode, sample. All const and
// thread-safe: activations live in per-call scratch, noise comes from per-example streams
// Rng(seed, row).
//
// Parallel over tiles of rows, each tile on one thread with single-threaded products. A
// tile's rows are fixed by the row index (and k), never by the thread count, so results are
// bit-identical for any thread count. (Letting oneDNN split one big product over threads
// does not give that: on AVX2 its per-thread row blocks end in tail kernels that round
// differently, and a row at a block edge changed in the last bit between 1 and 2 threads.)
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "models/vae.hpp"
#include "models/vae_net.hpp"
#include "nn/bce_row.hpp"
#include "nn/tiles.hpp"

namespace gm {

namespace {

constexpr int64_t kRows = 256;                     // rows per tile in encode, decode, sample
constexpr int64_t kSampleRows = 1024;              // latent samples per decoder product in log_prob
constexpr int64_t kMaxSamples = int64_t{1} << 20;  // log weights of one row: 8 MiB
constexpr double kLog2Pi = 1.8378770664093454836;

inline float sigmoid(float l) { return 1.0f / (1.0f + std::exp(-l)); }

// log p(x | logits l) = Σ_d x_d l_d − softplus(l_d)   (per pixel in float, summed in double)
double bernoulli_log_lik(const float* l, const float* x, int64_t D) { return -nn::bce_row(l, x, D, nullptr, 0.0f); }

// log N(x; mean, e^{lv}) summed over pixels; inv_var = e^{−lv}.
double gaussian_log_lik(const float* mean, const float* x, const float* lv, const float* inv_var, int64_t D) {
  double s = 0.0;
  for (int64_t d = 0; d < D; ++d) {
    const float r = x[d] - mean[d];
    s += -0.5 * (kLog2Pi + lv[d] + static_cast<double>(r) * r * inv_var[d]);
  }
  return s;
}

struct RowsWork {
  nn::SequentialWork net;
  std::vector<float> z;
  std::vector<Rng> rngs;
};

struct BoundWork {
  nn::SequentialWork enc, dec;
  std::vector<float> z;
  std::vector<double> log_w, q_term;
  std::vector<Rng> rngs;
};

}  // namespace

// ---------------------------------------------------------------- log_prob

void VaeModel::do_log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  check_data(data, options.threads);
  if (options.samples > kMaxSamples)
    fail(Status::invalid_argument, "vae log_prob: samples must be in [0, {}] (0 = the default {}), got {}", kMaxSamples,
         cfg_.iwae_samples, options.samples);
  const int64_t k = options.samples > 0 ? options.samples : cfg_.iwae_samples;
  const vae::VaeNet& net = *net_;
  const int64_t D = shape_.d, Z = cfg_.latent;
  const std::vector<float> lv_pix = pixel_logvar();
  std::vector<float> inv_var(lv_pix.size());
  for (std::size_t j = 0; j < lv_pix.size(); ++j) inv_var[j] = std::exp(-lv_pix[j]);
  // A tile is `group` rows whose k samples share one decoder product; a row with
  // k > kSampleRows is a tile of its own, decoded in several products.
  const int64_t group = std::max<int64_t>(1, kSampleRows / k);

  nn::for_tiles<BoundWork>((data.n + group - 1) / group, [&](int64_t t, BoundWork& w) {
    const int64_t r0 = t * group, ng = std::min(group, data.n - r0), S = ng * k;
    const float* head = net.encoder.forward_infer(data.row(r0), ng, w.enc);  // (ng, 2Z) = [μ | λ]
    w.rngs.clear();
    for (int64_t r = 0; r < ng; ++r) w.rngs.emplace_back(options.seed, static_cast<uint64_t>(r0 + r));
    w.log_w.resize(static_cast<std::size_t>(S));
    w.z.resize(static_cast<std::size_t>(std::min(S, kSampleRows) * Z));
    w.q_term.resize(static_cast<std::size_t>(std::min(S, kSampleRows)));
    for (int64_t s0 = 0; s0 < S; s0 += kSampleRows) {
      const int64_t s1 = std::min(S, s0 + kSampleRows);
      // z = μ + σ ⊙ ε, and log p(z) − log q(z | x) = Σ_z ½ε² − ½z² + ½λ (the 2π terms cancel).
      // Samples in order, so each row's stream is read in order.
      for (int64_t s = s0; s < s1; ++s) {
        const float* mu = head + (s / k) * 2 * Z;
        const float* lv = mu + Z;
        float* zs = &w.z[(s - s0) * Z];
        double q = 0.0;
        for (int64_t j = 0; j < Z; ++j) {
          const double e = w.rngs[s / k].normal();
          zs[j] = static_cast<float>(mu[j] + std::exp(0.5 * lv[j]) * e);
          q += 0.5 * (e * e - static_cast<double>(zs[j]) * zs[j] + lv[j]);
        }
        w.q_term[s - s0] = q;
      }
      const float* o = net.decoder.forward_infer(w.z.data(), s1 - s0, w.dec);
      for (int64_t s = s0; s < s1; ++s) {
        const float* x = data.row(r0 + s / k);
        const float* os = o + (s - s0) * D;
        const double ll =
            cfg_.gaussian ? gaussian_log_lik(os, x, lv_pix.data(), inv_var.data(), D) : bernoulli_log_lik(os, x, D);
        w.log_w[s] = k == 1 ? ll : ll + w.q_term[s - s0];
      }
    }
    for (int64_t r = 0; r < ng; ++r) {
      const double* lw = &w.log_w[r * k];
      if (k == 1) {
        // The ELBO as trained: one-sample reconstruction, KL in closed form.
        const float* mu = head + r * 2 * Z;
        const float* lv = mu + Z;
        double kl = 0.0;
        for (int64_t j = 0; j < Z; ++j)
          kl += -0.5 * (1.0 + lv[j] - static_cast<double>(mu[j]) * mu[j] - std::exp(static_cast<double>(lv[j])));
        out[r0 + r] = lw[0] - kl;
      } else {
        const double top = *std::max_element(lw, lw + k);
        double sum = 0.0;
        for (int64_t j = 0; j < k; ++j) sum += std::exp(lw[j] - top);
        out[r0 + r] = top + std::log(sum) - std::log(static_cast<double>(k));
      }
    }
  });
}

// ---------------------------------------------------------------- encode, decode, sample

void VaeModel::do_encode(const DataView& data, const EvalOptions&, float* out) const {
  require_finite(data);
  const int64_t width = 2 * cfg_.latent;
  nn::for_tiles<RowsWork>((data.n + kRows - 1) / kRows, [&](int64_t t, RowsWork& w) {
    const int64_t r0 = t * kRows, nb = std::min(kRows, data.n - r0);
    const float* head = net_->encoder.forward_infer(data.row(r0), nb, w.net);
    std::memcpy(out + r0 * width, head, static_cast<std::size_t>(nb * width) * sizeof(float));
  });
}

void VaeModel::decoder_output(const float* z, int64_t n, float* out) const {
  require_fitted("decode");
  const int64_t D = shape_.d, Z = cfg_.latent;
  nn::for_tiles<RowsWork>((n + kRows - 1) / kRows, [&](int64_t t, RowsWork& w) {
    const int64_t r0 = t * kRows, nb = std::min(kRows, n - r0);
    const float* o = net_->decoder.forward_infer(z + r0 * Z, nb, w.net);
    std::memcpy(out + r0 * D, o, static_cast<std::size_t>(nb * D) * sizeof(float));
  });
}

void VaeModel::do_decode(const DataView& codes, const SampleOptions&, float* out) const {
  decoder_output(codes.x, codes.n, out);
  if (!cfg_.gaussian) {
    const int64_t total = codes.n * shape_.d;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < total; ++i) out[i] = sigmoid(out[i]);
  }
}

void VaeModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const int64_t D = shape_.d, Z = cfg_.latent;
  const std::vector<float> lv_pix = pixel_logvar();
  nn::for_tiles<RowsWork>((n + kRows - 1) / kRows, [&](int64_t t, RowsWork& w) {
    const int64_t r0 = t * kRows, nb = std::min(kRows, n - r0);
    w.rngs.clear();
    w.z.resize(static_cast<std::size_t>(nb * Z));
    for (int64_t r = 0; r < nb; ++r) {
      w.rngs.emplace_back(options.seed, static_cast<uint64_t>(r0 + r));
      for (int64_t j = 0; j < Z; ++j) w.z[r * Z + j] = static_cast<float>(w.rngs[r].latent_normal(options.truncation));
    }
    const float* o = net_->decoder.forward_infer(w.z.data(), nb, w.net);
    // Each row continues its own stream: x ~ p(x | z), or the mean with sample_mean.
    for (int64_t r = 0; r < nb; ++r) {
      const float* l = o + r * D;
      float* x = out + (r0 + r) * D;
      Rng& rng = w.rngs[r];
      for (int64_t d = 0; d < D; ++d) {
        if (!cfg_.gaussian) {
          const float p = sigmoid(l[d]);
          x[d] = cfg_.sample_mean ? p : (rng.uniform_f() < p ? 1.0f : 0.0f);
        } else {
          x[d] = cfg_.sample_mean ? l[d] : l[d] + std::exp(0.5f * lv_pix[d]) * static_cast<float>(rng.normal());
        }
      }
    }
  });
}

}  // namespace gm
