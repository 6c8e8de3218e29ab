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

// ---- subword-v2 (the values below were computed independently, in Python, from the
// definition in data/text_features.hpp).

namespace {
std::vector<float> features_v2(const std::string& s, int64_t dim) {
  std::vector<float> v(static_cast<std::size_t>(dim), -1.0f);
  gm::text_features(s, gm::TextFeatures::subword_v2, dim, v.data());
  return v;
}
double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += static_cast<double>(a[i]) * b[i];
  return d / (norm(a) * norm(b));
}
}  // namespace

TEST_CASE("subword-v2: version names; v1 through the versioned call is the unversioned one") {
  CHECK(gm::parse_text_features("words-v1") == gm::TextFeatures::words_v1);
  CHECK(gm::parse_text_features("subword-v2") == gm::TextFeatures::subword_v2);
  CHECK(std::string(gm::text_features_name(gm::TextFeatures::subword_v2)) == "subword-v2");
  try {
    gm::parse_text_features("subword-v3");
    FAIL("expected an error");
  } catch (const gm::Error& e) {
    CHECK(e.status() == Status::invalid_argument);
    CHECK(std::string(e.what()).find("words-v1") != std::string::npos);
  }
  std::vector<float> v(256);
  gm::text_features("a photo of a coat", gm::TextFeatures::words_v1, 256, v.data());
  CHECK(v == features("a photo of a coat", 256));
  CHECK(features_v2("a photo of a coat", 256) != v);
}

TEST_CASE("subword-v2: tokens drop the possessive s, typographic apostrophes included") {
  CHECK(gm::text_tokens_v2("My brother\xe2\x80\x99s old T-shirt, Dad's") ==
        std::vector<std::string>{"my", "brother", "old", "t", "shirt", "dad"});
  CHECK(gm::text_tokens_v2("it's 2 bags") == std::vector<std::string>{"it", "2", "bags"});
  CHECK(gm::text_tokens_v2("s is a letter") == std::vector<std::string>{"s", "is", "a", "letter"});
  CHECK(gm::text_tokens_v2("").empty());
}

TEST_CASE("subword-v2: the entries of a word are <w> and its 3- to 5-grams, code points not bytes") {
  CHECK(gm::text_subwords("boot") ==
        std::vector<std::string>{"<boot>", "<bo", "boo", "oot", "ot>", "<boo", "boot", "oot>", "<boot", "boot>"});
  CHECK(gm::text_subwords("a") == std::vector<std::string>{"<a>"});
  CHECK(gm::text_subwords("ab") == std::vector<std::string>{"<ab>", "<ab", "ab>"});
  // "é" is two bytes, one character: "<é>" has three characters, so no 3-gram shorter than it.
  CHECK(gm::text_subwords("\xc3\xa9") == std::vector<std::string>{"<\xc3\xa9>"});
  CHECK(gm::text_subwords("\xc3\xa9t") == std::vector<std::string>{"<\xc3\xa9t>", "<\xc3\xa9t", "\xc3\xa9t>"});
}

