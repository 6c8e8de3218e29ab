#include "data/transforms.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/rng.hpp"

namespace gm {

void binarize(Dataset& data, double threshold) {
  // Compare in float32: 128/255.0 rounded to float is exactly the float that pixel 128
  // scales to (128.0f / 255.0f), so "pixel >= 128" survives the round trip through [0,1].
  const float t = static_cast<float>(threshold);
  float* x = data.x.data();
  const int64_t count = static_cast<int64_t>(data.x.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) x[i] = x[i] >= t ? 1.0f : 0.0f;
  data.levels = 2;
}

void quantize(Dataset& data, int64_t levels) {
  if (levels < 2 || levels > limits::kMaxLevels)
    fail(Status::invalid_argument, "levels must be in [2, {}], got {}", limits::kMaxLevels, levels);
  float* x = data.x.data();
  const int64_t count = static_cast<int64_t>(data.x.size());
  // Values that are levels already — integers in [0, M), some above 1, as in a u1 .npy of
  // 8-bit pixels — are kept as they are: only they can be both, and [0, 1] data never are.
  bool levels_already = false, all_levels = true;
  for (int64_t i = 0; i < count && all_levels; ++i) {
    const float v = x[i];
    all_levels = v >= 0.0f && v < static_cast<float>(levels) && v == static_cast<float>(static_cast<int>(v));
    levels_already |= v > 1.0f;
  }
  if (all_levels && levels_already) {
    data.levels = levels;
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    if (!(x[i] >= 0.0f && x[i] <= 1.0f))  // NaN fails too
      fail(Status::invalid_data,
           "quantising to {} levels needs values in [0, 1] (or levels already: integers in [0, {})), but row {} "
           "column {} is {}: scale the data to [0, 1] first (image and IDX data are; .npy values are kept as stored)",
           levels, levels, i / data.d, i % data.d, x[i]);
  const double m = static_cast<double>(levels);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i)
    x[i] = static_cast<float>(std::min(m - 1.0, std::floor(static_cast<double>(x[i]) * m)));
  data.levels = levels;
}

void binarize_stochastic(Dataset& data, uint64_t seed) {
  // One stream per row: the draws of row i do not depend on thread count or schedule.
  float* x = data.x.data();
  const int64_t n = data.n, d = data.d;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<uint64_t>(i));
    float* row = x + i * d;
    for (int64_t j = 0; j < d; ++j) {
      const double p = std::clamp(static_cast<double>(row[j]), 0.0, 1.0);
      row[j] = rng.bernoulli(p) ? 1.0f : 0.0f;
    }
  }
}

void scale_to_symmetric(Dataset& data) {
  float* x = data.x.data();
  const int64_t count = static_cast<int64_t>(data.x.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) x[i] = 2.0f * x[i] - 1.0f;
}

void scale_bytes(const uint8_t* in, float* out, int64_t count) {
  // Divide rather than multiply by 1/255 so that k/255 is the correctly rounded value
  // (and byte 255 maps to exactly 1).
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(in[i]) / 255.0f;
}

}  // namespace gm
