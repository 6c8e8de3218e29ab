// Pixel-wise feature vector normalisation (Karras et al. 2018, "Progressive Growing of GANs",
// §4.2): every pixel's feature vector is scaled to unit root mean square over the C channels.
// ProGAN's generator applies it after each convolution's activation, so that no feature's
// magnitude can run away in the G–D competition; no parameters, no batch statistics.
//
//   x, y (B, C, S), S = H·W pixels:
//   forward   y[b,c,p] = x[b,c,p] · r[b,p],   r[b,p] = 1 / √(mean_c x[b,c,p]² + ε),  ε = 1e-8
//   backward  ∂y_c/∂x_k = r·δ_ck − x_c·x_k·r³/C, so
//             dx[b,k,p] = r·dy[b,k,p] − x[b,k,p] · r³ · mean_c (dy·x)[b,c,p]
//                       = r · (dy_k − y_k · mean_c(dy_c y_c))   (dy's component along y removed:
//                                                                 y lies on a sphere of radius √C)
//   S = 1     a (B, C) row normalised over its C features: ProGAN's normalisation of the latent.
//
// Plain loops: for each image, a block of up to 256 pixels at a time, the channel sums kept in
// a stack array while the channels stream past (each channel's block is contiguous in NCHW, so
// the loops vectorise along pixels). Blocks run in parallel above 2^18 values; each output is
// one block's, summed in a fixed order: results do not depend on the thread count.
// backward recomputes r from x (one extra read of x) rather than asking the caller to keep it.
// The reference is ref::pixel_norm_forward / ref::pixel_norm_backward.
#pragma once

#include <cstdint>

namespace gm::nn {

constexpr float kPixelNormEps = 1e-8f;

// x, y (B, C, S); may run in place (y == x).
void pixel_norm_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, float eps = kPixelNormEps);
// dx (B, C, S) written; x is forward's input. dx may alias dy.
void pixel_norm_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S,
                         float eps = kPixelNormEps);

}  // namespace gm::nn
