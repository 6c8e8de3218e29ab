// Training buffers of Puzzle-GAN, sized on the first batch (grow only). Internal to
// lib/models/puzzlegan.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/buffer.hpp"
#include "nn/optim.hpp"
#include "nn/sequential.hpp"

namespace gm::puzzlegan {

struct Optimisers {
  nn::Adam g, d;  // g steps E, M and G together
};

struct Scratch {
  nn::SequentialWork e, m, g, d;
  nn::Buffer xs;                   // real rows scaled to [−1, 1]          (B, C·S·S)
  nn::Buffer patches;              // the K patches of each row, scaled    (B·K, C·P·P)
  nn::Buffer canvases;             // their canvases                       (B·K, (C+1)·S·S)
  nn::Buffer mask;                 // the union of each row's placements  (B, S·S)
  nn::Buffer h, z, gin;            // the averaged code, the noise, G's input
  nn::Buffer dscore, dfake;        // gradients w.r.t. D's scores and x̃
  nn::Buffer drec;                 // the reconstruction term's, before it joins dfake
  nn::Buffer dgin, dlogits;        // w.r.t. G's input and M's logits
  nn::Buffer dh, dhm, dparts;      // w.r.t. h (from G, from M) and each part's code
  std::vector<int64_t> positions;  // (B·K, 2)
  std::vector<int32_t> key_work;   // object_positions' scratch
  const float* fake = nullptr;     // x̃ of the current iteration (in g)

  static void grow(nn::Buffer& b, int64_t n) {
    if (b.size() < n) b.resize(n);
  }
};

}  // namespace gm::puzzlegan
