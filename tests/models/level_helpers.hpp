// Oracles for models of M-level pixels (cap_levels) on a few dimensions: enumerate all M^D
// inputs, check that exp(log_prob) sums to 1, compare the sampler's joint and per-pixel
// frequencies with exp(log_prob) by chi-square. The binary oracles are exact_helpers.hpp's.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "exact_helpers.hpp"

namespace gm_test {

// Row k holds the base-M digits of k, pixel j = digit j; levels = M.
inline Rows all_level_inputs(int64_t d, int64_t m, ImageShape image = {}) {
  int64_t count = 1;
  for (int64_t j = 0; j < d; ++j) count *= m;
  Rows r{std::vector<float>(static_cast<std::size_t>(count * d)), count, d, image};
  for (int64_t k = 0; k < count; ++k) {
    int64_t rest = k;
    for (int64_t j = 0; j < d; ++j, rest /= m) r.x[static_cast<std::size_t>(k * d + j)] = static_cast<float>(rest % m);
  }
  return r;
}

inline int64_t level_index_of(const float* row, int64_t d, int64_t m) {
  int64_t k = 0;
  for (int64_t j = d - 1; j >= 0; --j) k = k * m + static_cast<int64_t>(row[j]);
  return k;
}

// Correlated M-level rows: each pixel copies its left neighbour with probability 0.6, else
// draws from a per-pixel distribution skewed towards one level, so every family of model has
// structure to learn.
inline Rows random_levels(int64_t n, int64_t d, int64_t m, uint64_t seed, ImageShape image = {}) {
  Rows r{std::vector<float>(static_cast<std::size_t>(n * d)), n, d, image};
  Rng bias_rng(seed, ~uint64_t{0});
  std::vector<int64_t> mode(static_cast<std::size_t>(d));
  for (int64_t& v : mode) v = static_cast<int64_t>(bias_rng.uniform() * static_cast<double>(m)) % m;
  for (int64_t i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < d; ++j) {
      float& x = r.x[static_cast<std::size_t>(i * d + j)];
      if (j > 0 && rng.uniform() < 0.6)
        x = r.x[static_cast<std::size_t>(i * d + j - 1)];
      else if (rng.uniform() < 0.5)
        x = static_cast<float>(mode[static_cast<std::size_t>(j)]);
      else
        x = static_cast<float>(static_cast<int64_t>(rng.uniform() * static_cast<double>(m)) % m);
    }
  }
  return r;
}

// log p(x) for all M^D inputs, in level_index_of order, passing levels = M in the view.
inline std::vector<double> all_level_log_probs(const GenerativeModel& model, int64_t d, int64_t m,
                                               ImageShape image = {}) {
  const Rows all = all_level_inputs(d, m, image);
  DataView v = all.view();
  v.levels = m;
  std::vector<double> lp(static_cast<std::size_t>(all.n));
  model.log_prob(v, EvalOptions{}, lp.data());
  return lp;
}

inline double total_level_probability(const GenerativeModel& model, int64_t d, int64_t m, ImageShape image = {}) {
  double total = 0.0;
  for (double lp : all_level_log_probs(model, d, m, image)) total += std::exp(lp);
  return total;
}

// n samples with a fixed seed against exp(log_prob): the joint over all M^D configurations,
// and every pixel's histogram against its exact marginal (summed from the joint).
inline void check_level_sampler(const GenerativeModel& model, int64_t d, int64_t m, int64_t n, uint64_t seed,
                                ImageShape image = {}) {
  std::vector<float> out(static_cast<std::size_t>(n * d));
  SampleOptions s;
  s.seed = seed;
  model.sample(n, s, out.data());
  const std::vector<double> lp = all_level_log_probs(model, d, m, image);
  std::vector<double> joint;
  for (double v : lp) joint.push_back(std::exp(v));
  std::vector<int64_t> counts(joint.size(), 0);
  bool valid = true;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = &out[static_cast<std::size_t>(i * d)];
    for (int64_t j = 0; j < d; ++j)
      if (!(row[j] >= 0.0f && row[j] < static_cast<float>(m) && row[j] == std::floor(row[j]))) valid = false;
    if (valid) ++counts[static_cast<std::size_t>(level_index_of(row, d, m))];
  }
  REQUIRE(valid);
  {
    INFO("joint distribution over all " << joint.size() << " configurations");
    check_frequencies(counts, joint, n);
  }
  const Rows all = all_level_inputs(d, m);
  for (int64_t j = 0; j < d; ++j) {
    INFO("marginal of pixel " << j);
    std::vector<double> marginal(static_cast<std::size_t>(m), 0.0);
    std::vector<int64_t> histogram(static_cast<std::size_t>(m), 0);
    for (int64_t k = 0; k < all.n; ++k)
      marginal[static_cast<std::size_t>(all.x[static_cast<std::size_t>(k * d + j)])] +=
          joint[static_cast<std::size_t>(k)];
    for (int64_t i = 0; i < n; ++i) ++histogram[static_cast<std::size_t>(out[static_cast<std::size_t>(i * d + j)])];
    check_frequencies(histogram, marginal, n);
  }
}

}  // namespace gm_test
