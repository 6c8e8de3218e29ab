// ProGAN's resolution changes (Karras et al. 2018; the official code's upscale2d and
// downscale2d): nearest-neighbour 2× upsampling in the generator, 2×2 average pooling in the
// discriminator and on the way down to the lower resolution of a fade-in.
//
//   upsample_nearest2x   x (B, C, H, W) → y (B, C, 2H, 2W),  y[.., i, j] = x[.., ⌊i/2⌋, ⌊j/2⌋]
//                        backward: dx[.., h, w] = Σ_{a,e ∈ {0,1}} dy[.., 2h + a, 2w + e]
//   avg_pool2x2          x (B, C, H, W) → y (B, C, H/2, W/2),
//                        y[.., i, j] = ¼ Σ_{a,e ∈ {0,1}} x[.., 2i + a, 2j + e]
//                        backward: dx[.., h, w] = ¼ dy[.., ⌊h/2⌋, ⌊w/2⌋]
//
// The pool is ¼ times the upsampling's adjoint (and its backward ¼ times the upsampling):
// pooling an upsampled image gives it back. H and W must be even for the pool (throws
// otherwise): the paper's resolutions are powers of two, and dropping a last row silently
// (PyTorch's floor) would hide a wrong architecture. Row loops over planes, planes in parallel
// above 2^18 values; every output is one thread's, in a fixed order. The references are
// ref::upsample_nearest2x_* and ref::avg_pool2x2_*.
#pragma once

#include <cstdint>

namespace gm::nn {

// x (B, C, H, W) → y (B, C, 2H, 2W).
void upsample_nearest2x_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W);
// dy (B, C, 2H, 2W) → dx (B, C, H, W) written. H, W are the input's, as in forward.
void upsample_nearest2x_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W);

// x (B, C, H, W) → y (B, C, H/2, W/2); throws invalid_argument unless H and W are even.
void avg_pool2x2_forward(const float* x, float* y, int64_t B, int64_t C, int64_t H, int64_t W);
// dy (B, C, H/2, W/2) → dx (B, C, H, W) written. H, W are the input's, as in forward.
void avg_pool2x2_backward(const float* dy, float* dx, int64_t B, int64_t C, int64_t H, int64_t W);

}  // namespace gm::nn
