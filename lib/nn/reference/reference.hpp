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

// Convolution geometry; OH/OW follow the layer's formulas (conv or transposed). The kernel
// is K×K with padding P on every side unless the rectangular fields say otherwise (as in
// nn::ConvSpec: 0 / -1 = the square value).
struct Conv {
  int64_t B, Ci, Co, H, W, K, S, P;
  int64_t KH_ = 0, KW_ = 0, PT_ = -1, PB_ = -1, PL_ = -1, PR_ = -1;
  int64_t kh() const { return KH_ > 0 ? KH_ : K; }
  int64_t kw() const { return KW_ > 0 ? KW_ : K; }
  int64_t pt() const { return PT_ >= 0 ? PT_ : P; }
  int64_t pb() const { return PB_ >= 0 ? PB_ : P; }
  int64_t pl() const { return PL_ >= 0 ? PL_ : P; }
  int64_t pr() const { return PR_ >= 0 ? PR_ : P; }
  int64_t out_h(bool transposed) const {
    return transposed ? (H - 1) * S - pt() - pb() + kh() : (H + pt() + pb() - kh()) / S + 1;
  }
  int64_t out_w(bool transposed) const {
    return transposed ? (W - 1) * S - pl() - pr() + kw() : (W + pl() + pr() - kw()) / S + 1;
  }
  // Square kernels with even padding (the original form).
  int64_t out(int64_t n, bool transposed) const {
    return transposed ? (n - 1) * S - 2 * P + K : (n + 2 * P - K) / S + 1;
  }
};
// Conv2d: w (Co, Ci, KH, KW). ConvTranspose2d: w (Ci, Co, KH, KW). b (Co) or null.
void conv2d_forward(const Conv& g, const float* x, const float* w, const float* b, float* y);
void conv2d_backward(const Conv& g, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db);
void conv_transpose2d_forward(const Conv& g, const float* x, const float* w, const float* b, float* y);
void conv_transpose2d_backward(const Conv& g, const float* x, const float* w, const float* dy, float* dx, float* dw,
                               float* db);

// Reflection padding by P (PyTorch's ReflectionPad2d): x (B, C, H, W) → xp (B, C, H+2P, W+2P),
// xp[.., i, j] = x[.., m(i − P, H), m(j − P, W)] with m(k, n) = −k for k < 0, 2(n − 1) − k for
// k ≥ n. backward is the adjoint: dx (written) sums dxp over the positions reading each pixel.
void reflect_pad_forward(const float* x, float* xp, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P);
void reflect_pad_backward(const float* dxp, float* dx, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P);

// x, y (B, C, S). Training writes the biased batch statistics mean, var (C).
void batch_norm_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                              int64_t B, int64_t C, int64_t S, float eps);
void batch_norm_forward_infer(const float* x, const float* gamma, const float* beta, const float* mean,
                              const float* var, float* y, int64_t B, int64_t C, int64_t S, float eps);
void batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* var, const float* dy,
                         float* dx, float* dgamma, float* dbeta, int64_t B, int64_t C, int64_t S, float eps);

// x, y (B, C, S), statistics per (b, c) over S: mean, var (B·C), biased. gamma, beta (C) or
// null (no affine: 1 and 0; dgamma, dbeta are then not touched).
void instance_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                           int64_t B, int64_t C, int64_t S, float eps);
void instance_norm_backward(const float* x, const float* gamma, const float* mean, const float* var, const float* dy,
                            float* dx, float* dgamma, float* dbeta, int64_t B, int64_t C, int64_t S, float eps);

// The gated activation (van den Oord et al. 2016): x (B, 2F, S) holds a = channels [0, F)
// and g = [F, 2F) of each example; y (B, F, S) = tanh(a) ⊙ σ(g). backward writes dx (B, 2F, S).
void gated_forward(const float* x, float* y, int64_t B, int64_t F, int64_t S);
void gated_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t F, int64_t S);

// ProGAN's layers (Karras et al. 2018), each as its layer's header in lib/nn writes it.
// Pixel norm over the C channels of each pixel: x, y (B, C, S), ε as the layer's; backward
// writes dx from the Jacobian written out entry by entry.
void pixel_norm_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, float eps);
void pixel_norm_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S, float eps);
// Minibatch standard deviation: x (B, C, S) → y (B, C + 1, S); M = ⌈B / G⌉ groups,
// G = min(group_size, B), image b in group b mod M; the last channel of every image in group
// m is mean_{c,p} √(var_m[c,p] + 1e-8) (population variance over the group's images).
void minibatch_std_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, int64_t group_size);
void minibatch_std_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S,
                            int64_t group_size);
// Nearest 2× upsampling x (B, C, H, W) → y (B, C, 2H, 2W) and 2×2 average pooling
// x (B, C, H, W) → y (B, C, H/2, W/2), with their backward (dx written).
void upsample_nearest2x_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W);
void upsample_nearest2x_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W);
void avg_pool2x2_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W);
void avg_pool2x2_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W);

// f and f' from the input x (the layers may use the output; the maths is the same).
void activation_forward(Act kind, float alpha, const float* x, float* y, int64_t n);
void activation_backward(Act kind, float alpha, const float* x, const float* dy, float* dx, int64_t n);

// Spatial mixing (nn/spatial_mix.hpp): x, y (B, C, S), M (G, S, S), channel c in group c / (C/G);
// y[b,c,:] = x[b,c,:] + M_g x[b,c,:]. backward writes dx (if not null) and adds dM.
void spatial_mix_forward(const float* x, const float* M, float* y, int64_t B, int64_t C, int64_t S, int64_t G);
void spatial_mix_backward(const float* x, const float* M, const float* dy, float* dx, float* dM, int64_t B, int64_t C,
                          int64_t S, int64_t G);

}  // namespace gm::nn::ref
