#include "nn/masked_conv2d.hpp"

#include <algorithm>
#include <utility>

#include "core/error.hpp"

namespace gm::nn {

std::vector<float> causal_mask(const ConvSpec& spec, int64_t cu, int64_t cv, Mask type, ChannelGroups in,
                               ChannelGroups out) {
  const int64_t Co = spec.out_ch, Ci = spec.in_ch, KH = spec.kh(), KW = spec.kw();
  if (cu < 0 || cu >= KH || cv < 0 || cv >= KW || Ci % in.halves != 0 || Co % out.halves != 0 ||
      in.groups != out.groups)
    fail(Status::invalid_argument, "causal_mask: tap ({}, {}) of a {}x{} kernel, channels {} → {}, groups {} / {}", cu,
         cv, KH, KW, Ci, Co, in.groups, out.groups);
  std::vector<float> mask(static_cast<std::size_t>(Co * Ci * KH * KW));
  for (int64_t o = 0; o < Co; ++o)
    for (int64_t c = 0; c < Ci; ++c)
      for (int64_t u = 0; u < KH; ++u)
        for (int64_t v = 0; v < KW; ++v) {
          bool on = u < cu || (u == cu && v < cv);
          if (u == cu && v == cv) {
            const int64_t gi = in.of(c, Ci), go = out.of(o, Co);
            on = type == Mask::none || (type == Mask::A ? gi < go : gi <= go);
          }
          mask[static_cast<std::size_t>(((o * Ci + c) * KH + u) * KW + v)] = on ? 1.0f : 0.0f;
        }
  return mask;
}

MaskedConv2d::MaskedConv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec,
                           std::vector<float> mask)
    : store_(&store), conv_(store, name, spec), mask_(std::move(mask)) {
  if (static_cast<int64_t>(mask_.size()) != store.size(conv_.weight()))
    fail(Status::invalid_argument, "masked conv2d {}: a mask of {} values for {} weights", name, mask_.size(),
         store.size(conv_.weight()));
  if (std::all_of(mask_.begin(), mask_.end(), [](float m) { return m == 1.0f; })) mask_.clear();
}

void MaskedConv2d::init(Rng& rng) {
  conv_.init(rng);
  enforce();
}

void MaskedConv2d::enforce() {
  float* w = store_->value(conv_.weight());
  for (std::size_t i = 0; i < mask_.size(); ++i) w[i] *= mask_[i];
}

void MaskedConv2d::backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W) {
  conv_.backward(x, dy, dx, B, H, W);
  float* g = store_->grad(conv_.weight());
  for (std::size_t i = 0; i < mask_.size(); ++i) g[i] *= mask_[i];
}

}  // namespace gm::nn