TEST_CASE("subword-v2: pinned buckets (the file format cannot drift silently)") {
  CHECK(gm::fnv1a64("<boot>") == 0xba5dd3f656f85c7bull);
  CHECK(gm::fnv1a64("<bo") == 0x700ddb1830139afcull);
  CHECK(gm::fnv1a64("oot>") == 0x11a542b471608551ull);
  // "a boot": "<a>" alone (unit vector) and the ten entries of "boot" (each 1/√10), summed,
  // divided by √2.
  const std::vector<float> v = features_v2("a boot", 1024);
  const float a = static_cast<float>(1.0 / std::sqrt(2.0)), e = static_cast<float>(1.0 / std::sqrt(20.0));
  CHECK(v[560] == doctest::Approx(a));  // "<a>"
  for (int b : {123, 337, 551, 597, 725, 764, 768, 931, 969, 977}) CHECK(v[b] == doctest::Approx(e));
  int nonzero = 0;
  for (float x : v) nonzero += x != 0.0f;
  CHECK(nonzero == 11);
  CHECK(norm(v) == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("subword-v2: an inflection shares most features with its word; deterministic; unit norm") {
  const double sneakers = cosine(features_v2("sneakers", 1024), features_v2("sneaker", 1024));
  CHECK(sneakers == doctest::Approx(0.73367).epsilon(1e-4));
  CHECK(sneakers >= 0.6);
  CHECK(cosine(features_v2("pullovers", 1024), features_v2("pullover", 1024)) ==
        doctest::Approx(0.76752).epsilon(1e-4));
  CHECK(cosine(features_v2("boots", 1024), features_v2("boot", 1024)) == doctest::Approx(0.52623).epsilon(1e-4));
  CHECK(cosine(features_v2("sneaker", 1024), features_v2("sandal", 1024)) == 0.0);
  // words-v1 knows no relation between them (different buckets at this width).
  CHECK(cosine(features("sneakers", 1024), features("sneaker", 1024)) == 0.0);
  CHECK(features_v2("white sneakers on the pavement", 512) == features_v2("white sneakers on the pavement", 512));
  CHECK(features_v2("White SNEAKERS", 512) == features_v2("white sneakers", 512));
  CHECK(norm(features_v2("white sneakers on the pavement", 512)) == doctest::Approx(1.0).epsilon(1e-6));
  const std::vector<float> none = features_v2(" ,;' ", 64);
  CHECK(none == std::vector<float>(64, 0.0f));
  CHECK(features_v2("anything at all", 1) == std::vector<float>{1.0f});
  const std::vector<float> rows = gm::text_features_rows({"a bag", "sandals"}, gm::TextFeatures::subword_v2, 32);
  REQUIRE(rows.size() == 64);
  CHECK(std::vector<float>(rows.begin() + 32, rows.end()) == features_v2("sandals", 32));
}

TEST_CASE("subword-ids-v3: word slots of 32 ids, pinned; width a multiple of 32") {
  std::vector<float> v(96, -1.0f);
  gm::text_features("A boot's", gm::TextFeatures::subword_ids_v3, 96, v.data());
  CHECK(v[0] == 1 + (gm::fnv1a64("<a>") % 16384));
  CHECK(v[0] == 14897.0f);  // computed independently (Python)
  for (int j = 1; j < 32; ++j) CHECK(v[static_cast<std::size_t>(j)] == 0.0f);
  const std::vector<float> boot = {7292, 6909, 14244, 13014, 15105, 10186, 8790, 1362, 1576, 15314};
  CHECK(std::vector<float>(v.begin() + 32, v.begin() + 42) == boot);  // "<boot>", "<bo", ... (the 's dropped)
  for (std::size_t j = 42; j < 96; ++j) CHECK(v[j] == 0.0f);
  // Words past the last slot are dropped; a word of 12 characters keeps its first 32 pieces.
  std::vector<float> w(32);
  gm::text_features("comfortables two", gm::TextFeatures::subword_ids_v3, 32, w.data());
  CHECK(w[31] != 0.0f);
  CHECK(w[0] == 1 + (gm::fnv1a64("<comfortables>") % 16384));
  // text_tokens_dropped counts them (the command line's note); the other versions read all.
  CHECK(gm::text_tokens_dropped("comfortables two", gm::TextFeatures::subword_ids_v3, 32) == 1);
  CHECK(gm::text_tokens_dropped("comfortables two", gm::TextFeatures::subword_ids_v3, 64) == 0);
  CHECK(gm::text_tokens_dropped("a boot's sole, worn thin", gm::TextFeatures::subword_ids_v3, 64) == 3);
  CHECK(gm::text_tokens_dropped("a boot's sole, worn thin", gm::TextFeatures::subword_v2, 64) == 0);
  CHECK(gm::text_tokens_dropped("a boot's sole, worn thin", gm::TextFeatures::words_v1, 32) == 0);
  float out[48];
  try {
    gm::text_features("x", gm::TextFeatures::subword_ids_v3, 48, out);
    FAIL("expected an error");
  } catch (const gm::Error& e) {
    CHECK(e.status() == Status::invalid_argument);
  }
  CHECK(gm::parse_text_features("subword-ids-v3") == gm::TextFeatures::subword_ids_v3);
}
