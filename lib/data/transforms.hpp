// Transforms applied to loaded data in place.
#pragma once

#include <cstdint>

#include "data/dataset.hpp"

namespace gm {

// x >= threshold -> 1, else 0.
void binarize(Dataset& data, double threshold);
// x -> 1 with probability x (x clamped to [0,1]); row i uses RNG stream i of seed.
void binarize_stochastic(Dataset& data, uint64_t seed);
// [0,1] -> [-1,1]: x -> 2x - 1.
void scale_to_symmetric(Dataset& data);
// uint8 pixels -> [0,1]: x -> x / 255.
void scale_bytes(const uint8_t* in, float* out, int64_t count);

}  // namespace gm
