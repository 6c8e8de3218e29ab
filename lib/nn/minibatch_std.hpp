// Minibatch standard deviation (Karras et al. 2018, "Progressive Growing of GANs", §3): the
// discriminator's last block sees, as one extra feature map, how much the images of its
// minibatch differ from each other, so a generator that collapses onto few modes is told
// apart from the data by a single statistic.
//
//   x (B, C, H, W) → y (B, C + 1, H, W): the first C channels are x; the last channel of every
//   image of group m is the constant
//       s_m = mean_{c,p} σ_m[c,p],   σ_m[c,p] = √(v_m[c,p] + 1e-8),
//       v_m[c,p] = (1/n_m) Σ_{b∈m} (x[b,c,p] − μ_m[c,p])²   (population variance over the group)
//   backward: every image of the group moves s_m, so
//       dx[b,c,p] = dy[b,c,p] + D_m · (x[b,c,p] − μ_m[c,p]) / (n_m · C·S · σ_m[c,p]),
//       D_m = Σ_{b∈m} Σ_p dy[b,C,p]   (∂v/∂x_b = 2(x_b − μ)/n: the term through μ sums to 0)
//
// Groups. G = min(group_size, B) (the paper's group size is 4). As in the official code,
// which reshapes the batch to (G, M, C, H, W), the groups are strided: image b belongs to
// group b mod M, M = B / G, so group m is {m, m + M, m + 2M, …}. When B is not a multiple of
// G (the last, partial minibatch of an epoch) the official code fails; here M = ⌈B / G⌉ and
// the rule b mod M still deals the images round-robin, so every group holds ⌊B/M⌋ or ⌈B/M⌉
// ≤ G images — the paper's grouping whenever it is defined, and a statistic over slightly
// smaller groups for that one batch instead of an error in the middle of fit. A group of one
// image has σ = 1e-4 exactly and passes no gradient through the statistic.
//
// Plain loops. A row is one (group, channel) pair over the S pixels; rows run in parallel above
// 2^18 values and each row's Σ σ is added into s_m in a fixed order, so the result does not
// depend on the thread count. The reference is ref::minibatch_std_forward / _backward.
#pragma once

#include <cstdint>

namespace gm::nn {

constexpr int64_t kMinibatchStdGroup = 4;  // the paper's group size

// The number of groups M = ⌈B / min(group_size, B)⌉ (throws unless B ≥ 1 and group_size ≥ 1).
// A negative group_size gives the count itself: M = −group_size (1 ≤ M ≤ B), for a rank of a
// distributed fit that holds M whole groups of a larger batch (progan's rank_rows), whose
// images it keeps in their order, so that image b of its block is in its group b mod M.
int64_t minibatch_std_groups(int64_t B, int64_t group_size);

// x (B, C, S), y (B, C + 1, S), S = H·W. Thread-safe.
void minibatch_std_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S,
                           int64_t group_size = kMinibatchStdGroup);
// dy (B, C + 1, S), dx (B, C, S) written; x is forward's input.
void minibatch_std_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S,
                            int64_t group_size = kMinibatchStdGroup);

}  // namespace gm::nn
