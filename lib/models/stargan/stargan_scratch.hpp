// Training buffers of StarGAN, sized on the first batch (Buffers only grow). Internal to
// lib/models/stargan.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/buffer.hpp"
#include "nn/optim.hpp"
#include "nn/sequential.hpp"

namespace gm::stargan {

// The two optimisers of one fit.
struct Optimisers {
  nn::Adam d, g;
};

struct Scratch {
  // G's passes (x̃ = G(x, c), the reconstruction G(x̃, c′) and, with lambda_identity, G(x, c′));
  // D's trunk and heads, reused by every D pass in turn (each pass's backward runs before the
  // next forward).
  nn::SequentialWork g1, g2, g3, d, src, cls;
  nn::Buffer xs;                       // real rows scaled to [−1, 1]
  nn::Buffer gin, gin2, gin3;          // G's inputs [x | c], [x̃ | c′] and [x | c′]
  nn::Buffer dgin2;                    // the reconstruction's gradient w.r.t. [x̃ | c′]
  nn::Buffer eps;                      // ε per row (gradient penalty)
  nn::Buffer xhat, gx, xpm;            // x̂, ∇_x f(x̂), and the 2B rows x̂ ± h v
  nn::Buffer dsrc, dcls;               // gradients w.r.t. D's two outputs
  nn::Buffer dfa, dfb;                 // gradients w.r.t. D's last map from the two heads
  nn::Buffer dfake, drec, didt;        // gradients w.r.t. x̃, the reconstruction and G(x, c′)
  nn::Buffer tangent, dtan_a, dtan_b;  // the penalty's tangent network: t_0 .. t_L, and its backward
  std::vector<int32_t> target, own;    // c (drawn) and c′ (the batch's labels)
  const float* fake = nullptr;         // x̃ of the current iteration (in g1)

  static void grow(nn::Buffer& b, int64_t n) {
    if (b.size() < n) b.resize(n);
  }
};

}  // namespace gm::stargan
