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

}  // namespace gm::gan
