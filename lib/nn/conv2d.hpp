// 2-D convolution and transposed convolution on NCHW activations, kernel KH × KW (square K
// by default), stride S, zero padding PT, PB (top, bottom) and PL, PR (left, right), all P
// by default. One implementation, two faces.
//
// Conv2d           x (B, Ci, H, W) → y (B, Co, OH, OW),  OH = (H + PT + PB − KH) / S + 1,
//                  OW = (W + PL + PR − KW) / S + 1
//                  y[b,o,i,j] = bias[o] + Σ_{c,u,v} w[o,c,u,v] · x[b, c, S·i − PT + u, S·j − PL + v]
//                  weight (Co, Ci, KH, KW) = oneDNN oihw.
// ConvTranspose2d  the adjoint of that map (the gradient of a convolution w.r.t. its input):
//                  every input pixel scatters w[c,o,:,:]·x into a KH×KW window of the output,
//                  OH = (H − 1)·S − PT − PB + KH.  oneDNN deconvolution; weight (Ci, Co, KH, KW),
//                  PyTorch's layout, which is oneDNN's iohw.
//
// Rectangular kernels with one-sided padding are PixelCNN's causal convolutions (nn.md;
// lib/models/pixelcnn_net.hpp): a (K/2+1)×K kernel padded K/2 on top and 0 below sees only
// the rows at and above its output row, a 1×(K/2+1) kernel padded K/2 on the left only the
// pixels at and left of its output pixel.
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
  // Rectangular kernels and per-side padding; the defaults mean "as kernel" / "as padding".
  int64_t kernel_h = 0, kernel_w = 0;                                    // 0: kernel
  int64_t pad_top = -1, pad_bottom = -1, pad_left = -1, pad_right = -1;  // -1: padding

  int64_t kh() const { return kernel_h > 0 ? kernel_h : kernel; }
  int64_t kw() const { return kernel_w > 0 ? kernel_w : kernel; }
  int64_t pt() const { return pad_top >= 0 ? pad_top : padding; }
  int64_t pb() const { return pad_bottom >= 0 ? pad_bottom : padding; }
  int64_t pl() const { return pad_left >= 0 ? pad_left : padding; }
  int64_t pr() const { return pad_right >= 0 ? pad_right : padding; }
};

class Conv2d {
 public:
  // Registers "<name>.weight" and, with bias, "<name>.bias" (Co).
  Conv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec);
  // A second face of `weights`' parameters (the same store, weight and bias) with other
  // padding and stride: PixelCNN's sampler runs a causal convolution on a window of rows
  // without its top padding. Kernel and channels must equal those of weights' spec.
  Conv2d(const Conv2d& weights, const ConvSpec& spec);
  ~Conv2d();
  Conv2d(Conv2d&&) noexcept;
  Conv2d& operator=(Conv2d&&) noexcept;

  // PyTorch's default: U(±1/√fan_in) with fan_in from the weight shape (see init.hpp).
  void init(Rng& rng);
  // Output height and width for an input of H rows (W columns); throw if they would be < 1.
  int64_t out_height(int64_t H) const;
  int64_t out_width(int64_t W) const;
  // The same for square kernels with the same padding on every side (throws otherwise).
  int64_t out_size(int64_t n) const;

  // x (B, Ci, H, W) → y (B, Co, out_height(H), out_width(W)). Thread-safe.
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
