#include "nn/gated.hpp"

#include <algorithm>
#include <cstring>

namespace gm::nn {

namespace {

// e^x for x in [−87, 88] (clamped outside): x = n ln2 + r, |r| ≤ ln2 / 2, e^r by its Taylor
// polynomial to degree 6 (truncation < 1e-7 relative), 2^n added into the exponent bits.
inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float magic = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  float n = x * 1.44269504f + magic;
  int32_t ni;
  std::memcpy(&ni, &n, sizeof ni);
  ni -= 0x4B400000;  // the bits of magic
  n -= magic;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;  // ln 2 split in two
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits;
  std::memcpy(&bits, &p, sizeof bits);
  bits += ni << 23;
  std::memcpy(&p, &bits, sizeof p);
  return p;
}

inline float sigmoid(float g) { return 1.0f / (1.0f + exp_approx(-g)); }

constexpr int64_t kParallelFloats = int64_t{1} << 16;

__attribute__((target_clones("avx2", "default"))) void forward_plane(const float* a, const float* g, float* y,
                                                                     int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = (2.0f * sigmoid(2.0f * a[i]) - 1.0f) * sigmoid(g[i]);
}

__attribute__((target_clones("avx2", "default"))) void backward_plane(const float* a, const float* g,
                                                                      const float* dy, float* da, float* dg,
                                                                      int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float t = 2.0f * sigmoid(2.0f * a[i]) - 1.0f, s = sigmoid(g[i]);
    da[i] = dy[i] * s * (1.0f - t * t);
    dg[i] = dy[i] * t * s * (1.0f - s);
  }
}

}  // namespace

void gated_forward(const float* x, float* y, int64_t B, int64_t F, int64_t S) {
  const int64_t plane = F * S;
#pragma omp parallel for schedule(static) if (B * plane >= kParallelFloats)
  for (int64_t b = 0; b < B; ++b) forward_plane(x + 2 * b * plane, x + (2 * b + 1) * plane, y + b * plane, plane);
}

void gated_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t F, int64_t S) {
  const int64_t plane = F * S;
#pragma omp parallel for schedule(static) if (B * plane >= kParallelFloats)
  for (int64_t b = 0; b < B; ++b)
    backward_plane(x + 2 * b * plane, x + (2 * b + 1) * plane, dy + b * plane, dx + 2 * b * plane,
                   dx + (2 * b + 1) * plane, plane);
}

}  // namespace gm::nn
