#include "nn/reflect_pad.hpp"

#include <cstring>

#include "core/error.hpp"

namespace gm::nn {

namespace {
constexpr int64_t kParallelMin = int64_t{1} << 18;  // docs/nn.md, "Threads"

int64_t mirror(int64_t k, int64_t n) { return k < 0 ? -k : (k >= n ? 2 * (n - 1) - k : k); }
}  // namespace

void reflect_pad_check(int64_t H, int64_t W, int64_t P) {
  if (P < 0 || P >= H || P >= W)
    fail(Status::invalid_argument, "reflection padding {} needs 0 <= P < H and P < W; the input is {}x{}", P, H, W);
}

void reflect_pad_forward(const float* x, float* xp, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P) {
  reflect_pad_check(H, W, P);
  const int64_t HP = H + 2 * P, WP = W + 2 * P;
#pragma omp parallel for schedule(static) if (B * C * HP * WP >= kParallelMin)
  for (int64_t p = 0; p < B * C; ++p)
    for (int64_t i = 0; i < HP; ++i) {
      const float* src = x + (p * H + mirror(i - P, H)) * W;
      float* dst = xp + (p * HP + i) * WP;
      for (int64_t j = 0; j < P; ++j) {
        dst[j] = src[P - j];              // m(j − P) = P − j
        dst[P + W + j] = src[W - 2 - j];  // m(W + j) = W − 2 − j
      }
      std::memcpy(dst + P, src, static_cast<std::size_t>(W) * sizeof(float));
    }
}

void reflect_pad_backward(const float* dxp, float* dx, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P) {
  reflect_pad_check(H, W, P);
  const int64_t HP = H + 2 * P, WP = W + 2 * P;
#pragma omp parallel for schedule(static) if (B * C * HP * WP >= kParallelMin)
  for (int64_t p = 0; p < B * C; ++p) {
    float* plane = dx + p * H * W;
    std::memset(plane, 0, static_cast<std::size_t>(H * W) * sizeof(float));
    for (int64_t i = 0; i < HP; ++i) {
      const float* src = dxp + (p * HP + i) * WP;
      float* dst = plane + mirror(i - P, H) * W;
      for (int64_t w = 0; w < W; ++w) dst[w] += src[P + w];
      for (int64_t j = 0; j < P; ++j) {
        dst[P - j] += src[j];
        dst[W - 2 - j] += src[P + W + j];
      }
    }
  }
}

}  // namespace gm::nn
