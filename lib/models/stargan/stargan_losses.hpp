// StarGAN's domain classification loss, a plain loop over B rows of K logits.
#pragma once

#include <cmath>
#include <cstdint>

namespace gm::stargan {

// Softmax cross-entropy of logits l (B, K) against labels y (B):
//   loss = Σ_r −log softmax(l_r)[y_r]      (returned: the sum over rows)
//   ∂/∂l_rk = weight · (softmax(l_r)_k − [k = y_r]) / B     (written to dl unless null)
// so weight · loss / B is PyTorch's weight · F.cross_entropy(l, y).
inline double cross_entropy(const float* l, const int32_t* y, int64_t B, int64_t K, float weight, float* dl) {
  double total = 0;
  for (int64_t r = 0; r < B; ++r) {
    const float* lr = l + r * K;
    double top = lr[0];
    for (int64_t k = 1; k < K; ++k) top = std::fmax(top, static_cast<double>(lr[k]));
    double z = 0;
    for (int64_t k = 0; k < K; ++k) z += std::exp(lr[k] - top);
    const double log_z = std::log(z) + top;
    total += log_z - lr[y[r]];
    if (!dl) continue;
    for (int64_t k = 0; k < K; ++k)
      dl[r * K + k] = static_cast<float>(weight * (std::exp(lr[k] - log_z) - (k == y[r] ? 1.0 : 0.0)) / B);
  }
  return total;
}

}  // namespace gm::stargan
