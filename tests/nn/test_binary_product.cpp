#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/binary_product.hpp"
#include "nn/compute.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {

// A binary matrix with about `density` ones, with some all-zero and all-one rows.
Vec random_binary(int64_t n, int64_t k, double density, uint64_t seed) {
  gm::Rng rng(seed, 7);
  Vec x(static_cast<std::size_t>(n * k));
  for (auto& v : x) v = rng.uniform() < density ? 1.0f : 0.0f;
  if (n > 2) {
    std::fill(x.begin(), x.begin() + k, 0.0f);
    std::fill(x.begin() + k, x.begin() + 2 * k, 1.0f);
  }
  return x;
}

// The dense products in double: Y = bias + X · Wt (masked to j < i when lower), G = Xᵀ · Δ.
Vec reference_forward(const Vec& x, const Vec& wt, const Vec& bias, int64_t n, int64_t k, int64_t N, bool lower) {
  Vec y(static_cast<std::size_t>(n * N));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < N; ++i) {
      double s = bias.empty() ? 0.0 : bias[i];
      for (int64_t j = 0; j < k; ++j)
        if (!lower || j < i) s += double(x[r * k + j]) * wt[j * N + i];
      y[r * N + i] = static_cast<float>(s);
    }
  return y;
}

}  // namespace

TEST_CASE("binary_matmul: matches the dense product, every shape and thread count") {
  struct Shape {
    int64_t n, k, N;
  };
  for (const Shape s : {Shape{1, 1, 1}, Shape{5, 7, 3}, Shape{37, 300, 130}, Shape{64, 784, 400}, Shape{3, 50, 64}}) {
    for (int threads : {1, 2}) {
      ComputeScope scope(threads);
      CAPTURE(s.n);
      CAPTURE(s.k);
      CAPTURE(s.N);
      CAPTURE(threads);
      const Vec x = random_binary(s.n, s.k, 0.31, 1);
      const Vec wt = randn(s.k * s.N, 2), bias = randn(s.N, 3);
      BinaryRows rows;
      rows.assign(x.data(), s.n, s.k, s.k);
      Vec y(static_cast<std::size_t>(s.n * s.N), -7.0f);
      binary_matmul(rows, wt.data(), s.N, s.N, bias.data(), y.data(), s.N);
      CHECK(rel_err(y, reference_forward(x, wt, bias, s.n, s.k, s.N, false)) < 1e-5);
      binary_matmul(rows, wt.data(), s.N, s.N, nullptr, y.data(), s.N);
      CHECK(rel_err(y, reference_forward(x, wt, {}, s.n, s.k, s.N, false)) < 1e-5);
    }
  }
}

TEST_CASE("binary_matmul: strictly lower matches the masked dense product") {
  for (const int64_t d : {1, 2, 63, 64, 65, 200, 784}) {
    for (int threads : {1, 2}) {
      ComputeScope scope(threads);
      CAPTURE(d);
      const int64_t n = 20;
      const Vec x = random_binary(n, d, 0.4, 11);
      Vec wt = randn(d * d, 12);
      for (int64_t j = 0; j < d; ++j)
        for (int64_t i = 0; i <= j; ++i) wt[j * d + i] = 0.0f;  // the contract: zero on and above
      const Vec bias = randn(d, 13);
      BinaryRows rows;
      rows.assign(x.data(), n, d, d);
      Vec y(static_cast<std::size_t>(n * d));
      binary_matmul(rows, wt.data(), d, d, bias.data(), y.data(), d, true);
      CHECK(rel_err(y, reference_forward(x, wt, bias, n, d, d, true)) < 1e-5);
    }
  }
}

TEST_CASE("binary_matmul: results do not depend on the thread count") {
  const int64_t n = 100, k = 784, N = 400;
  const Vec x = random_binary(n, k, 0.31, 21), wt = randn(k * N, 22);
  BinaryRows rows;
  rows.assign(x.data(), n, k, k);
  Vec y1(n * N), y2(n * N);
  {
    ComputeScope one(1);
    binary_matmul(rows, wt.data(), N, N, nullptr, y1.data(), N);
  }
  {
    ComputeScope two(2);
    binary_matmul(rows, wt.data(), N, N, nullptr, y2.data(), N);
  }
  CHECK(y1 == y2);
}

TEST_CASE("binary_matmul: bad shapes are refused") {
  BinaryRows rows;
  CHECK_THROWS_AS(rows.assign(nullptr, -1, 3, 3), gm::Error);
  CHECK_THROWS_AS(rows.assign(nullptr, 1, 4, 3), gm::Error);
  const Vec x = random_binary(2, 3, 0.5, 1);
  rows.assign(x.data(), 2, 3, 3);
  Vec w(12), y(8);
  CHECK_THROWS_AS(binary_matmul(rows, w.data(), 4, 4, nullptr, y.data(), 3), gm::Error);
  CHECK_THROWS_AS(binary_matmul(rows, w.data(), 4, 4, nullptr, y.data(), 4, true), gm::Error);
}
