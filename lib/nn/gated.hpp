// The gated activation unit of Gated PixelCNN (van den Oord et al. 2016, "Conditional Image
// Generation with PixelCNN Decoders", eq. 2), over NC…-ordered activations:
//
//   x (B, 2F, S) holds, per example, a = channels [0, F) and g = channels [F, 2F);
//   y (B, F, S) = tanh(a) ⊙ σ(g)
//   backward:  da = dy ⊙ σ(g) (1 − tanh² a),   dg = dy ⊙ tanh(a) σ(g) (1 − σ(g))
//
// Loops over one exp approximation (Cody–Waite reduction and a degree-6 polynomial, relative
// error ≈ 2e-7) on explicit 8-float vectors (gated.cpp says why); tanh a = 2σ(2a) − 1. Elementwise, so
// the result does not depend on the thread count. The reference is ref::gated_forward.
#pragma once

#include <cstdint>

namespace gm::nn {

void gated_forward(const float* x, float* y, int64_t B, int64_t F, int64_t S);
// dx (B, 2F, S); x is forward's input. dx must not alias x or dy.
void gated_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t F, int64_t S);

}  // namespace gm::nn
