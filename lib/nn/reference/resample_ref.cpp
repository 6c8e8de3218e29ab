// Reference kernels for nearest 2× upsampling and 2×2 average pooling (nn/resample.hpp):
// every output element from its index formula, sums in double.
#include "nn/reference/reference.hpp"

namespace gm::nn::ref {

void upsample_nearest2x_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W) {
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t i = 0; i < 2 * H; ++i)
      for (int64_t j = 0; j < 2 * W; ++j) y[(q * 2 * H + i) * 2 * W + j] = x[(q * H + i / 2) * W + j / 2];
}

void upsample_nearest2x_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W) {
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        double s = 0;
        for (int64_t a = 0; a < 2; ++a)
          for (int64_t e = 0; e < 2; ++e) s += dy[(q * 2 * H + 2 * h + a) * 2 * W + 2 * w + e];
        dx[(q * H + h) * W + w] = float(s);
      }
}

void avg_pool2x2_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W) {
  const int64_t OH = H / 2, OW = W / 2;
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        double s = 0;
        for (int64_t a = 0; a < 2; ++a)
          for (int64_t e = 0; e < 2; ++e) s += x[(q * H + 2 * i + a) * W + 2 * j + e];
        y[(q * OH + i) * OW + j] = float(s / 4);
      }
}

void avg_pool2x2_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W) {
  const int64_t OH = H / 2, OW = W / 2;
  for (int64_t q = 0; q < B * C; ++q)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) dx[(q * H + h) * W + w] = float(dy[(q * OH + h / 2) * OW + w / 2] / 4.0);
}

}  // namespace gm::nn::ref
