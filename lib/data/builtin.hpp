// Built-in toy data sets with known answers, for tests and demos.
#pragma once

#include <vector>

#include "data/dataset.hpp"

namespace gm {

constexpr int kMinBarsAndStripes = 2, kMaxBarsAndStripes = 8;

// Bars and stripes (MacKay, "Information Theory, Inference, and Learning Algorithms", 2003):
// the n x n binary images whose rows are each all-on or all-off ("stripes"), or whose
// columns are ("bars"). Blank and full images belong to both families and appear once, so
// there are 2^(n+1) - 2 patterns: 30 for n = 4, and a model that learns their uniform
// distribution exactly has NLL = ln 30 nats.
// Order: the 2^n stripe patterns (row r on iff bit r of the index is set), then the
// 2^n - 2 bar patterns (column c on iff bit c), skipping blank and full. Row-major (P, n*n).
std::vector<float> bars_and_stripes_patterns(int n);

// Each pattern once, image shape 1 x n x n, unlabelled (the blank and full images belong to
// both families, so a family label would be ill-defined). n in [2, 8].
Dataset bars_and_stripes(int n);

}  // namespace gm
