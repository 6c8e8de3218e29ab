#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "data/builtin.hpp"
#include "helpers.hpp"

using gm::Status;
using namespace gm_test;

TEST_CASE("bars and stripes: 2^(n+1) - 2 distinct binary patterns, each rows- or columns-constant") {
  for (int n = 2; n <= 5; ++n) {
    CAPTURE(n);
    const std::vector<float> p = gm::bars_and_stripes_patterns(n);
    const size_t d = static_cast<size_t>(n * n);
    const size_t count = (size_t{1} << (n + 1)) - 2;
    REQUIRE(p.size() == count * d);
    std::set<std::vector<float>> distinct;
    for (size_t i = 0; i < count; ++i) {
      const auto first = p.begin() + static_cast<long>(i * d);
      const std::vector<float> row(first, first + static_cast<long>(d));
      bool rows_constant = true, cols_constant = true;
      for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
          const float v = row[static_cast<size_t>(r * n + c)];
          CHECK((v == 0.0f || v == 1.0f));
          rows_constant &= v == row[static_cast<size_t>(r * n)];
          cols_constant &= v == row[static_cast<size_t>(c)];
        }
      CHECK((rows_constant || cols_constant));
      distinct.insert(row);
    }
    CHECK(distinct.size() == count);
  }
}

TEST_CASE("bars and stripes: data set and spec") {
  const gm::Dataset ds = gm::load_dataset("builtin:bars-and-stripes");
  CHECK(ds.n == 30);
  CHECK(ds.d == 16);
  CHECK((ds.image.channels == 1 && ds.image.height == 4 && ds.image.width == 4));
  CHECK(ds.labels.empty());
  CHECK(gm::load_dataset("builtin:bars-and-stripes:3").n == 14);
  CHECK(gm::load_dataset("builtin:bars-and-stripes:8").n == 510);
  for (const std::string bad :
       {"builtin:bars-and-stripes:1", "builtin:bars-and-stripes:9", "builtin:bars-and-stripes:4x",
        "builtin:bars-and-stripes:-3", "builtin:bars-and-stripes:", "builtin:nope"}) {
    CAPTURE(bad);
    CHECK(catch_error([&] { gm::load_dataset(bad); }).status == Status::invalid_argument);
  }
}
