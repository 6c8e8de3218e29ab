// Shared by the nn suites: random data, error measures and the finite-difference check.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/rng.hpp"

namespace nntest {

using Vec = std::vector<float>;

inline Vec randn(int64_t n, uint64_t seed, float scale = 1.0f) {
  gm::Rng rng(seed, 1);
  Vec v(static_cast<std::size_t>(n));
  for (auto& x : v) x = scale * static_cast<float>(rng.normal());
  return v;
}

inline Vec randu(int64_t n, uint64_t seed, float lo, float hi) {
  gm::Rng rng(seed, 2);
  Vec v(static_cast<std::size_t>(n));
  for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(rng.uniform());
  return v;
}

// max_i |a_i − b_i| / max_i |b_i|: the error relative to the size of the answer (an
// ordering-of-sums difference in a long dot product is small against the largest value).
inline double rel_err(const float* a, const float* b, std::size_t n) {
  double diff = 0, scale = 1e-30;
  for (std::size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return diff / scale;
}
inline double rel_err(const Vec& a, const Vec& b) {
  REQUIRE(a.size() == b.size());
  return rel_err(a.data(), b.data(), a.size());
}

// Σ r_i y_i in double: a scalar objective whose gradient w.r.t. y is r.
inline double dot(const Vec& r, const float* y) {
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) s += double(r[i]) * y[i];
  return s;
}

// Central differences of loss() w.r.t. each of the n values at p, compared with analytic.
// Per element the error is |a − num| / max(|a|, |num|, 0.05·max|num|): a wrong sign, a
// missing term or a transposed index gives O(1), f32 rounding and O(eps²) truncation ~1e-3.
inline double grad_check(float* p, const float* analytic, int64_t n, const std::function<double()>& loss,
                         float eps = 1e-2f) {
  std::vector<double> num(static_cast<std::size_t>(n));
  double scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float saved = p[i];
    p[i] = saved + eps;
    const double up = loss();
    p[i] = saved - eps;
    const double down = loss();
    p[i] = saved;
    num[static_cast<std::size_t>(i)] = (up - down) / (2.0 * eps);
    scale = std::max(scale, std::fabs(num[static_cast<std::size_t>(i)]));
  }
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = analytic[i], g = num[static_cast<std::size_t>(i)];
    const double denom = std::max({std::fabs(a), std::fabs(g), 0.05 * scale, 1e-6});
    worst = std::max(worst, std::fabs(a - g) / denom);
  }
  return worst;
}

}  // namespace nntest
