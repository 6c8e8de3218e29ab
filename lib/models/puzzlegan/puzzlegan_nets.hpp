// Puzzle-GAN's networks (Lee et al. 2018, scaled to small images), in one ParameterStore,
// registration order = file order: e.*, m.*, g.* (the generator side, one optimiser), d.*.
//
// Images C×S×S, S a multiple of 4; parts of P×P placed on (C + 1)×S×S canvases
// (puzzlegan_parts.hpp); F = 2·nef encoded channels, N = noise planes.
//   E  (shared by the parts)  e.0 conv 4×4 s2 p1 (C+1 → nef) LeakyReLU(0.2)        S/2
//                             e.1 conv 4×4 s2 p1 (nef → F)   LeakyReLU(0.2)        S/4
//      the parts' codes are averaged: h = (1/k) Σ_j E(canvas_j), F×S/4×S/4 — any number of
//      parts k gives a code of the same size and scale, in no particular order.
//   M  (mask generator, on h) m.0 deconv 4×4 s2 p1 (F → nef) ReLU                 S/2
//                             m.1 deconv 4×4 s2 p1 (nef → 1), logits of the mask  S
//   G  (image generator, on [h | z], z tiled)
//                             g.0 conv 3×3 s1 p1 (F+N → 4ngf)   IN ReLU           S/4
//                             g.1 deconv 4×4 s2 p1 (4ngf → 2ngf) IN ReLU          S/2
//                             g.2 deconv 4×4 s2 p1 (2ngf → ngf) IN ReLU           S
//                             g.3 conv 3×3 s1 p1 (ngf → C) tanh                    S
//   D  (a patch discriminator) d.0 conv 4×4 s2 p1 (C → ndf) LeakyReLU(0.2)        S/2
//                             d.1 conv 4×4 s2 p1 (ndf → 2ndf) LeakyReLU(0.2)      S/4
//                             d.2 conv 3×3 s1 p1 (2ndf → 1): (S/4)² scores
// G's instance norms are affine and, without a bias before them, its convolutions have none.
// Initialisation: PyTorch's defaults; IN γ 1, β 0.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/generative_model.hpp"
#include "models/puzzlegan/puzzlegan_config.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::puzzlegan {

struct Nets {
  nn::ParameterStore store;
  nn::Sequential e, m, g, d;
  int64_t C = 0, S = 0, P = 0, F = 0, N = 0;
  int64_t pixels() const { return C * S * S; }
  int64_t canvas() const { return (C + 1) * S * S; }
  int64_t code() const { return F * (S / 4) * (S / 4); }
  int64_t g_in() const { return (F + N) * (S / 4) * (S / 4); }
  int64_t scores() const { return (S / 4) * (S / 4); }

  // Throws status (invalid_data at fit, corrupt_file at load) if the shape does not suit.
  Nets(const Config& cfg, const DataShape& shape, Status status);
  Nets(const Nets&) = delete;
  Nets& operator=(const Nets&) = delete;

  void init(Rng& rng);
  nn::ParamSpan g_span() { return store.span(e.first_param(), g.last_param()); }
  nn::ParamSpan d_span() { return store.span(d.first_param(), d.last_param()); }
};

// Square images whose side is a multiple of 4 and at least patch_size (throws status).
void check_shape(const Config& cfg, const DataShape& shape, Status status);

// The tensors a configuration and data shape imply, in registration order.
std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape);

// G's input for B rows: out (B, F + N, Q) holds row b's F code channels h (B, F·Q), then N
// planes, plane i all z_bi (z: (B, N)); Q = (S/4)².
void generator_input(const float* h, const float* z, int64_t B, int64_t F, int64_t N, int64_t Q, float* out);

}  // namespace gm::puzzlegan
