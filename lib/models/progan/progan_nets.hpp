// ProGAN's networks (Karras et al. 2018, Table 2, at small widths), in one ParameterStore,
// registration order = file order: G's blocks and toRGB layers stage by stage, then D's.
//
// Images C×S×S, S = b·2^(K−1): b the base side (S halved while it stays even and ≥ 4: 28 → 7,
// 32 → 4, 64 → 4, 8 → 4), K stages of sides b, 2b, …, S. Stage k has f_k feature maps
// (progan_config.hpp). Every layer is equalised (w ~ N(0, 1) used as c·w, c = gain/√fan_in,
// gain √2 before a LeakyReLU(0.2), 1 for the toRGB and the score); no batch norm anywhere.
//   G  z (Z) pixel-normalised, then
//      g.block0   deconv b×b s1 p0 on the 1×1 latent (Z → f_0)   LReLU PN   b×b: the paper's
//                 dense 4×4 layer (nn/equalized_lr.hpp: same c) and its 7×7 analogue
//                 conv 3×3 p1 (f_0 → f_0)                       LReLU PN
//      g.block{k} nearest 2× upsample, conv 3×3 (f_{k−1} → f_k)  LReLU PN
//                 conv 3×3 (f_k → f_k)                          LReLU PN
//      g.to_rgb{k} conv 1×1 (f_k → C), linear output
//      At stage s with α: y = α·to_rgb_s(h_s) + (1 − α)·up(to_rgb_{s−1}(h_{s−1})).
//   D  d.from_rgb{k} conv 1×1 (C → f_k) LReLU
//      d.block{k} (k ≥ 1)  conv 3×3 (f_k → f_k) LReLU, conv 3×3 (f_k → f_{k−1}) LReLU, avg pool
//      the last block at b×b: minibatch stddev (f_0 → f_0 + 1 channels), then d.final:
//                 conv 3×3 (f_0 + 1 → f_0) LReLU, conv b×b p0 (f_0 → f_0) LReLU (the paper's
//                 dense layer on the 4×4 map), conv 1×1 on 1×1 (f_0 → 1): the score
//      At stage s with α: h = α·block_s(from_rgb_s(x)) + (1 − α)·from_rgb_{s−1}(pool(x)),
//      then block_{s−1} … block_1, the last block.
// D is convolutions, LeakyReLUs, average pools, the fade's blend and the minibatch stddev:
// piecewise linear except the last, which the gradient penalty's tangent pass treats
// exactly (progan_tangent.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/generative_model.hpp"
#include "models/progan/progan_config.hpp"
#include "models/progan/progan_schedule.hpp"
#include "nn/buffer.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::progan {

constexpr float kSlope = 0.2f;  // the paper's LeakyReLU

// The stages an image side allows: base side b and count K (throws status naming the sizes
// unless the shape is a square image of side ≥ 4).
struct Geometry {
  int64_t C = 0, S = 0, base = 0, stages = 0;
  int64_t side(int64_t k) const { return base << k; }
  int64_t pixels(int64_t k) const { return C * side(k) * side(k); }
};
Geometry geometry_of(const DataShape& shape, Status status);

// One G pass's activations (train or sample), sized on use.
struct GPass {
  std::vector<nn::SequentialWork> blocks;
  nn::SequentialWork rgb_new, rgb_old;
  nn::Buffer zn, up, out;                   // normalised z, the old path upsampled, the output
  nn::Buffer g_new, g_old, g_side, ga, gb;  // backward
  std::vector<const float*> h;              // h_k, block k's output
  Phase phase;
  int64_t B = 0;
};

// One D pass's activations, sized on use; each backward follows its forward.
struct DPass {
  std::vector<nn::SequentialWork> blocks;
  nn::SequentialWork rgb_new, rgb_old, last;
  nn::Buffer pooled, blend, feat;              // pool(x) (fading), the fade's output, mbstd's output
  nn::Buffer ga, gb, g_old, g_feat, d_pooled;  // backward
  std::vector<const float*> in;                // in[k]: block k's input
  const float* x = nullptr;
  const float* h0 = nullptr;  // the minibatch stddev's input (B, f_0, b, b)
  Phase phase;
  int64_t B = 0;
};

struct Nets {
  nn::ParameterStore store;
  std::vector<nn::Sequential> g_blocks, to_rgb, from_rgb, d_blocks;  // d_blocks[0] is empty
  nn::Sequential d_last;
  Geometry geo;
  int64_t Z = 0, group = 4;
  std::vector<int64_t> f;  // f_k
  // The real images shown to D over every fit: the growth state (progan_schedule.hpp). Here,
  // on the heap with the weights, because the model file's tensor views point at it and a
  // model's state moves between objects by moving its pointers (ModelKind::swap_state).
  int64_t images = 0;

  Nets(const Config& cfg, const DataShape& shape, Status status);
  Nets(const Nets&) = delete;
  Nets& operator=(const Nets&) = delete;

  void init(Rng& rng);
  nn::ParamSpan g_span() { return store.span(g_blocks[0].first_param(), to_rgb.back().last_param()); }
  nn::ParamSpan d_span() { return store.span(from_rgb[0].first_param(), d_last.last_param()); }
  int64_t widest() const;  // the most floats per row of any activation

  // G at phase ph on B latents z (B, Z): the image (B, C, side, side), valid until the next
  // pass with p. The const one is the inference path (thread-safe with distinct passes).
  const float* g_forward(const float* z, int64_t B, Phase ph, GPass& p);
  const float* g_forward(const float* z, int64_t B, Phase ph, GPass& p) const;
  // dy (B, C, side, side) is overwritten; G's parameter gradients are added.
  void g_backward(float* dy, GPass& p);

  // D at phase ph on x (B, C, side, side): the scores (B).
  const float* d_forward(const float* x, int64_t B, Phase ph, DPass& p);
  // dscore (B) overwritten; dx (B, C, side, side) written if not null; D's parameter
  // gradients added when weights.
  void d_backward(float* dscore, float* dx, DPass& p, bool weights);
  // The part below the minibatch stddev: from g (B, f_0, b, b), the gradient at its input
  // (overwritten), down to x.
  void d_backward_below(float* g, float* dx, DPass& p, bool weights);
};

// The tensors a configuration and data shape imply, in registration order.
PlannedTensors planned_tensors(const Config& cfg, const DataShape& shape);

}  // namespace gm::progan
