// Puzzle-GAN's configuration (puzzlegan.hpp has the model): the parts, the network widths, the
// loss weights and the optimiser.
#pragma once

#include <cstdint>

#include "core/config.hpp"
#include "models/puzzlegan/puzzlegan_parts.hpp"

namespace gm::puzzlegan {

inline constexpr int64_t kMaxParts = 64;  // parts per image, at fit and in complete_from_parts

struct Config {
  int64_t parts = 3;                            // K key patches per training image
  int64_t patch_size = 8;                       // P: each patch is C×P×P
  KeyPatches key_patches = KeyPatches::object;  // where training patches are cut
  int64_t nef = 32, ngf = 32, ndf = 32;
  int64_t noise = 16;  // z: noise planes tiled over G's S/4 × S/4 input
  float lambda_mask = 1.0f, lambda_appearance = 10.0f, lambda_rec = 100.0f;
  float lr = 2e-4f, beta1 = 0.5f, beta2 = 0.999f;
};

// Reads and validates; effective receives the configuration with defaults filled in.
Config read_config(const Json& given, Json& effective);
const Schema& schema();

}  // namespace gm::puzzlegan
