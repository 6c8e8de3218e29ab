// Checks and small pieces shared by the two closed-form binary pixel models, bernoulli and
// markov: data validation for their verbs, the smoothing prior's config key, reading a
// probability tensor back from a (hostile) model file, and the single progress report of
// a closed-form fit.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/data_view.hpp"
#include "core/tensor.hpp"
#include "models/generative_model.hpp"

namespace gm::exact_binary {

// The config key "alpha" of the Beta(alpha, alpha) prior. Its floor keeps every fitted
// probability far above the smallest double (p >= alpha / (N + 2 alpha) >= 1e-10 / 2^63 ~
// 1e-29), so logs stay finite and the filtering in markov's complete cannot underflow.
KeySpec alpha_key();

// complete (after GenerativeModel::complete's checks of width, layout and a non-null mask):
// the observed entries are exactly 0 or 1; the unobserved ones are ignored and may be NaN.
// Also used by fvsbn and nade.
void require_observed_binary(const DataView& data, const uint8_t* observed, const char* kind);

// Copies an f64 tensor (its bytes may be unaligned) into out and checks every value is a
// probability in [floor, 1) and > 0. Throws corrupt_file naming the first bad entry.
void read_probabilities(const TensorRef& t, double* out, double floor, const char* kind);

// A closed-form fit is one step: reports (1, 1, mean NLL) and throws cancelled if the
// callback asks to stop (the caller has not committed the new parameters yet).
void report_fit(const FitOptions& options, double mean_nll);

// Why encode/decode are missing; empty for other verbs (use the base message).
std::string no_latent_space(const char* kind, const char* verb);

// Bounds [begin, end) of block b of `blocks` near-equal blocks of [0, total).
inline int64_t block_begin(int64_t total, int64_t blocks, int64_t b) { return total * b / blocks; }

}  // namespace gm::exact_binary
