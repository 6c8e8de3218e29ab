// Oracles for models with an exact log_prob on a few binary dimensions: enumerate all 2^D
// inputs, compare sampler and completion frequencies with exp(log_prob) by chi-square, and
// copy tensors into an unaligned buffer the way a model file hands them back.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/generative_model.hpp"

namespace gm_test {

using namespace gm;

template <typename F>
Status status_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

template <typename F>
std::string message_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// An owned (N, D) float array and its view.
struct Rows {
  std::vector<float> x;
  int64_t n = 0, d = 0;
  ImageShape image;
  DataView view() const {
    DataView v;
    v.x = x.data();
    v.n = n;
    v.d = d;
    v.image = image;
    return v;
  }
};

// Row m is the binary expansion of m, pixel j = bit j.
inline Rows all_inputs(int64_t d) {
  Rows r{std::vector<float>(static_cast<std::size_t>((int64_t{1} << d) * d)), int64_t{1} << d, d, {}};
  for (int64_t m = 0; m < r.n; ++m)
    for (int64_t j = 0; j < d; ++j) r.x[m * d + j] = static_cast<float>((m >> j) & 1);
  return r;
}

inline int64_t index_of(const float* row, int64_t d) {
  int64_t m = 0;
  for (int64_t j = 0; j < d; ++j) m |= static_cast<int64_t>(row[j] != 0.0f) << j;
  return m;
}

// Bars and stripes on a 3x3 grid: every row pattern with whole rows on or off, and every
// one with whole columns on or off; all-off and all-on appear in both, leaving 14.
inline Rows bars_and_stripes_3x3() {
  std::set<int64_t> seen;
  Rows r{{}, 0, 9, ImageShape{1, 3, 3}};
  for (int kind = 0; kind < 2; ++kind)
    for (int bits = 0; bits < 8; ++bits) {
      float img[9];
      for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x) img[y * 3 + x] = static_cast<float>((bits >> (kind ? x : y)) & 1);
      if (!seen.insert(index_of(img, 9)).second) continue;
      r.x.insert(r.x.end(), img, img + 9);
      ++r.n;
    }
  return r;
}

// Correlated binary rows: each pixel copies its left neighbour with probability 0.7, else
// is a fresh draw with a per-pixel bias, so chains of every order have something to learn.
inline Rows random_binary(int64_t n, int64_t d, uint64_t seed) {
  Rows r{std::vector<float>(static_cast<std::size_t>(n * d)), n, d, {}};
  Rng bias_rng(seed, ~uint64_t{0});
  std::vector<double> bias(static_cast<std::size_t>(d));
  for (double& b : bias) b = 0.1 + 0.8 * bias_rng.uniform();
  for (int64_t i = 0; i < n; ++i) {
    Rng rng(seed, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < d; ++j) {
      const bool copy = j > 0 && rng.uniform() < 0.7;
      r.x[i * d + j] = copy ? r.x[i * d + j - 1] : static_cast<float>(rng.bernoulli(bias[j]));
    }
  }
  return r;
}

// log p(x) for all 2^D inputs, in index_of order.
inline std::vector<double> all_log_probs(const GenerativeModel& m, int64_t d, int threads = 0) {
  const Rows all = all_inputs(d);
  std::vector<double> lp(static_cast<std::size_t>(all.n));
  EvalOptions e;
  e.threads = threads;
  m.log_prob(all.view(), e, lp.data());
  return lp;
}

inline double total_probability(const GenerativeModel& m, int64_t d) {
  double total = 0.0;
  for (double lp : all_log_probs(m, d)) total += std::exp(lp);
  return total;
}

// Pearson chi-square of observed counts against probabilities, and the worst bucket's
// deviation in sigmas. Buckets expecting fewer than 5 draws are pooled into one (the usual
// rule: the chi-square and normal approximations fail for tiny expected counts); a count
// in a p = 0 bucket fails outright.
inline void check_frequencies(const std::vector<int64_t>& counts, const std::vector<double>& probs, int64_t n) {
  const double total = static_cast<double>(n);
  std::vector<double> expected, observed;
  double pool_e = 0.0, pool_o = 0.0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    if (probs[b] <= 0.0) {
      CHECK(counts[b] == 0);
      continue;
    }
    const double e = total * probs[b], o = static_cast<double>(counts[b]);
    if (e < 5.0) {
      pool_e += e;
      pool_o += o;
    } else {
      expected.push_back(e);
      observed.push_back(o);
    }
  }
  if (pool_e > 0.0) {
    expected.push_back(pool_e);
    observed.push_back(pool_o);
  }
  double stat = 0.0, worst = 0.0;
  for (std::size_t b = 0; b < expected.size(); ++b) {
    const double diff = observed[b] - expected[b];
    stat += diff * diff / expected[b];
    worst = std::max(worst, std::fabs(diff) / std::sqrt(expected[b] * (1.0 - expected[b] / total) + 1e-300));
  }
  const double df = static_cast<double>(expected.size()) - 1.0;
  INFO("chi-square " << stat << " on " << df << " degrees of freedom (" << pool_e
                     << " expected draws pooled); worst bucket " << worst << " sigma");
  CHECK(stat <= df + 6.0 * std::sqrt(2.0 * df));
  // A lone pooled bucket of a few expected draws is Poisson, not normal: allow its tail.
  CHECK(worst < (pool_e > 0.0 && pool_e < 5.0 ? 5.0 + 5.0 / std::sqrt(pool_e) : 5.0));
}

