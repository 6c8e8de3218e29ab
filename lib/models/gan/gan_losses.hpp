// The GAN family's losses on per-row outputs, as plain loops (B is a batch, a few hundred
// values). Each returns the summed loss and writes the gradient of weight · sum / B.
#pragma once

#include <cmath>
#include <cstdint>

namespace gm::gan {

// log(1 + e^x), stable for large |x|.
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// Binary cross-entropy of one logit per row against a constant target t ∈ {0, 1}:
//   loss = Σ_r softplus(l_r) − t·l_r   (t = 1: softplus(−l), the non-saturating G loss)
//   ∂/∂l_r = weight · (σ(l_r) − t) / B
inline double bce_logit_const(const float* l, int64_t B, float t, float weight, float* dl) {
  double total = 0;
  for (int64_t r = 0; r < B; ++r) {
    total += softplus(l[r]) - t * static_cast<double>(l[r]);
    if (dl) dl[r] = weight * (1.0f / (1.0f + std::exp(-l[r])) - t) / static_cast<float>(B);
  }
  return total;
}

// InfoGAN's variational bound on the mutual information, as a loss over Q's output
// q (B, Σ sizes + continuous) for the codes c the generator was given (same layout, the
// categorical ones one-hot):
//   categorical group of size K:  −log softmax(q_group)[k], k the chosen category
//   continuous code j:             ½ (c_j − q_j)²   (a unit-variance Gaussian, constant dropped)
// dq = weight · ∂/∂q / B.
inline double info_loss(const float* q, const float* c, int64_t B, const int64_t* sizes, int64_t groups,
                        int64_t continuous, float weight, float* dq) {
  int64_t width = continuous;
  for (int64_t g = 0; g < groups; ++g) width += sizes[g];
  const float scale = weight / static_cast<float>(B);
  double total = 0;
  for (int64_t r = 0; r < B; ++r) {
    const float* qr = q + r * width;
    const float* cr = c + r * width;
    float* dr = dq ? dq + r * width : nullptr;
    int64_t at = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t K = sizes[g];
      float top = qr[at];
      for (int64_t k = 1; k < K; ++k) top = std::fmax(top, qr[at + k]);
      double z = 0;
      for (int64_t k = 0; k < K; ++k) z += std::exp(static_cast<double>(qr[at + k] - top));
      const double log_z = std::log(z) + top;
      for (int64_t k = 0; k < K; ++k) {
        total -= cr[at + k] * (qr[at + k] - log_z);
        if (dr) dr[at + k] = scale * static_cast<float>(std::exp(qr[at + k] - log_z) - cr[at + k]);
      }
      at += K;
    }
    for (int64_t j = 0; j < continuous; ++j, ++at) {
      const double diff = static_cast<double>(qr[at]) - cr[at];
      total += 0.5 * diff * diff;
      if (dr) dr[at] = scale * static_cast<float>(diff);
    }
  }
  return total;
}

// Softmax cross-entropy of K logits per row against the row's class y_r ∈ [0, K) — the
// sentence–class matching loss of a text cgan ("text_match"), where the logits are a
// sentence embedding scored against class prototypes, l_rk = ⟨P_k, s_r⟩ (Reed et al. 2016's
// compatibility with one prototype per class, trained with the softmax instead of their hinge):
//   loss = Σ_r −log softmax(l_r)[y_r]
//   ∂/∂l_rk = weight · (softmax(l_r)_k − [k = y_r]) / B
inline double class_match_loss(const float* l, const int32_t* y, int64_t B, int64_t K, float weight, float* dl) {
  const float scale = weight / static_cast<float>(B);
  double total = 0;
  for (int64_t r = 0; r < B; ++r) {
    const float* lr = l + r * K;
    float top = lr[0];
    for (int64_t k = 1; k < K; ++k) top = std::fmax(top, lr[k]);
    double z = 0;
    for (int64_t k = 0; k < K; ++k) z += std::exp(static_cast<double>(lr[k] - top));
    const double log_z = std::log(z) + top;
    total += log_z - lr[y[r]];
    if (!dl) continue;
    for (int64_t k = 0; k < K; ++k)
      dl[r * K + k] = scale * static_cast<float>(std::exp(lr[k] - log_z) - (k == y[r] ? 1.0 : 0.0));
  }
  return total;
}

