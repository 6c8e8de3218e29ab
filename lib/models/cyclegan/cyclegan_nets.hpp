// cyclegan's four networks (Zhu et al. 2017, appendix 7.2, scaled to small images), all in one
// ParameterStore, registered in this order (= file order): g (G: a → b), f (F: b → a),
// da (D_a: is this an a image?), db (D_b). For C×H×W images with H, W multiples of 4 and at
// least 8, k = ngf:
//
//   G, F   c7s1-k   reflection pad 3, conv 7×7 (C → k), IN, ReLU
//          d2k      conv 3×3 s2 p1 (k → 2k), IN, ReLU                       H/2
//          d4k      conv 3×3 s2 p1 (2k → 4k), IN, ReLU                      H/4
//          R4k × n_res   residual blocks (reflection padding; nn/residual_block.hpp)
//          u2k      deconv 4×4 s2 p1 (4k → 2k), IN, ReLU                    H/2
//          uk       deconv 4×4 s2 p1 (2k → k), IN, ReLU                     H
//          c7s1-C   reflection pad 3, conv 7×7 (k → C) with bias, tanh
//   D_a, D_b  PatchGAN, m = ndf: conv 4×4 s2 p1 (C → m, bias) LeakyReLU 0.2 (no norm at the
//          input), conv 4×4 s2 p1 (m → 2m) IN LReLU, conv 4×4 s1 p1 (2m → 4m) IN LReLU,
//          conv 4×4 s1 p1 (4m → 1, bias): a (H/4 − 2) × (W/4 − 2) map of scores (5×5 at 28×28),
//          each judging a 34×34 receptive field — at 28×28 the whole image, so the patch map
//          is five-by-five overlapping views rather than the paper's 70×70 patches of 256².
//          Sides below 12 drop the second stride-2 convolution (m → 4m at H/2).
//
// Choices against the paper's code, and why:
//  - Upsampling is a 4×4 stride-2 transposed convolution with padding 1, which doubles the
//    size exactly; the paper's 3×3 with output_padding 1 does too, but our convolution kit has
//    no output padding.
//  - The PatchGAN has one stride-2 stage fewer (28 is too small for three).
//  - No bias before an instance norm: its mean subtraction removes any per-channel constant
//    (the code has one, and it receives a zero gradient).
//  - Instance norm without γ, β (the code's default, affine=False).
//  - Weights N(0, 0.02), biases 0 (the code's init_type "normal").
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/cyclegan/cyclegan_config.hpp"
#include "models/generative_model.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::cyclegan {

struct Nets {
  nn::ParameterStore store;
  nn::Sequential g, f, da, db;

  // Throws status (invalid_data at fit, corrupt_file at load) if the shape does not suit.
  Nets(const Config& cfg, const DataShape& shape, Status status);
  Nets(const Nets&) = delete;
  Nets& operator=(const Nets&) = delete;

  void init(Rng& rng);
  // The generators' (G and F) and the discriminators' (D_a and D_b) parameters: the spans
  // their two optimisers step.
  nn::ParamSpan generator_span() { return store.span(g.first_param(), f.last_param()); }
  nn::ParamSpan discriminator_span() { return store.span(da.first_param(), db.last_param()); }
  // Scores per image in a discriminator's patch map.
  int64_t patches() const { return da.out_size(); }
};

// The tensors a configuration and data shape imply, in registration order.
std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape);

}  // namespace gm::cyclegan
