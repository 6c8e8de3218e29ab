#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/distributed.hpp"
#include "core/error.hpp"
#include "nn/trainer.hpp"

using gm::nn::StripedOrder;

namespace {

// The global training rows of every batch of an epoch, as P ranks with contiguous slots
// (dist::slice_of) would assemble them: each rank reads its rows in ascending t, and its batch
// rows are local indices into them, at the positions it reports.
std::vector<std::vector<int64_t>> epoch_batches(int64_t n, int64_t B, int P, uint64_t seed, int64_t epoch) {
  std::vector<std::vector<int64_t>> out;
  std::vector<StripedOrder> ranks;
  std::vector<std::vector<int64_t>> kept(static_cast<std::size_t>(P));
  for (int r = 0; r < P; ++r) {
    const gm::dist::Slice mine = gm::dist::slice_of(B, r, P);
    std::vector<int64_t> slots;
    for (int64_t s = mine.begin; s < mine.end; ++s) slots.push_back(s);
    ranks.emplace_back(n, B, slots);
    for (int64_t t = 0; t < n; ++t)
      if (ranks.back().owns(t)) kept[static_cast<std::size_t>(r)].push_back(t);
    CHECK(static_cast<int64_t>(kept[static_cast<std::size_t>(r)].size()) == ranks.back().local_rows());
    ranks.back().shuffle(seed, epoch);
  }
  std::vector<int64_t> local, positions;
  for (int64_t b = 0; b < ranks[0].batches(); ++b) {
    std::vector<int64_t> rows(static_cast<std::size_t>(ranks[0].batch_rows(b)), -1);
    for (int r = 0; r < P; ++r) {
      ranks[static_cast<std::size_t>(r)].batch(b, local, positions);
      REQUIRE(local.size() == positions.size());
      for (std::size_t i = 0; i < local.size(); ++i) {
        REQUIRE(positions[i] < static_cast<int64_t>(rows.size()));
        CHECK(rows[static_cast<std::size_t>(positions[i])] == -1);
        rows[static_cast<std::size_t>(positions[i])] =
            kept[static_cast<std::size_t>(r)][static_cast<std::size_t>(local[i])];
      }
    }
    out.push_back(rows);
  }
  return out;
}

}  // namespace

TEST_CASE("striped order: the global batches do not depend on the rank count, every row once an epoch") {
  for (const int64_t n : {1, 7, 24, 25, 61})
    for (const int64_t B : {1, 3, 4, 7}) {
      if (B > n) continue;
      CAPTURE(n);
      CAPTURE(B);
      const auto one = epoch_batches(n, B, 1, 9, 1);
      std::vector<int64_t> all;
      for (const auto& b : one)
        for (std::size_t s = 0; s < b.size(); ++s) {
          CHECK(b[s] % B == static_cast<int64_t>(s));  // slot s draws from stripe s
          all.push_back(b[s]);
        }
      std::sort(all.begin(), all.end());
      for (int64_t t = 0; t < n; ++t) CHECK(all[static_cast<std::size_t>(t)] == t);
      CHECK(one.size() == static_cast<std::size_t>((n + B - 1) / B));
      CHECK(one.back().size() == static_cast<std::size_t>(n % B == 0 ? B : n % B));
      for (const int P : {2, 3, 4, 8}) CHECK(epoch_batches(n, B, P, 9, 1) == one);
      // The order changes with the epoch and the seed (when a stripe has two rows or more).
      if (n >= 2 * B && B >= 2) {
        CHECK(epoch_batches(n, B, 1, 9, 2) != one);
        CHECK(epoch_batches(n, B, 1, 10, 1) != one);
      }
    }
}

TEST_CASE("striped order: bad arguments are invalid_argument") {
  CHECK_THROWS_AS(StripedOrder(0, 1, {}), gm::Error);
  CHECK_THROWS_AS(StripedOrder(4, 5, {}), gm::Error);
  CHECK_THROWS_AS(StripedOrder(8, 4, {2, 1}), gm::Error);
  CHECK_THROWS_AS(StripedOrder(8, 4, {4}), gm::Error);
}