// Conditioning augmentation (StackGAN, Zhang et al. 2017; "text_augment"): ml (B, 2E) holds
// per row [μ | log σ²], eps (B, E) ε ~ N(0, I); the condition is c = μ + exp(½ log σ²)·ε.
inline void augment_condition(const float* ml, const float* eps, int64_t B, int64_t E, float* c) {
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < E; ++j)
      c[r * E + j] = ml[r * 2 * E + j] + std::exp(0.5f * ml[r * 2 * E + E + j]) * eps[r * E + j];
}

// Its loss and backward: the KL divergence of N(μ, σ²) from N(0, I), summed over rows,
//   loss = Σ_r ½ Σ_j (μ² + σ² − 1 − log σ²)
// and with dml (B, 2E) the gradient of c's upstream gradient dc (B, E) through c = μ + σ·ε
// plus weight · ∂loss/∂ml / B (the 1/B of the other losses' sums):
//   ∂/∂μ = dc + weight · μ / B,  ∂/∂log σ² = dc · ε · ½σ + weight · ½ (σ² − 1) / B
// dc may be null (the KL term alone).
inline double augment_kl(const float* ml, const float* eps, const float* dc, int64_t B, int64_t E, float weight,
                         float* dml) {
  const float scale = weight / static_cast<float>(B);
  double total = 0;
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < E; ++j) {
      const float mu = ml[r * 2 * E + j], lv = ml[r * 2 * E + E + j];
      const double var = std::exp(static_cast<double>(lv));
      total += 0.5 * (static_cast<double>(mu) * mu + var - 1.0 - lv);
      if (!dml) continue;
      const float g = dc ? dc[r * E + j] : 0.0f;
      dml[r * 2 * E + j] = g + scale * mu;
      dml[r * 2 * E + E + j] =
          g * eps[r * E + j] * 0.5f * std::exp(0.5f * lv) + scale * 0.5f * static_cast<float>(var - 1.0);
    }
  return total;
}

// Layer normalisation without a learned scale ("text_norm"), in place over B rows of E:
//   ŝ = (s − μ) / √(σ² + 1e-5),  μ, σ² the row's mean and (biased) variance
// inv (B) receives each row's 1 / √(σ² + 1e-5) when not null (for the backward).
inline void normalise_rows(float* s, int64_t B, int64_t E, float* inv) {
  for (int64_t r = 0; r < B; ++r) {
    float* x = s + r * E;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < E; ++j) mean += x[j];
    mean /= static_cast<double>(E);
    for (int64_t j = 0; j < E; ++j) var += (x[j] - mean) * (x[j] - mean);
    const double k = 1.0 / std::sqrt(var / static_cast<double>(E) + 1e-5);
    for (int64_t j = 0; j < E; ++j) x[j] = static_cast<float>((x[j] - mean) * k);
    if (inv) inv[r] = static_cast<float>(k);
  }
}

// Its backward, in place on dy (B, E), from the normalised rows y and inv:
//   ∂/∂s = inv · (dy − mean(dy) − ŝ · mean(dy · ŝ))
inline void normalise_rows_backward(const float* y, const float* inv, float* dy, int64_t B, int64_t E) {
  for (int64_t r = 0; r < B; ++r) {
    const float* h = y + r * E;
    float* d = dy + r * E;
    double sum = 0, dot = 0;
    for (int64_t j = 0; j < E; ++j) {
      sum += d[j];
      dot += static_cast<double>(d[j]) * h[j];
    }
    sum /= static_cast<double>(E);
    dot /= static_cast<double>(E);
    for (int64_t j = 0; j < E; ++j) d[j] = static_cast<float>(inv[r] * (d[j] - sum - h[j] * dot));
  }
}

