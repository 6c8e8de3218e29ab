// Equalised learning rate (Karras et al. 2018, "Progressive Growing of GANs", §4.1): weights
// are stored as w ~ N(0, 1) and used as ŵ = c·w, c = gain / √fan_in (He's constant), so every
// layer's weights move at the same relative speed under Adam whatever their fan-in. The bias is
// not scaled.
//
//   forward   y = layer(x; ŵ) + b = layer(c·x; w) + b    (a linear layer: scaling its weights
//                                                          or its input is the same map)
//   backward  dx = c · layerᵀ(dy; w)
//             dw += layer_w(c·x, dy) = c · ∂L/∂ŵ          (the gradient w.r.t. the stored weights)
//             db += Σ dy                                  (unscaled)
//
// A wrapper, not an option inside Linear / Conv2d: the equalised layer is the plain layer run
// on c·x, with dx scaled by c after. That costs one scaled copy of the input per forward and per
// backward (B·in floats, in a buffer of the calling thread) and one pass over dx, and leaves the
// plain layers' code, speed and behaviour exactly as they were. Scaling the weights instead
// would cost a copy of all the weights per call (the bias is fused into oneDNN's forward, so
// the scale cannot simply go on the output): 4 M floats for ProGAN's 512 → 4·4·512 first layer
// against 32 K for its input at batch 64; oneDNN 2.6 has no scale attribute on its backward
// primitives. The stored tensors are the plain layer's (same names, shapes and order), holding
// N(0, 1) values, as the official code and its PyTorch ports store them.
//
// fan_in: I for Linear, Ci·KH·KW for Conv2d and for ConvTranspose2d too — the official code's
// upscale2d_conv2d uses kernel²·Ci; with it, a 4×4 ConvTranspose2d on a 1×1 latent at gain √2
// is the official first dense layer at its gain √2/4 (fan_in 16·Ci against Ci).
// gain √2 for layers followed by (leaky) ReLU, 1 for the last ones (toRGB, the D's score).
#pragma once

#include <cstdint>
#include <string>

#include "core/rng.hpp"
#include "nn/conv2d.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

constexpr float kHeGain = 1.41421356f;  // √2

// He's constant c = gain / √fan_in (throws invalid_argument unless fan_in ≥ 1 and gain > 0).
float he_scale(int64_t fan_in, float gain = kHeGain);

// out (n) = c·in (n): the equalised layers' input copy. out may alias in.
void scale_copy(const float* in, float c, float* out, int64_t n);

// The paper's initialisation of an equalised layer: weight ~ N(0, 1), bias (if valid) = 0.
void init_equalized(ParameterStore& store, ParamId weight, ParamId bias, Rng& rng);

class EqualizedLinear {
 public:
  // Registers "<name>.weight" (O, I) and, with bias, "<name>.bias" (O), as Linear does.
  EqualizedLinear(ParameterStore& store, const std::string& name, int64_t in, int64_t out, bool bias = true,
                  float gain = kHeGain);

  // w ~ N(0, 1), b = 0 (the paper's initialisation; the scale does the rest).
  void init(Rng& rng);

  // y (B, O) = c·x·Wᵀ + b. Thread-safe.
  void forward(const float* x, float* y, int64_t B) const;
  // dx (B, I) written when not null; dW += c·dyᵀ·x, db += Σ dy. x is forward's input.
  void backward(const float* x, const float* dy, float* dx, int64_t B);
  // dx only, no parameter gradients. Thread-safe.
  void backward_data(const float* dy, float* dx, int64_t B) const;

  float scale() const { return scale_; }
  const Linear& layer() const { return layer_; }
  ParamId weight() const { return layer_.weight(); }
  ParamId bias() const { return layer_.bias(); }

 private:
  ParameterStore* store_;
  Linear layer_;
  float scale_;
};

class EqualizedConv2d {
 public:
  // A Conv2d, or with transposed a ConvTranspose2d, registering what that layer registers.
  EqualizedConv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec, bool transposed = false,
                  float gain = kHeGain);

  void init(Rng& rng);  // w ~ N(0, 1), b = 0

  int64_t out_height(int64_t H) const { return layer_.out_height(H); }
  int64_t out_width(int64_t W) const { return layer_.out_width(W); }
  // x (B, Ci, H, W) → y (B, Co, OH, OW) with weights c·w. Thread-safe.
  void forward(const float* x, float* y, int64_t B, int64_t H, int64_t W) const;
  // dx written when not null; dw += c·∂L/∂ŵ, db += Σ dy. x is forward's input.
  void backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W);
  void backward_data(const float* dy, float* dx, int64_t B, int64_t H, int64_t W) const;

  float scale() const { return scale_; }
  const Conv2d& layer() const { return layer_; }
  ParamId weight() const { return layer_.weight(); }
  ParamId bias() const { return layer_.bias(); }

 private:
  ParameterStore* store_;
  Conv2d layer_;
  float scale_;
};

// The equalised layers' fan-in (see above): I for Linear, Ci·KH·KW for either convolution.
int64_t equalized_fan_in(const ConvSpec& spec);

}  // namespace gm::nn
