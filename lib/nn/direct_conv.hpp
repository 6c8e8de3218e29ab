// Direct convolution loops for a layer with one input or one output channel: an image's first
// or last convolution (CycleGAN's 7×7 c7s1 layers, a PatchGAN's score map, DCGAN's first
// discriminator layer). oneDNN has no blocked kernel for one channel and runs these as
// im2col + GEMM (x64:gemm:jit), which builds a (Ci·KH·KW) × (OH·OW) matrix per image: for
// CycleGAN's 32 → 1 7×7 layer at 28×28 that is 4.9 MB written and read for 1.2 M
// multiply-adds, and these layers took 30% of oneDNN's time in a cyclegan step (ONEDNN_VERBOSE,
// bench/RESULTS.md "cyclegan"). The loops below do the multiply-adds in place, vectorised
// along an output row (stride 1) — the same arithmetic as the reference in nn/reference, in
// another order.
//
// Geometry as nn::Conv2d's (not transposed): x (B, Ci, H, W), w (Co, Ci, KH, KW), y (B, Co,
// OH, OW), stride S, padding top/bottom/left/right. Every output element is summed by one
// thread in a fixed order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace gm::nn::direct {

struct Geometry {
  int64_t B, Ci, Co, H, W, OH, OW, KH, KW, S, PT, PL;
};

// True where these loops replace oneDNN: one channel on a side and a kernel larger than 1×1.
bool applies(int64_t Ci, int64_t Co, int64_t KH, int64_t KW);

// y = conv(x, w) + b (b may be null).
void forward(const Geometry& g, const float* x, const float* w, const float* b, float* y);
// dx = convᵀ(dy, w) (written).
void backward_data(const Geometry& g, const float* dy, const float* w, float* dx);
// dw += Σ x ⋆ dy and db += Σ dy (db may be null): added, like a layer's parameter gradients.
void backward_weights(const Geometry& g, const float* x, const float* dy, float* dw, float* db);

}  // namespace gm::nn::direct
