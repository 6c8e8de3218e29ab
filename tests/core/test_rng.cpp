#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"

using gm::Rng;

TEST_CASE("philox4x32-10 matches the Random123 known-answer vectors") {
  // Random123 kat_vectors: philox4x32 10 rounds, counter 0, key 0.
  Rng zero(0, 0);
  CHECK(zero.next_u32() == 0x6627e8d5u);
  CHECK(zero.next_u32() == 0xe169c58du);
  CHECK(zero.next_u32() == 0xbc57ac4cu);
  CHECK(zero.next_u32() == 0x9b00dbd8u);
}

TEST_CASE("streams are reproducible and distinct") {
  Rng a(42, 7), b(42, 7), c(42, 8), d(43, 7);
  bool differs_stream = false, differs_seed = false;
  for (int i = 0; i < 16; ++i) {
    const uint32_t x = a.next_u32();
    CHECK(x == b.next_u32());
    differs_stream |= (x != c.next_u32());
    differs_seed |= (x != d.next_u32());
  }
  CHECK(differs_stream);
  CHECK(differs_seed);
}

TEST_CASE("uniform, below and normal have the right moments") {
  Rng r(1, 0);
  const int n = 200000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0;
  std::vector<int> counts(7, 0);
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    su += u;
    su2 += u * u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    counts[r.below(7)]++;
  }
  CHECK(su / n == doctest::Approx(0.5).epsilon(0.01));
  CHECK(su2 / n - (su / n) * (su / n) == doctest::Approx(1.0 / 12).epsilon(0.02));
  CHECK(std::fabs(sn / n) < 0.01);
  CHECK(sn2 / n == doctest::Approx(1.0).epsilon(0.02));
  for (int c : counts) CHECK(c == doctest::Approx(n / 7.0).epsilon(0.03));
}

// The truncated normal on [-b, b]: every draw inside, symmetric, and its variance the closed
// form 1 - 2 b phi(b) / (2 Phi(b) - 1), for both of truncated_normal's samplers (b < 1:
// uniform proposals; b >= 1: normal proposals). latent_normal(0) is normal() itself.
TEST_CASE("truncated_normal stays within the bound with the truncated normal's variance") {
  for (const double b : {0.05, 0.5, 0.999, 1.0, 1.5, 3.0}) {
    CAPTURE(b);
    Rng r(3, 1);
    const int n = 200000;
    double s = 0, s2 = 0, most = 0;
    for (int i = 0; i < n; ++i) {
      const double z = r.truncated_normal(b);
      s += z;
      s2 += z * z;
      most = std::max(most, std::fabs(z));
    }
    const double phi = std::exp(-0.5 * b * b) / std::sqrt(2.0 * M_PI), mass = std::erf(b / std::sqrt(2.0));
    const double variance = 1.0 - 2.0 * b * phi / mass;
    CHECK(most <= b);
    CHECK(most > 0.99 * b);  // the bound is reached, not a narrower interval
    CHECK(std::fabs(s / n) < 0.01 * b);
    CHECK(s2 / n == doctest::Approx(variance).epsilon(0.02));
  }
  Rng a(9, 2), c(9, 2);
  for (int i = 0; i < 8; ++i) CHECK(a.latent_normal(0.0) == c.normal());
}
