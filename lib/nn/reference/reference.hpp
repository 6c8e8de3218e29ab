// Plain-loop reference kernels: the oracles the oneDNN layers are tested against
// (docs/design.md, "Layers"). Written for obviousness, not speed — straight from the formulas in each
// layer's header, accumulating in double. Forward writes its output; backward writes dx
// (when not null) and ADDS into the parameter gradients, like the layers.
#pragma once

#include <cstdint>

#include "nn/activation.hpp"

namespace gm::nn::ref {

// y (B, O) = x (B, I) · Wᵀ + b;  W (O, I), b (O) or null.
void linear_forward(const float* x, const float* W, const float* b, float* y, int64_t B, int64_t I, int64_t O);
void linear_backward(const float* x, const float* W, const float* dy, float* dx, float* dW, float* db, int64_t B,
                     int64_t I, int64_t O);

// Convolution geometry; OH/OW follow the layer's formulas (conv or transposed).
struct Conv {
  int64_t B, Ci, Co, H, W, K, S, P;
  int64_t out(int64_t n, bool transposed) const {
    return transposed ? (n - 1) * S - 2 * P + K : (n + 2 * P - K) / S + 1;
  }
};
// Conv2d: w (Co, Ci, K, K). ConvTranspose2d: w (Ci, Co, K, K). b (Co) or null.
void conv2d_forward(const Conv& g, const float* x, const float* w, const float* b, float* y);
void conv2d_backward(const Conv& g, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db);
void conv_transpose2d_forward(const Conv& g, const float* x, const float* w, const float* b, float* y);
void conv_transpose2d_backward(const Conv& g, const float* x, const float* w, const float* dy, float* dx, float* dw,
                               float* db);

// x, y (B, C, S). Training writes the biased batch statistics mean, var (C).
void batch_norm_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                              int64_t B, int64_t C, int64_t S, float eps);
void batch_norm_forward_infer(const float* x, const float* gamma, const float* beta, const float* mean,
                              const float* var, float* y, int64_t B, int64_t C, int64_t S, float eps);
void batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* var, const float* dy,
                         float* dx, float* dgamma, float* dbeta, int64_t B, int64_t C, int64_t S, float eps);

// f and f' from the input x (the layers may use the output; the maths is the same).
void activation_forward(Act kind, float alpha, const float* x, float* y, int64_t n);
void activation_backward(Act kind, float alpha, const float* x, const float* dy, float* dx, int64_t n);

}  // namespace gm::nn::ref
