#include "nn/loss.hpp"

#include <cmath>

#include "core/error.hpp"
#include "nn/bce_row.hpp"

namespace gm::nn {

namespace {
constexpr double kLog2Pi = 1.8378770664093454836;
// Below this many elements the loop takes microseconds: not worth waking the OpenMP team.
constexpr int64_t kParallelMin = 1 << 14;

void check(const char* what, int64_t B, int64_t D, const double* per_example) {
  if (B <= 0 || D <= 0) fail(Status::invalid_argument, "{}: sizes B={} D={}", what, B, D);
  if (per_example == nullptr) fail(Status::invalid_argument, "{}: per_example is null", what);
}

double total(const double* per_example, int64_t B) {
  double s = 0.0;
  for (int64_t b = 0; b < B; ++b) s += per_example[b];
  return s;
}
}  // namespace

double bce_with_logits(const float* logits, const float* x, int64_t B, int64_t D, double* per_example, float* dlogits,
                       float grad_scale) {
  check("bce_with_logits", B, D, per_example);
#pragma omp parallel for schedule(static) if (B * D >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    float* g = dlogits != nullptr ? dlogits + b * D : nullptr;
    per_example[b] = bce_row(logits + b * D, x + b * D, D, g, grad_scale);
  }
  return total(per_example, B);
}

double gaussian_nll(const float* x, const float* mean, const float* logvar, int64_t B, int64_t D, double* per_example,
                    float* dmean, float* dlogvar, float grad_scale) {
  check("gaussian_nll", B, D, per_example);
#pragma omp parallel for schedule(static) if (B * D >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    double sum = 0.0;
    for (int64_t i = b * D; i < (b + 1) * D; ++i) {
      const float lv = logvar != nullptr ? logvar[i] : 0.0f;
      const float inv_var = std::exp(-lv);
      const float r = x[i] - mean[i];
      sum += 0.5 * (kLog2Pi + lv + static_cast<double>(r) * r * inv_var);
      if (dmean != nullptr) dmean[i] = -grad_scale * r * inv_var;
      if (dlogvar != nullptr && logvar != nullptr) dlogvar[i] = grad_scale * 0.5f * (1.0f - r * r * inv_var);
    }
    per_example[b] = sum;
  }
  return total(per_example, B);
}

double kl_std_normal(const float* mu, const float* logvar, int64_t B, int64_t Z, double* per_example, float* dmu,
                     float* dlogvar, float grad_scale) {
  check("kl_std_normal", B, Z, per_example);
#pragma omp parallel for schedule(static) if (B * Z >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    double sum = 0.0;
    for (int64_t i = b * Z; i < (b + 1) * Z; ++i) {
      const float var = std::exp(logvar[i]);
      sum += -0.5 * (1.0 + logvar[i] - static_cast<double>(mu[i]) * mu[i] - var);
      if (dmu != nullptr) dmu[i] = grad_scale * mu[i];
      if (dlogvar != nullptr) dlogvar[i] = grad_scale * 0.5f * (var - 1.0f);
    }
    per_example[b] = sum;
  }
  return total(per_example, B);
}

double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t B, int64_t K, double* per_example,
                             float* dlogits, float grad_scale) {
  check("softmax_cross_entropy", B, K, per_example);
  if (labels == nullptr) fail(Status::invalid_argument, "softmax_cross_entropy: labels is null");
  for (int64_t b = 0; b < B; ++b)  // checked up front: no throwing inside the parallel loop
    if (labels[b] < 0 || labels[b] >= K)
      fail(Status::invalid_argument, "softmax_cross_entropy: label {} of row {} is outside [0, {})", labels[b], b, K);
#pragma omp parallel for schedule(static) if (B * K >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    const float* l = logits + b * K;
    float m = l[0];
    for (int64_t k = 1; k < K; ++k) m = std::fmax(m, l[k]);
    double z = 0.0;  // Σ e^{l_k − m} ≥ 1 (the max term)
    for (int64_t k = 0; k < K; ++k) z += std::exp(static_cast<double>(l[k]) - m);
    const double lse = m + std::log(z);
    per_example[b] = lse - l[labels[b]];
    if (dlogits != nullptr) {
      float* g = dlogits + b * K;
      for (int64_t k = 0; k < K; ++k) g[k] = grad_scale * static_cast<float>(std::exp(l[k] - lse));
      g[labels[b]] -= grad_scale;
    }
  }
  return total(per_example, B);
}

}  // namespace gm::nn
