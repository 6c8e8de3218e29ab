#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "data/transforms.hpp"

namespace {

gm::Dataset rows(std::vector<float> x, int64_t d) {
  gm::Dataset ds;
  ds.n = static_cast<int64_t>(x.size()) / d;
  ds.d = d;
  ds.x = std::move(x);
  return ds;
}

}  // namespace

TEST_CASE("binarize: x >= threshold -> 1; pixel >= 128 survives the trip through [0,1]") {
  gm::Dataset ds = rows({0.0f, 0.49f, 0.5f, 0.51f, 1.0f, -2.0f}, 3);
  gm::binarize(ds, 0.5);
  CHECK(ds.x == std::vector<float>{0, 0, 1, 1, 1, 0});

  std::vector<uint8_t> bytes(256);
  for (int k = 0; k < 256; ++k) bytes[static_cast<size_t>(k)] = static_cast<uint8_t>(k);
  gm::Dataset px = rows(std::vector<float>(256), 256);
  gm::scale_bytes(bytes.data(), px.x.data(), 256);
  CHECK(px.x[255] == 1.0f);
  CHECK(px.x[0] == 0.0f);
  gm::binarize(px, 128 / 255.0);
  for (int k = 0; k < 256; ++k) CHECK(px.x[static_cast<size_t>(k)] == (k >= 128 ? 1.0f : 0.0f));
}

TEST_CASE("binarize_stochastic: reproducible per row, frequency matches the probability") {
  const int64_t n = 200, d = 100;
  gm::Dataset a = rows(std::vector<float>(static_cast<size_t>(n * d), 0.3f), d);
  for (int64_t i = 0; i < n; ++i) {
    a.x[static_cast<size_t>(i * d)] = 0.0f;       // p = 0: never 1
    a.x[static_cast<size_t>(i * d + 1)] = 1.0f;   // p = 1: always 1
    a.x[static_cast<size_t>(i * d + 2)] = 7.0f;   // clamped to 1
    a.x[static_cast<size_t>(i * d + 3)] = -1.0f;  // clamped to 0
  }
  gm::Dataset b = a;
  gm::binarize_stochastic(a, 42);
  gm::binarize_stochastic(b, 42);
  CHECK(a.x == b.x);
  double ones = 0;
  for (int64_t i = 0; i < n; ++i) {
    CHECK(a.x[static_cast<size_t>(i * d)] == 0.0f);
    CHECK(a.x[static_cast<size_t>(i * d + 1)] == 1.0f);
    CHECK(a.x[static_cast<size_t>(i * d + 2)] == 1.0f);
    CHECK(a.x[static_cast<size_t>(i * d + 3)] == 0.0f);
    for (int64_t j = 4; j < d; ++j) ones += a.x[static_cast<size_t>(i * d + j)];
  }
  // 19200 Bernoulli(0.3) draws: sd of the mean is 0.0033; allow 5 sd.
  CHECK(ones / (n * (d - 4)) == doctest::Approx(0.3).epsilon(0.055));

  // Row i depends only on (seed, i): binarising a truncated copy gives the same rows.
  gm::Dataset c = rows(std::vector<float>(static_cast<size_t>(10 * d), 0.3f), d);
  gm::binarize_stochastic(c, 42);
  for (int64_t j = 4; j < 10 * d; ++j)
    if (j % d >= 4) CHECK(c.x[static_cast<size_t>(j)] == a.x[static_cast<size_t>(j)]);
  gm::Dataset e = rows(std::vector<float>(static_cast<size_t>(10 * d), 0.3f), d);
  gm::binarize_stochastic(e, 43);
  CHECK(e.x != c.x);
}

TEST_CASE("scale_to_symmetric maps [0,1] to [-1,1]") {
  gm::Dataset ds = rows({0.0f, 0.5f, 1.0f}, 1);
  gm::scale_to_symmetric(ds);
  CHECK(ds.x == std::vector<float>{-1.0f, 0.0f, 1.0f});
}

TEST_CASE("quantize: equal bins of [0, 1]; 8-bit pixels come back exactly at M = 256; M = 2 is binarize 0.5") {
  std::vector<uint8_t> bytes(256);
  for (int k = 0; k < 256; ++k) bytes[static_cast<size_t>(k)] = static_cast<uint8_t>(k);
  gm::Dataset px = rows(std::vector<float>(256), 256);
  gm::scale_bytes(bytes.data(), px.x.data(), 256);
  gm::Dataset q256 = px, q2 = px, b = px;
  gm::quantize(q256, 256);
  CHECK(q256.levels == 256);
  for (int k = 0; k < 256; ++k) CHECK(q256.x[static_cast<size_t>(k)] == static_cast<float>(k));
  gm::quantize(q2, 2);
  gm::binarize(b, 0.5);
  CHECK(q2.x == b.x);
  CHECK(q2.levels == 2);
  CHECK(b.levels == 2);
  // M = 4: [0, 1/4) -> 0, [1/4, 1/2) -> 1, [1/2, 3/4) -> 2, [3/4, 1] -> 3.
  gm::Dataset q4 = rows({0.0f, 0.24f, 0.25f, 0.5f, 0.74f, 0.75f, 1.0f, 0.999f}, 4);
  gm::quantize(q4, 4);
  CHECK(q4.x == std::vector<float>{0, 0, 1, 2, 2, 3, 3, 3});
}

TEST_CASE("quantize: refuses values outside [0, 1] and level counts outside [2, 256]") {
  for (float bad : {-0.01f, 1.01f, NAN, 255.5f, 256.0f}) {
    gm::Dataset ds = rows({0.0f, 0.5f, bad, 1.0f}, 2);
    CHECK_THROWS_AS(gm::quantize(ds, 4), gm::Error);
    CHECK(ds.levels == 0);
  }
  gm::Dataset ds = rows({0.0f, 1.0f}, 2);
  CHECK_THROWS_AS(gm::quantize(ds, 1), gm::Error);
  CHECK_THROWS_AS(gm::quantize(ds, 257), gm::Error);
}

TEST_CASE("quantize: data that are levels already (a u1 .npy of 8-bit pixels) are kept as they are") {
  gm::Dataset ds = rows({0.0f, 17.0f, 255.0f, 1.0f}, 2);
  gm::quantize(ds, 256);
  CHECK(ds.x == std::vector<float>{0, 17, 255, 1});
  CHECK(ds.levels == 256);
  // 0/1 data are [0, 1] data: 1 is the top level.
  gm::Dataset binary = rows({0.0f, 1.0f}, 2);
  gm::quantize(binary, 256);
  CHECK(binary.x == std::vector<float>{0, 255});
  // Levels of more than M are neither.
  gm::Dataset more = rows({0.0f, 17.0f}, 2);
  CHECK_THROWS_AS(gm::quantize(more, 16), gm::Error);
}
