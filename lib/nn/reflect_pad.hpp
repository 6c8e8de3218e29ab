// Reflection padding (PyTorch's ReflectionPad2d) by P pixels on every side of each H×W plane,
// as its own op in front of a convolution without padding: CycleGAN pads its 7×7 and its
// residual blocks' 3×3 convolutions this way, and oneDNN's convolutions pad with zeros only.
//
//   forward   x (B, C, H, W) → xp (B, C, H + 2P, W + 2P),  xp[b,c,i,j] = x[b,c, m(i − P, H), m(j − P, W)]
//             m(k, n) = −k for k < 0,  2(n − 1) − k for k ≥ n,  k otherwise   (the edge is not repeated)
//   backward  the adjoint: dx[b,c,h,w] = Σ dxp[b,c,i,j] over every (i, j) that reads (h, w)
//
// Needs 0 ≤ P < H and P < W (one reflection reaches every padded pixel; PyTorch's condition).
// Row copies; planes in parallel above 2^18 values. Copies and fixed-order sums: the result
// does not depend on the thread count. The reference is ref::reflect_pad_forward.
#pragma once

#include <cstdint>

namespace gm::nn {

// Throws invalid_argument unless 0 ≤ P < H and P < W.
void reflect_pad_check(int64_t H, int64_t W, int64_t P);

void reflect_pad_forward(const float* x, float* xp, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P);
// dx (B, C, H, W) written; dxp (B, C, H + 2P, W + 2P).
void reflect_pad_backward(const float* dxp, float* dx, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P);

}  // namespace gm::nn
