#include "nn/resample.hpp"

#include "core/error.hpp"

namespace gm::nn {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 18;  // docs/nn.md, "Threads"

void check(const char* what, int64_t B, int64_t C, int64_t H, int64_t W) {
  if (B < 0 || C < 1 || H < 1 || W < 1) fail(Status::invalid_argument, "{}: shape ({}, {}, {}, {})", what, B, C, H, W);
}

void check_even(int64_t B, int64_t C, int64_t H, int64_t W) {
  check("avg_pool2x2", B, C, H, W);
  if (H % 2 != 0 || W % 2 != 0)
    fail(Status::invalid_argument, "avg_pool2x2: the input is {}x{}; 2x2 pooling needs an even height and width", H, W);
}

}  // namespace

void upsample_nearest2x_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W) {
  check("upsample_nearest2x", B, C, H, W);
  const int64_t W2 = 2 * W;
#pragma omp parallel for schedule(static) if (4 * B * C * H * W >= kParallelMin)
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t h = 0; h < H; ++h) {
      const float* src = x + (q * H + h) * W;
      float* top = y + (q * 2 * H + 2 * h) * W2;
      float* bottom = top + W2;
#pragma omp simd
      for (int64_t w = 0; w < W; ++w) {
        top[2 * w] = top[2 * w + 1] = src[w];
        bottom[2 * w] = bottom[2 * w + 1] = src[w];
      }
    }
}

void upsample_nearest2x_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W) {
  check("upsample_nearest2x", B, C, H, W);
  const int64_t W2 = 2 * W;
#pragma omp parallel for schedule(static) if (4 * B * C * H * W >= kParallelMin)
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t h = 0; h < H; ++h) {
      const float* top = dy + (q * 2 * H + 2 * h) * W2;
      const float* bottom = top + W2;
      float* dst = dx + (q * H + h) * W;
#pragma omp simd
      for (int64_t w = 0; w < W; ++w) dst[w] = (top[2 * w] + top[2 * w + 1]) + (bottom[2 * w] + bottom[2 * w + 1]);
    }
}

void avg_pool2x2_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W) {
  check_even(B, C, H, W);
  const int64_t OH = H / 2, OW = W / 2;
#pragma omp parallel for schedule(static) if (B * C * H * W >= kParallelMin)
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t i = 0; i < OH; ++i) {
      const float* top = x + (q * H + 2 * i) * W;
      const float* bottom = top + W;
      float* dst = y + (q * OH + i) * OW;
#pragma omp simd
      for (int64_t j = 0; j < OW; ++j)
        dst[j] = 0.25f * ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1]));
    }
}

void avg_pool2x2_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W) {
  check_even(B, C, H, W);
  const int64_t OH = H / 2, OW = W / 2;
#pragma omp parallel for schedule(static) if (B * C * H * W >= kParallelMin)
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t i = 0; i < OH; ++i) {
      const float* src = dy + (q * OH + i) * OW;
      float* top = dx + (q * H + 2 * i) * W;
      float* bottom = top + W;
#pragma omp simd
      for (int64_t j = 0; j < OW; ++j) {
        const float g = 0.25f * src[j];
        top[2 * j] = top[2 * j + 1] = g;
        bottom[2 * j] = bottom[2 * j + 1] = g;
      }
    }
}

}  // namespace gm::nn
