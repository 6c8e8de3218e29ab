#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/captions.hpp"
#include "data/text_features.hpp"

using gm::Status;

namespace {
// Every word any train caption of any class can contain.
std::set<std::string> train_words() {
  std::set<std::string> words;
  for (int c = 0; c < gm::kFashionClasses; ++c)
    for (const std::string& t : gm::fashion_train_templates())
      for (int s = 0; s < static_cast<int>(gm::fashion_class_synonyms(c).size()); ++s)
        for (const std::string& w : gm::text_tokens(gm::fashion_caption(t, c, s))) words.insert(w);
  return words;
}
}  // namespace

TEST_CASE("captions: ten classes, articles, templates as the brief asks") {
  REQUIRE(gm::fashion_class_names().size() == 10);
  CHECK(gm::fashion_class_names()[9] == "ankle boot");
  CHECK(gm::fashion_train_templates().size() >= 6);
  CHECK(gm::fashion_held_out_templates().size() >= 4);
  CHECK(gm::fashion_caption("a photo of {a}", 9, 0) == "a photo of an ankle boot");
  CHECK(gm::fashion_caption("this is {a}", 1, 2) == "this is pants");
  CHECK(gm::fashion_caption("i would like {a}", 1, 0) == "i would like a pair of trousers");
  CHECK(gm::fashion_caption("someone's {n}", 0, 0) == "someone's t-shirt");
  for (int c = 0; c < 10; ++c) CHECK(gm::fashion_class_synonyms(c).size() >= 3);
}

TEST_CASE("captions: held-out phrasings are disjoint from training and bring new words") {
  std::set<std::string> train;
  for (int c = 0; c < 10; ++c)
    for (const std::string& t : gm::fashion_train_templates())
      for (int s = 0; s < static_cast<int>(gm::fashion_class_synonyms(c).size()); ++s)
        train.insert(gm::fashion_caption(t, c, s));
  const std::set<std::string> words = train_words();
  int templates_with_new_words = 0;
  for (const std::string& t : gm::fashion_held_out_templates()) {
    bool fresh = false;
    for (const std::string& w : gm::text_tokens(gm::fashion_caption(t, 0, 0))) fresh |= words.count(w) == 0;
    templates_with_new_words += fresh;
  }
  CHECK(templates_with_new_words >= 3);
  for (int c = 0; c < 10; ++c) {
    const std::vector<std::string> held = gm::fashion_held_out_captions(c);
    CHECK(held.size() == gm::fashion_held_out_templates().size() * gm::fashion_class_synonyms(c).size());
    for (const std::string& h : held) CHECK(train.count(h) == 0);
  }
}

TEST_CASE("captions: one per row, seeded, of the row's class, every template used") {
  std::vector<int32_t> labels(500);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % 10);
  const auto a = gm::fashion_train_captions(labels.data(), 500, 7);
  const auto b = gm::fashion_train_captions(labels.data(), 500, 7);
  const auto other = gm::fashion_train_captions(labels.data(), 500, 8);
  REQUIRE(a.size() == 500);
  CHECK(a == b);
  CHECK(a != other);
  std::set<std::string> distinct(a.begin(), a.end());
  CHECK(distinct.size() > 100);
  // Row 3 is a sentence about class 3: one of its synonyms is in it.
  bool named = false;
  for (const std::string& s : gm::fashion_class_synonyms(3)) named |= a[3].find(s) != std::string::npos;
  CHECK(named);
  std::vector<int32_t> bad = {0, 10};
  try {
    gm::fashion_train_captions(bad.data(), 2, 0);
    FAIL("expected an error");
  } catch (const gm::Error& e) {
    CHECK(e.status() == Status::invalid_data);
  }
}
