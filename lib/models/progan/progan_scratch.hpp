// Training buffers of ProGAN, sized on the first batch of a stage (Buffers only grow).
// Internal to lib/models/progan.
#pragma once

#include <cstdint>
#include <vector>

#include "models/progan/progan_nets.hpp"
#include "models/progan/progan_tangent.hpp"
#include "nn/buffer.hpp"
#include "nn/optim.hpp"

namespace gm::progan {

struct Optimisers {
  nn::Adam d, g;
};

struct Scratch {
  GPass g;  // every G pass in turn (x̃ for D's step, then G's own step)
  DPass d;  // every D pass in turn (real, fake, x̂, G's step); each backward before the next forward
  DTangent tangent;
  nn::Buffer z, z2;             // the D step's and the G step's latents (B, Z)
  nn::Buffer real, lo, tmp;     // the batch at the stage's side, scaled to [−1, 1] and faded
  nn::Buffer fake, xhat, gx;    // x̃ (detached), x̂, ∇_x̂ F
  nn::Buffer eps;               // ε per row
  nn::Buffer dscore, dfake, u;  // gradients of the scores and of G's output; the tangent u
  Phase phase;                  // of the current iteration

  static void grow(nn::Buffer& b, int64_t n) {
    if (b.size() < n) b.resize(n);
  }
};

}  // namespace gm::progan
