#include "nn/pixel_norm.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace gm::nn {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 18;  // docs/nn.md, "Threads"
constexpr int64_t kBlock = 256;                     // pixels per block: two 1 KiB stack arrays

void check(int64_t B, int64_t C, int64_t S, float eps) {
  if (B < 0 || C < 1 || S < 1) fail(Status::invalid_argument, "pixel norm: shape ({}, {}, {})", B, C, S);
  if (!(eps > 0.0f)) fail(Status::invalid_argument, "pixel norm: eps {} must be > 0", eps);
}

// Calls f(b, p0, n) for every block of n ≤ kBlock pixels of every image, in parallel when large.
template <typename F>
void for_blocks(int64_t B, int64_t C, int64_t S, F&& f) {
  const int64_t per_image = (S + kBlock - 1) / kBlock, blocks = B * per_image;
#pragma omp parallel for schedule(static) if (B * C * S >= kParallelMin && blocks > 1)
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t b = k / per_image, p0 = (k % per_image) * kBlock;
    f(b, p0, std::min(kBlock, S - p0));
  }
}

}  // namespace

void pixel_norm_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, float eps) {
  check(B, C, S, eps);
  const float inv_c = 1.0f / static_cast<float>(C);
  for_blocks(B, C, S, [&](int64_t b, int64_t p0, int64_t n) {
    float r[kBlock];
    std::fill_n(r, n, 0.0f);
    for (int64_t c = 0; c < C; ++c) {
      const float* xr = x + (b * C + c) * S + p0;
#pragma omp simd
      for (int64_t k = 0; k < n; ++k) r[k] += xr[k] * xr[k];
    }
    for (int64_t k = 0; k < n; ++k) r[k] = 1.0f / std::sqrt(r[k] * inv_c + eps);
    for (int64_t c = 0; c < C; ++c) {
      const float* xr = x + (b * C + c) * S + p0;
      float* yr = y + (b * C + c) * S + p0;
#pragma omp simd
      for (int64_t k = 0; k < n; ++k) yr[k] = xr[k] * r[k];
    }
  });
}

void pixel_norm_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S, float eps) {
  check(B, C, S, eps);
  const float inv_c = 1.0f / static_cast<float>(C);
  for_blocks(B, C, S, [&](int64_t b, int64_t p0, int64_t n) {
    float r[kBlock], m[kBlock];  // r, then mean_c(dy·x)·r³
    std::fill_n(r, n, 0.0f);
    std::fill_n(m, n, 0.0f);
    for (int64_t c = 0; c < C; ++c) {
      const float* xr = x + (b * C + c) * S + p0;
      const float* gr = dy + (b * C + c) * S + p0;
#pragma omp simd
      for (int64_t k = 0; k < n; ++k) {
        r[k] += xr[k] * xr[k];
        m[k] += gr[k] * xr[k];
      }
    }
    for (int64_t k = 0; k < n; ++k) {
      r[k] = 1.0f / std::sqrt(r[k] * inv_c + eps);
      m[k] *= inv_c * r[k] * r[k] * r[k];
    }
    for (int64_t c = 0; c < C; ++c) {
      const float* xr = x + (b * C + c) * S + p0;
      const float* gr = dy + (b * C + c) * S + p0;
      float* dr = dx + (b * C + c) * S + p0;
#pragma omp simd
      for (int64_t k = 0; k < n; ++k) dr[k] = r[k] * gr[k] - xr[k] * m[k];
    }
  });
}

}  // namespace gm::nn
