// Spatial mixing: a learned linear map across the S = H·W positions of each channel, shared by
// the channels of a group (the token mixing of MLP-Mixer, Tolstikhin et al. 2021, reduced to
// one matrix per group and kept residual):
//
//   y[b,c,:] = x[b,c,:] + M_g x[b,c,:],   M_g (S, S), g = c / (C / G), G groups
//   backward  dx[b,c,:] = dy[b,c,:] + M_gᵀ dy[b,c,:],   dM_g += Σ_{b, c ∈ g} dy[b,c,:] x[b,c,:]ᵀ
//
// Why: a convolutional network is translation-equivariant, and a 90° rotation or a mirror
// image moves every pixel by a distance that depends on where it is — nothing a stack of
// shared small kernels expresses. One S×S matrix expresses any permutation of positions
// exactly (M = P − I), and at a generator's bottleneck (7×7 cells of 4×4 pixels at 28×28)
// a rotation of the image is a permutation of the cells plus the same local rotation inside
// every cell, which the convolutions around it can learn (docs/gan.md, "Spatial mixing").
// Groups let a conditional generator (stargan) route content into the channels whose matrix
// does what the target domain needs.
//
// The weight is registered as "<name>.weight" (G, S, S) and initialised to zero: the layer
// starts as the identity. Products on nn::Gemm: one (B·C, S)·(S, S) product when G = 1, one per
// image and group otherwise. The reference is ref::spatial_mix_forward / _backward.
#pragma once

#include <cstdint>
#include <string>

#include "nn/gemm.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

class SpatialMix {
 public:
  // Throws invalid_config unless C ≥ 1, S ≥ 1, 1 ≤ G and G divides C.
  SpatialMix(ParameterStore& store, const std::string& name, int64_t C, int64_t S, int64_t G);

  // x, y (B, C, S); y must not alias x. Thread-safe.
  void forward(const float* x, float* y, int64_t B) const;
  // dx (B, C, S) written when not null (must not alias dy); with weights, dM added into the
  // store's gradient.
  void backward(const float* x, const float* dy, float* dx, int64_t B, bool weights = true);

  void init_zero();
  ParamId weight() const { return weight_; }
  int64_t channels() const { return C_; }
  int64_t positions() const { return S_; }
  int64_t groups() const { return G_; }

 private:
  ParameterStore* store_;
  int64_t C_, S_, G_;
  ParamId weight_;
  Gemm fwd_{false, true, true};     // y += x · Mᵀ   (y holds a copy of x)
  Gemm bwd_x_{false, false, true};  // dx += dy · M
  Gemm bwd_w_{true, false, true};   // dM += dyᵀ · x
};

}  // namespace gm::nn
