// Training buffers of cyclegan, sized on the first batch (only grow), and the two optimisers
// of a fit. Internal to lib/models/cyclegan.
#pragma once

#include <cstdint>

#include "nn/buffer.hpp"
#include "nn/optim.hpp"
#include "nn/sequential.hpp"

namespace gm::cyclegan {

struct Optimisers {
  nn::Adam d, g;  // D_a and D_b; G and F
};

// One direction's buffers: x its real rows (n of them), fake = the generator's translation,
// rec = the other generator's translation of fake back, idt = the other generator on x (the
// identity term: F(a) for domain a), shown = the fakes the discriminator sees.
struct Side {
  int64_t n = 0;
  nn::Buffer x, fake, shown, dfake, dtmp, drec, didt, dscore;
  nn::SequentialWork gen, back, idt, d_gen, d_real, d_fake;
};

struct Scratch {
  Side a, b;  // a: real a rows, fake = G(a) (a b image); b: real b rows, fake = F(b)
  static void grow(nn::Buffer& buf, int64_t n) {
    if (buf.size() < n) buf.resize(n);
  }
};

}  // namespace gm::cyclegan
