#include "data/builtin.hpp"

#include "core/error.hpp"

namespace gm {

std::vector<float> bars_and_stripes_patterns(int n) {
  if (n < kMinBarsAndStripes || n > kMaxBarsAndStripes)
    fail(Status::invalid_argument, "bars-and-stripes size must be in [{}, {}], got {}", kMinBarsAndStripes,
         kMaxBarsAndStripes, n);
  const int d = n * n, families = 1 << n;
  std::vector<float> out;
  out.reserve(static_cast<size_t>((2 * families - 2) * d));
  for (int mask = 0; mask < families; ++mask)  // stripes: whole rows
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) out.push_back(static_cast<float>((mask >> r) & 1));
  for (int mask = 1; mask < families - 1; ++mask)  // bars: whole columns, blank and full excluded
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) out.push_back(static_cast<float>((mask >> c) & 1));
  return out;
}

Dataset bars_and_stripes(int n) {
  Dataset ds;
  ds.x = bars_and_stripes_patterns(n);
  ds.d = int64_t{n} * n;
  ds.n = static_cast<int64_t>(ds.x.size()) / ds.d;
  ds.image = ImageShape{1, n, n};
  return ds;
}

}  // namespace gm
