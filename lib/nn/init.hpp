// Parameter initialisers. Deterministic: the same Rng state gives bit-identical values
// (draws are sequential in element order, never split across threads).
//
// fan_in / fan_out follow PyTorch's convention so a model initialised here matches the
// PyTorch reference it is benchmarked against: for a weight of shape (d0, d1, k...) the
// receptive field r = Π k, fan_in = d1·r, fan_out = d0·r. (For a transposed convolution,
// stored (in, out, k, k), that makes fan_in = out·k² — PyTorch's quirk, kept on purpose.)
#pragma once

#include <cstdint>
#include <vector>

#include "core/data_view.hpp"
#include "core/rng.hpp"

namespace gm::dist {
class Communicator;
}

namespace gm::nn {

struct Fans {
  int64_t in = 1, out = 1;
};
Fans fans(const std::vector<int64_t>& shape);

void init_zeros(float* p, int64_t n);
void init_constant(float* p, int64_t n, float value);
// N(mean, std²)
void init_normal(float* p, int64_t n, Rng& rng, float mean, float std);
// U[lo, hi)
void init_uniform(float* p, int64_t n, Rng& rng, float lo, float hi);
// Glorot & Bengio 2010: U(±gain·√(6 / (fan_in + fan_out))) keeps activation and gradient
// variances equal across a linear layer.
void init_xavier_uniform(float* p, int64_t n, Fans f, Rng& rng, float gain = 1.0f);
// He et al. 2015: N(0, gain² / fan_in); gain = √2 preserves the variance through ReLU.
void init_kaiming_normal(float* p, int64_t n, Fans f, Rng& rng, float gain = 1.41421356f);
// PyTorch's default for Linear / Conv weights and biases: U(±1/√fan_in)
// (kaiming_uniform with a = √5 reduces to exactly this bound).
void init_torch_default(float* p, int64_t n, int64_t fan_in, Rng& rng);
// b_j = logit((c_j + 1) / (n + 2)), c_j = Σ_r x_rj: the logit of each column's smoothed mean.
// An autoregressive model of binary pixels started with these biases and zero interactions is
// the independent-Bernoulli model, so no epoch is spent learning the marginals.
// comm (a sharded distributed fit, docs/distributed.md): the counts and n are summed over its
// ranks' shards first, so every rank starts from the marginals of the whole data.
void init_logit_marginals(const DataView& data, float* b, const dist::Communicator* comm = nullptr);
// The M-level version: b (D, M), b_jv = log((c_jv + 1) / (n + M)), c_jv = #{r : x_rj = v}:
// the log of each column's smoothed (Laplace) level frequencies. Softmax logits started here,
// with zero interactions, are the independent categorical model. Every value must be a level
// in [0, M) (GenerativeModel::fit has checked). M = 2 gives b_j1 − b_j0 = init_logit_marginals.
void init_log_marginals(const DataView& data, int64_t levels, float* b, const dist::Communicator* comm = nullptr);

}  // namespace gm::nn
