// StarGAN's networks (Choi et al. 2018, appendix, scaled to small images), in one
// ParameterStore, registration order = file order: g.* then d.*, d_src.*, d_cls.*.
//
// Images C×S×S, S a multiple of 4; K domains.
//   G(x, c)  input: the C image channels, then K planes holding the one-hot target domain c
//            tiled over S×S ("domain tiling", generator_input below)
//            g.0  conv 7×7 s1 p3 (C+K → ngf)     IN ReLU
//            g.1  conv 4×4 s2 p1 (ngf → 2ngf)    IN ReLU       S/2
//            g.2  conv 4×4 s2 p1 (2ngf → 4ngf)   IN ReLU       S/4
//            g.3 .. g.(2+n_res)  residual blocks (4ngf), zero padding, affine IN
//            deconv 4×4 s2 p1 (4ngf → 2ngf)  IN ReLU           S/2
//            deconv 4×4 s2 p1 (2ngf → ngf)   IN ReLU           S
//            conv 7×7 s1 p3 (ngf → C)  tanh
//          No convolution of G has a bias (StarGAN's code: bias=False everywhere in G; before
//          an instance norm a bias would be removed by the mean anyway). Instance norms are
//          affine (the code's affine=True); they normalise with each image's own statistics in
//          training and inference alike (nn/instance_norm.hpp says why not running averages).
//   D(x)     d.0  conv 4×4 s2 p1 (C → ndf) LeakyReLU(0.01), then d.i conv 4×4 s2 p1 doubling
//            the channels, LeakyReLU(0.01); the trunk has n ≥ 2 such stages: two always
//            (S/4 is whole), then one more while the map is even and its half is ≥ 4
//            (28 → 14 → 7; 32 → 16 → 8 → 4; 8 → 4 → 2). The convolutions have a bias (the
//            code's). Two heads on the last map (side m, channels F = ndf·2ⁿ⁻¹), no bias:
//            d_src  conv 3×3 s1 p1 (F → 1): the real/fake patch map, P = m² scores
//            d_cls  conv m×m s1 p0 (F → K): the domain logits
//            No normalisation anywhere in D (the paper's): D is piecewise affine in its input,
//            which the gradient penalty's finite difference relies on (stargan.hpp).
// Initialisation: PyTorch's defaults (StarGAN's code does not change them); IN γ 1, β 0.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/generative_model.hpp"
#include "models/stargan/stargan_config.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::stargan {

struct Nets {
  nn::ParameterStore store;
  nn::Sequential g, d_trunk, d_src, d_cls;
  int64_t C = 0, S = 0, K = 0;  // image channels and side, domains
  int64_t map = 0;              // the side of D's last map
  int64_t patches() const { return map * map; }
  int64_t pixels() const { return C * S * S; }
  int64_t g_in() const { return (C + K) * S * S; }

  // Throws status (invalid_data at fit, corrupt_file at load) if the shape does not suit
  // the architecture.
  Nets(const Config& cfg, const DataShape& shape, Status status);
  Nets(const Nets&) = delete;
  Nets& operator=(const Nets&) = delete;

  void init(Rng& rng);
  nn::ParamSpan g_span() { return store.span(g.first_param(), g.last_param()); }
  nn::ParamSpan d_span() { return store.span(d_trunk.first_param(), d_cls.last_param()); }
};

// The checks fit and load share: square images of side S, S a multiple of 4 (throws status).
void check_shape(const DataShape& shape, Status status);

// The tensors a configuration and data shape imply, in registration order: restore()
// checks a file against this list before it allocates anything.
std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape);

// G's input for B rows: out (B, C + K, HW) holds row r's C image channels x (B, C·HW), then
// K planes, plane k all 1 if target[r] == k and 0 otherwise.
void generator_input(const float* x, const int32_t* target, int64_t B, int64_t C, int64_t HW, int64_t K, float* out);

}  // namespace gm::stargan
