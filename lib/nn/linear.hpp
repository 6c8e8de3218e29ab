// Linear (fully connected) layer, I inputs → O outputs, W stored (O, I) like PyTorch.
//
//   forward   y (B, O) = x (B, I) · Wᵀ + b
//   backward  dx (B, I) = dy (B, O) · W          (skipped when dx is null: the first layer)
//             dW (O, I) += dyᵀ (O, B) · x (B, I)
//             db (O)    += Σ_b dy[b, :]
//
// All three products are one oneDNN matmul each with transposed strided views (no copies).
// Storing W as (O, I) rather than (I, O) avoided a slow large-power-of-two stride case
// measured at width 512 (DESIGN §8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/binary_product.hpp"
#include "nn/gemm.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

class Linear {
 public:
  // Registers "<name>.weight" (O, I) and, with bias, "<name>.bias" (O).
  Linear(ParameterStore& store, const std::string& name, int64_t in, int64_t out,
         bool bias = true);

  // PyTorch's default: W, b ~ U(±1/√I).
  void init(Rng& rng);

  // Thread-safe (reads parameters only).
  void forward(const float* x, float* y, int64_t B) const;
  // Training only: adds into the store's gradients. x is forward's input.
  void backward(const float* x, const float* dy, float* dx, int64_t B);
  // dx only, no parameter gradients: a GAN's generator step back-propagates through the
  // discriminator without needing (or paying for) the discriminator's weight gradients.
  void backward_data(const float* dy, float* dx, int64_t B) const;

  // Training on binary inputs (every value 0 or 1: binarised pixels). The same forward, and
  // backward with dx null (a first layer), through nn/binary_product.hpp, which adds the rows
  // of Wᵀ where x is 1 instead of multiplying by zeros: on binarised Fashion-MNIST (31% ones)
  // a vae's 784 → 400 layer runs several times faster (bench/RESULTS.md, vae). W stays the
  // parameter: forward_binary copies it into a Wᵀ scratch, and backward_binary forms the
  // gradient in Wᵀ's layout and adds its transpose into dW; each transpose costs a fraction
  // of the dense product. Not thread-safe (the layer owns the scratch): inference uses forward.
  void forward_binary(const BinaryRows& x, float* y);
  // After forward_binary(x): adds dW and db of the loss with gradient dy (B, O) at y.
  void backward_binary(const BinaryRows& x, const float* dy);

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  ParamId weight() const { return w_; }
  ParamId bias() const { return b_; }  // invalid without bias

 private:
  ParameterStore* store_;
  int64_t in_, out_;
  ParamId w_, b_;
  Gemm fwd_{false, true};                       // x · Wᵀ
  Gemm bwd_data_{false, false};                 // dy · W
  Gemm bwd_weights_{true, false, /*acc*/ true};  // dyᵀ · x, added into dW
  std::vector<float> wt_, gwt_;                  // (I, O) scratch of the binary-input path
  void add_bias_grad(const float* dy, int64_t B);
};

}  // namespace gm::nn
