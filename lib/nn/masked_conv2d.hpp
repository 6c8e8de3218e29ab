// Masked convolutions for PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural
// Networks", §3.4; "Conditional Image Generation with PixelCNN Decoders", §2.2).
//
// A pixel model orders the values of an image: pixels in raster order, and within a pixel
// channel 0 < 1 < … < C−1 (R, G, B). A convolution whose output at pixel p must see only
// values before p (mask A, the first layer) or before and at p (mask B, every later layer)
// multiplies its weights by a fixed 0/1 mask:
//   - taps before the output's own tap (cu, cv) in raster order: 1;
//   - taps after it: 0;
//   - the tap (cu, cv) itself: feature maps are split into C groups, group g carrying what
//     channel g of the current pixel may depend on. Input channel c reaches output o iff
//     group(c) < group(o) (A) or group(c) ≤ group(o) (B).
// With C = 1, mask B at the centre is all ones and mask A all zeros.
//
// PixelCNN here (lib/models/pixelcnn_net.hpp) mostly avoids the taps-after-the-centre part
// with rectangular kernels (nn::ConvSpec kernel_h/kernel_w and one-sided padding), which do
// the same arithmetic on fewer taps; only the channel-group rule at the output tap remains.
// bench/pixelcnn measures the two (bench/RESULTS.md, "PixelCNN").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/conv2d.hpp"

namespace gm::nn {

enum class Mask { none, A, B };

// How n channels split into `groups` groups: channel i of n is in group (i mod m)·G / m with
// m = n / halves, so the groups are contiguous runs, and with halves = 2 (a gated
// pre-activation [a; g]) both halves share one grouping. n must be a multiple of halves.
struct ChannelGroups {
  int64_t groups = 1;
  int64_t halves = 1;
  int64_t of(int64_t i, int64_t n) const {
    const int64_t m = n / halves;
    return (i % m) * groups / m;
  }
};

// The 0/1 mask (Co, Ci, KH, KW) of a convolution whose output pixel sits at tap (cu, cv).
// Mask::none: taps after (cu, cv) are 0, the rest 1 (no channel rule).
std::vector<float> causal_mask(const ConvSpec& spec, int64_t cu, int64_t cv, Mask type, ChannelGroups in,
                               ChannelGroups out);

// A Conv2d whose weights are kept multiplied by a fixed mask: init and enforce() zero the
// masked weights, backward zeroes their gradients, so an optimiser never moves them (Adam's
// moments of a weight whose gradient is always 0 stay 0). An all-ones mask is dropped.
class MaskedConv2d {
 public:
  MaskedConv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec, std::vector<float> mask);

  void init(Rng& rng);
  // Zeroes the masked weights (after loading parameters from elsewhere).
  void enforce();
  void forward(const float* x, float* y, int64_t B, int64_t H, int64_t W) const { conv_.forward(x, y, B, H, W); }
  void backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W);
  void backward_data(const float* dy, float* dx, int64_t B, int64_t H, int64_t W) const {
    conv_.backward_data(dy, dx, B, H, W);
  }

  const Conv2d& conv() const { return conv_; }
  const std::vector<float>& mask() const { return mask_; }  // empty: all ones

 private:
  ParameterStore* store_;
  Conv2d conv_;
  std::vector<float> mask_;
};

}  // namespace gm::nn
