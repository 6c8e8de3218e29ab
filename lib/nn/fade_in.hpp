// The fade-in of a new resolution (Karras et al. 2018, §2 and Figure 2): while a block is
// grown, the network's output is the blend of the new block's path and the old, lower
// resolution path brought to the same size (upsampled in G, average-pooled in D), with α going
// from 0 to 1 over the transition:
//
//   forward   y = α · fresh + (1 − α) · old          elementwise, 0 ≤ α ≤ 1
//   backward  d fresh = α · dy,  d old = (1 − α) · dy
//
// Written as α·fresh + (1 − α)·old, not the official code's old + (fresh − old)·α: at α = 1
// the output is then exactly the new path and at α = 0 exactly the old one, and the test
// checks the formula bit for bit. α is a plain argument (the caller's schedule owns it), not a
// parameter. A loop the compiler vectorises; in parallel above 2^18 values.
#pragma once

#include <cstdint>

namespace gm::nn {

// y (n) = α·fresh + (1 − α)·old; y may alias either input. Throws invalid_argument unless
// 0 ≤ α ≤ 1.
void fade_in_forward(float alpha, const float* fresh, const float* old, float* y, int64_t n);
// d_fresh = α·dy and d_old = (1 − α)·dy, each written when not null (either may alias dy,
// not both).
void fade_in_backward(float alpha, const float* dy, float* d_fresh, float* d_old, int64_t n);

}  // namespace gm::nn