// n samples with a fixed seed, bucketed by index_of, against exp(log_prob).
inline void check_sampler(const GenerativeModel& m, int64_t d, int64_t n, uint64_t seed) {
  std::vector<float> out(static_cast<std::size_t>(n * d));
  SampleOptions s;
  s.seed = seed;
  m.sample(n, s, out.data());
  std::vector<int64_t> counts(std::size_t{1} << d, 0);
  for (int64_t i = 0; i < n; ++i) ++counts[static_cast<std::size_t>(index_of(&out[i * d], d))];
  std::vector<double> probs;
  for (double lp : all_log_probs(m, d)) probs.push_back(std::exp(lp));
  check_frequencies(counts, probs, n);
}

// Completes n copies of `row` (unobserved entries set to NaN) under `mask` and compares
// the completions with p(x_u | x_o) ∝ exp(log_prob(x)) by enumeration.
inline void check_completion(const GenerativeModel& m, std::vector<float> row, const std::vector<uint8_t>& mask,
                             int64_t n, uint64_t seed) {
  const int64_t d = static_cast<int64_t>(row.size());
  for (int64_t j = 0; j < d; ++j)
    if (!mask[j]) row[j] = std::numeric_limits<float>::quiet_NaN();
  Rows in{{}, n, d, {}};
  std::vector<uint8_t> observed;
  for (int64_t i = 0; i < n; ++i) {
    in.x.insert(in.x.end(), row.begin(), row.end());
    observed.insert(observed.end(), mask.begin(), mask.end());
  }
  std::vector<float> out(in.x.size());
  SampleOptions s;
  s.seed = seed;
  m.complete(in.view(), observed.data(), s, out.data());

  std::vector<int64_t> counts(std::size_t{1} << d, 0);
  bool valid = true;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      const float v = out[i * d + j];
      if (mask[j] && v != row[j]) valid = false;
      if (v != 0.0f && v != 1.0f) valid = false;
    }
    ++counts[static_cast<std::size_t>(index_of(&out[i * d], d))];
  }
  CHECK(valid);
  const std::vector<double> lp = all_log_probs(m, d);
  std::vector<double> probs(lp.size(), 0.0);
  double z = 0.0;
  for (std::size_t x = 0; x < lp.size(); ++x) {
    bool consistent = true;
    for (int64_t j = 0; j < d; ++j)
      if (mask[j] && static_cast<float>((x >> j) & 1) != row[j]) consistent = false;
    if (consistent) z += probs[x] = std::exp(lp[x]);
  }
  for (double& p : probs) p /= z;
  check_frequencies(counts, probs, n);
}

// tensors() copied into one buffer at an odd offset (so every tensor is misaligned), the
// way a file reader may hand them to restore().
struct SavedTensors {
  std::vector<unsigned char> bytes;
  std::vector<TensorRef> refs;
};

inline SavedTensors save_unaligned(const GenerativeModel& m) {
  SavedTensors s;
  s.refs = m.tensors();
  std::size_t total = 1;
  for (const TensorRef& t : s.refs) total += t.bytes();
  s.bytes.resize(total);
  std::size_t offset = 1;
  for (TensorRef& t : s.refs) {
    std::memcpy(s.bytes.data() + offset, t.data, t.bytes());
    t.data = s.bytes.data() + offset;
    offset += t.bytes();
  }
  return s;
}

inline std::vector<float> sample_rows(const GenerativeModel& m, int64_t n, uint64_t seed, int threads) {
  std::vector<float> out(static_cast<std::size_t>(n * m.data_shape().d));
  SampleOptions s;
  s.seed = seed;
  s.threads = threads;
  m.sample(n, s, out.data());
  return out;
}

inline std::vector<double> log_probs(const GenerativeModel& m, const Rows& rows, int threads = 0) {
  std::vector<double> out(static_cast<std::size_t>(rows.n));
  EvalOptions e;
  e.threads = threads;
  m.log_prob(rows.view(), e, out.data());
  return out;
}

// A random observed mask (about half the pixels) and completions of every row of `rows`.
inline std::vector<float> complete_rows(const GenerativeModel& m, const Rows& rows, uint64_t seed, int threads,
                                        std::vector<uint8_t>* mask_out = nullptr) {
  std::vector<uint8_t> mask(rows.x.size());
  Rng rng(seed ^ 0x5bd1e995u, 99);
  for (uint8_t& o : mask) o = rng.bernoulli(0.5);
  std::vector<float> out(rows.x.size());
  SampleOptions s;
  s.seed = seed;
  s.threads = threads;
  m.complete(rows.view(), mask.data(), s, out.data());
  if (mask_out) *mask_out = mask;
  return out;
}

}  // namespace gm_test
