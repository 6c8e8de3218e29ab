// Linear (fully connected) layer, I inputs → O outputs, W stored (O, I) like PyTorch.
//
//   forward   y (B, O) = x (B, I) · Wᵀ + b
//   backward  dx (B, I) = dy (B, O) · W          (skipped when dx is null: the first layer)
//             dW (O, I) += dyᵀ (O, B) · x (B, I)
//             db (O)    += Σ_b dy[b, :]
//
// All three products are one oneDNN matmul each with transposed strided views (no copies).
// Storing W as (O, I) rather than (I, O) avoided a slow large-power-of-two stride case
// measured at width 512 (docs/nn.md).
#pragma once

#include <cstdint>
#include <string>

#include "core/rng.hpp"
#include "nn/gemm.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

class Linear {
 public:
  // Registers "<name>.weight" (O, I) and, with bias, "<name>.bias" (O).
  Linear(ParameterStore& store, const std::string& name, int64_t in, int64_t out, bool bias = true);

  // PyTorch's default: W, b ~ U(±1/√I).
  void init(Rng& rng);

  // Thread-safe (reads parameters only).
  void forward(const float* x, float* y, int64_t B) const;
  // Training only: adds into the store's gradients. x is forward's input.
  void backward(const float* x, const float* dy, float* dx, int64_t B);
  // dx only, no parameter gradients: a GAN's generator step back-propagates through the
  // discriminator without needing (or paying for) the discriminator's weight gradients.
  void backward_data(const float* dy, float* dx, int64_t B) const;

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  ParamId weight() const { return w_; }
  ParamId bias() const { return b_; }  // invalid without bias

 private:
  ParameterStore* store_;
  int64_t in_, out_;
  ParamId w_, b_;
  Gemm fwd_{false, true};                        // x · Wᵀ
  Gemm bwd_data_{false, false};                  // dy · W
  Gemm bwd_weights_{true, false, /*acc*/ true};  // dyᵀ · x, added into dW
};

}  // namespace gm::nn
