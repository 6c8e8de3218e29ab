// Transforms applied to loaded data in place.
#pragma once

#include <cstdint>

#include "data/dataset.hpp"

namespace gm {

// x >= threshold -> 1, else 0.
void binarize(Dataset& data, double threshold);
// [0,1] -> the M levels 0..M−1: level = min(M − 1, floor(x · M)), M in [2, 256], and
// data.levels = M (docs/levels.md). Equal bins of [0, 1]; on 8-bit pixels x = b/255 it gives
// b back for M = 256 and b >= 128 for M = 2 (binarize at 0.5). Data that are levels already
// (integers in [0, M), at least one above 1: a u1 .npy of 8-bit pixels with M = 256) are kept
// as they are. Throws invalid_data naming the first value outside [0, 1] (or NaN),
// invalid_argument for M out of range.
void quantize(Dataset& data, int64_t levels);
// x -> 1 with probability x (x clamped to [0,1]); row i uses RNG stream i of seed.
void binarize_stochastic(Dataset& data, uint64_t seed);
// [0,1] -> [-1,1]: x -> 2x - 1.
void scale_to_symmetric(Dataset& data);
// uint8 pixels -> [0,1]: x -> x / 255.
void scale_bytes(const uint8_t* in, float* out, int64_t count);

}  // namespace gm
