#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/text_features.hpp"

using gm::Status;

namespace {
std::vector<float> features(const std::string& s, int64_t dim) {
  std::vector<float> v(static_cast<std::size_t>(dim), -1.0f);
  gm::text_features(s, dim, v.data());
  return v;
}
double norm(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  return std::sqrt(n);
}
}  // namespace

TEST_CASE("FNV-1a 64: the published test vectors") {
  CHECK(gm::fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(gm::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(gm::fnv1a64("foobar") == 0x85944171f73967e8ull);
  // Buckets the featuriser uses, computed independently (Python):
  CHECK(gm::fnv1a64("shirt") == 0x2951474913e7a843ull);
  CHECK(gm::fnv1a64("t shirt") == 0x5d5385ce53f24797ull);
}

TEST_CASE("tokens: lower-cased, split on non-alphanumerics, UTF-8 kept inside tokens") {
  CHECK(gm::text_tokens("Someone's T-Shirt!") == std::vector<std::string>{"someone", "s", "t", "shirt"});
  CHECK(gm::text_tokens("  picture:  a bag2 ") == std::vector<std::string>{"picture", "a", "bag2"});
  CHECK(gm::text_tokens("caf\xc3\xa9 au lait") == std::vector<std::string>{"caf\xc3\xa9", "au", "lait"});
  CHECK(gm::text_tokens("").empty());
  CHECK(gm::text_tokens(" ,.;- ").empty());
}

TEST_CASE("text features: known buckets, unit norm") {
  // "T-shirt" → tokens t, shirt and the bigram "t shirt": three counts of 1, norm √3.
  const std::vector<float> v = features("T-shirt", 1024);
  const float third = static_cast<float>(1.0 / std::sqrt(3.0));
  CHECK(v[67] == doctest::Approx(third));   // "shirt"
  CHECK(v[919] == doctest::Approx(third));  // "t shirt"
  CHECK(v[gm::fnv1a64("t") % 1024] == doctest::Approx(third));
  int nonzero = 0;
  for (float x : v) nonzero += x != 0.0f;
  CHECK(nonzero == 3);
  CHECK(norm(v) == doctest::Approx(1.0).epsilon(1e-6));
  // A repeated word counts twice: "bag bag" → bag: 2, "bag bag": 1 → (2, 1)/√5.
  const std::vector<float> w = features("bag bag", 1 << 20);
  CHECK(w[gm::fnv1a64("bag") % (1 << 20)] == doctest::Approx(2.0 / std::sqrt(5.0)));
  CHECK(w[gm::fnv1a64("bag bag") % (1 << 20)] == doctest::Approx(1.0 / std::sqrt(5.0)));
}

TEST_CASE("text features: deterministic, case-blind, order-aware, length-free") {
  CHECK(features("a photo of a coat", 256) == features("a photo of a coat", 256));
  CHECK(features("A Photo of a COAT", 256) == features("a photo of a coat", 256));
  // Same words, another order: the unigram counts agree, the bigrams do not.
  CHECK(features("a red shirt", 4096) != features("a shirt red", 4096));
  // Longer sentences are not bigger: every row has norm 1.
  const std::vector<float> once = features("bag", 64), twice = features("bag bag bag", 64);
  CHECK(norm(once) == doctest::Approx(1.0));
  CHECK(norm(twice) == doctest::Approx(1.0));
}

TEST_CASE("text features: empty and token-free sentences give zeros, never NaN") {
  for (const char* s : {"", "   ", "!?;"}) {
    const std::vector<float> v = features(s, 32);
    bool zeros = true;
    for (float x : v) zeros &= x == 0.0f && !std::isnan(x);
    CHECK(zeros);
  }
}

TEST_CASE("text features: width 1 puts everything in one bucket; width < 1 is invalid_argument") {
  CHECK(features("anything at all", 1) == std::vector<float>{1.0f});
  float out[1];
  try {
    gm::text_features("x", 0, out);
    FAIL("expected an error");
  } catch (const gm::Error& e) {
    CHECK(e.status() == Status::invalid_argument);
  }
  const std::vector<float> rows = gm::text_features_rows({"a bag", "", "a coat"}, 16);
  REQUIRE(rows.size() == 48);
  CHECK(std::vector<float>(rows.begin(), rows.begin() + 16) == features("a bag", 16));
  CHECK(std::vector<float>(rows.begin() + 16, rows.begin() + 32) == std::vector<float>(16, 0.0f));
}