// The mode-seeking term (MSGAN, Mao et al. 2019; "mode_seeking"): two generator outputs a, b
// (B, D) of the same conditions from noises za, zb (B rows of Z values, z_stride apart),
//   L = mean |a − b| / mean |za − zb|,  loss = 1 / (L + ε),  ε = 1e-5
// (the means over all B·D and B·Z values, as MSGAN's code). With da, db: weight · ∂loss/∂a
// and ∂/∂b (= −∂/∂a), written:
//   ∂loss/∂a_i = −1 / (L + ε)² · sign(a_i − b_i) / (B·D · mean |za − zb|)
// The loss is one value for the batch; the caller adds B · weight · loss to a loss summed
// over rows, whose gradients are per-row means.
inline double mode_seeking_loss(const float* a, const float* b, const float* za, const float* zb, int64_t B, int64_t D,
                                int64_t Z, int64_t z_stride, float weight, float* da, float* db) {
  constexpr double eps = 1e-5;
  double image = 0, noise = 0;
  for (int64_t i = 0; i < B * D; ++i) image += std::fabs(static_cast<double>(a[i]) - b[i]);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < Z; ++j)
      noise += std::fabs(static_cast<double>(za[r * z_stride + j]) - zb[r * z_stride + j]);
  image /= static_cast<double>(B * D);
  noise /= static_cast<double>(B * Z);
  const double ratio = image / noise, loss = 1.0 / (ratio + eps);
  if (da) {
    const float g = static_cast<float>(-weight * loss * loss / (static_cast<double>(B * D) * noise));
    for (int64_t i = 0; i < B * D; ++i) {
      const float diff = a[i] - b[i];
      da[i] = diff > 0 ? g : (diff < 0 ? -g : 0.0f);
      if (db) db[i] = -da[i];
    }
  }
  return loss;
}

// Least-squares adversarial loss (LSGAN, Mao et al. 2017, with the 0-1 targets CycleGAN uses)
// over a discriminator's output d (B, P): P scores per image — 1 for a plain discriminator,
// the patch map's C·H'·W' for a PatchGAN. Per row, ½ · the mean over its P scores:
//   loss = Σ_r ½ · (1/P) Σ_p (d_rp − t)²,  t = 1 (real, and the generator's target), 0 (fake)
//   ∂/∂d_rp = weight · (d_rp − t) / (P·B)
// so weight · loss / B is weight · ½ · the mean over all B·P scores. CycleGAN's code in these
// terms: the discriminator minimises ½·MSE(D(real), 1) + ½·MSE(D(fake), 0) — weight 1 on each
// of two calls — and the generator MSE(D(G(x)), 1) — weight 2.
inline double lsgan_loss(const float* d, int64_t B, int64_t P, float t, float weight, float* dd) {
  const float scale = weight / static_cast<float>(P * B);
  double total = 0;
  for (int64_t r = 0; r < B; ++r) {
    double row = 0;
    for (int64_t p = 0; p < P; ++p) {
      const float diff = d[r * P + p] - t;
      row += static_cast<double>(diff) * diff;
      if (dd) dd[r * P + p] = scale * diff;
    }
    total += 0.5 * row / static_cast<double>(P);
  }
  return total;
}

// L1 reconstruction loss between rows a and b (B, D) — CycleGAN's cycle-consistency and
// identity terms, StarGAN's reconstruction — the mean over each row's D values:
//   loss = Σ_r (1/D) Σ_i |a_ri − b_ri|
//   ∂/∂a_ri = weight · sign(a_ri − b_ri) / (D·B),  sign(0) = 0 (a subgradient, PyTorch's)
// so weight · loss / B is PyTorch's weight · L1Loss(a, b) (the mean over all B·D values). The
// gradient is w.r.t. a, the reconstruction; w.r.t. b it is −da.
inline double l1_loss(const float* a, const float* b, int64_t B, int64_t D, float weight, float* da) {
  const float scale = weight / static_cast<float>(D * B);
  double total = 0;
  for (int64_t r = 0; r < B; ++r) {
    double row = 0;
    for (int64_t i = 0; i < D; ++i) {
      const float diff = a[r * D + i] - b[r * D + i];
      row += std::fabs(static_cast<double>(diff));
      if (da) da[r * D + i] = diff > 0 ? scale : (diff < 0 ? -scale : 0.0f);
    }
    total += row / static_cast<double>(D);
  }
  return total;
}

}  // namespace gm::gan
