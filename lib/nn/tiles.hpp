// Inference over tiles of rows: body(tile, scratch) for every tile in [0, tiles), on the team
// of the enclosing ComputeScope. Each thread runs its products single-threaded (a
// ComputeScope(1) of its own) and keeps one Scratch for all the tiles it takes; tiles are
// handed out one at a time. Since a tile's rows never depend on the thread count, neither do
// the results. An exception may not leave an OpenMP region: the first one a tile throws is
// rethrown after the loop.
#pragma once

#include <cstdint>
#include <exception>

#include "nn/compute.hpp"

namespace gm::nn {

template <typename Scratch, typename Body>
void for_tiles(int64_t tiles, Body&& body) {
  std::exception_ptr error;
#pragma omp parallel if (tiles > 1)
  {
    ComputeScope one(1);
    Scratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tiles; ++t) {
      try {
        body(t, scratch);
      } catch (...) {
#pragma omp critical(gm_tile_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace gm::nn
