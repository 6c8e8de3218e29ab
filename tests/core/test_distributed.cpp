#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

#include "core/distributed.hpp"
#include "core/error.hpp"

using gm::dist::slice_of;

TEST_CASE("slice_of: the ranks' blocks cover a batch once, in order, sizes differing by at most one") {
  for (int64_t count = 0; count <= 40; ++count)
    for (int size = 1; size <= 9; ++size) {
      int64_t next = 0, smallest = count, largest = 0;
      for (int rank = 0; rank < size; ++rank) {
        const gm::dist::Slice s = slice_of(count, rank, size);
        CHECK(s.begin == next);
        CHECK(s.end >= s.begin);
        next = s.end;
        smallest = std::min(smallest, s.size());
        largest = std::max(largest, s.size());
      }
      CHECK(next == count);
      CHECK(largest - smallest <= 1);
    }
  // 10 rows on 4 ranks: 3, 3, 2, 2 (the first count % size blocks one longer).
  CHECK(slice_of(10, 0, 4).size() == 3);
  CHECK(slice_of(10, 1, 4).begin == 3);
  CHECK(slice_of(10, 2, 4).begin == 6);
  CHECK(slice_of(10, 3, 4).size() == 2);
}

TEST_CASE("without MPI a communicator is refused with unsupported") {
  if (gm::dist::built_with_mpi()) return;  // with MPI, tests/mpi runs the real thing under mpirun
  try {
    (void)gm::dist::Communicator::world();
    FAIL("world() should throw without MPI");
  } catch (const gm::Error& e) {
    CHECK(e.status() == gm::Status::unsupported);
  }
}
