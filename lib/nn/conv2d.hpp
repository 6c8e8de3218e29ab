// 2-D convolution and transposed convolution on NCHW activations, square kernel K, stride S,
// symmetric zero padding P. One implementation, two faces.
//
// Conv2d           x (B, Ci, H, W) → y (B, Co, OH, OW),  OH = (H + 2P − K) / S + 1
//                  y[b,o,i,j] = bias[o] + Σ_{c,u,v} w[o,c,u,v] · x[b, c, S·i − P + u, S·j − P + v]
//                  weight (Co, Ci, K, K) = oneDNN oihw.
// ConvTranspose2d  the adjoint of that map (the gradient of a convolution w.r.t. its input):
//                  every input pixel scatters w[c,o,:,:]·x into a K×K window of the output,
//                  OH = (H − 1)·S − 2P + K.  oneDNN deconvolution; weight (Ci, Co, K, K),
//                  PyTorch's layout, which is oneDNN's iohw.
//
// backward writes dx (skipped when null) and adds dW, db into the store's gradients
// (oneDNN overwrites its diff_weights, so they pass through a per-call temporary).
// Tags are pinned to plain layouts so that parameters and activations never need a reorder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

namespace detail {
class PlanCache;
}

struct ConvSpec {
  int64_t in_ch = 0, out_ch = 0, kernel = 0;
  int64_t stride = 1, padding = 0;
  bool bias = true;
};

class Conv2d {
 public:
  // Registers "<name>.weight" and, with bias, "<name>.bias" (Co).
  Conv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec);
  ~Conv2d();
  Conv2d(Conv2d&&) noexcept;
  Conv2d& operator=(Conv2d&&) noexcept;

  // PyTorch's default: U(±1/√fan_in) with fan_in from the weight shape (see init.hpp).
  void init(Rng& rng);
  // Output height (or width) for an input of size n; throws if it would be < 1.
  int64_t out_size(int64_t n) const;

  // x (B, Ci, H, W) → y (B, Co, out_size(H), out_size(W)). Thread-safe.
  void forward(const float* x, float* y, int64_t B, int64_t H, int64_t W) const;
  // Training only. x is forward's input, dy (B, Co, OH, OW), dx (B, Ci, H, W) or null.
  void backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W);
  // dx only, no parameter gradients (see Linear::backward_data). Thread-safe.
  void backward_data(const float* dy, float* dx, int64_t B, int64_t H, int64_t W) const;

  const ConvSpec& spec() const { return spec_; }
  bool transposed() const { return transposed_; }
  ParamId weight() const { return w_; }
  ParamId bias() const { return b_; }

 protected:
  Conv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec, bool transposed);

 private:
  ParameterStore* store_;
  ConvSpec spec_;
  bool transposed_;
  ParamId w_, b_;
  std::unique_ptr<detail::PlanCache> fwd_, bwd_data_, bwd_weights_;
};

class ConvTranspose2d : public Conv2d {
 public:
  ConvTranspose2d(ParameterStore& store, const std::string& name, const ConvSpec& spec)
      : Conv2d(store, name, spec, true) {}
};

}  // namespace gm::nn
