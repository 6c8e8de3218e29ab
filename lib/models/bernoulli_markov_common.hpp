// Checks and small pieces shared by the two closed-form binary pixel models, bernoulli and
// markov: data validation for their verbs, the smoothing prior's config key, reading a
// probability tensor and the count tensors back from a (hostile) model file, the single
// progress report of a closed-form fit, and the rules of partial fit (warm start adds counts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/data_view.hpp"
#include "core/distributed.hpp"
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

// Partial fit keeps integer counts and converts them to double for the probabilities, so
// no count (and no number of rows) may exceed 2^53: up to there every integer is exact in a
// double and chunked fits equal the one-shot fit bit for bit.
constexpr int64_t kMaxCount = int64_t{1} << 53;

// A tensor that old model files lack: null when no tensor has this name, else checked like
// find_tensor (dtype and shape; corrupt_file otherwise).
const TensorRef* find_optional_tensor(const std::vector<TensorRef>& tensors, const std::string& name, DType dtype,
                                      const std::vector<int64_t>& shape);

// Copies an i64 tensor (its bytes may be unaligned) into out and checks every value is a
// count in [0, kMaxCount]. Throws corrupt_file naming the first bad entry.
void read_counts(const TensorRef& t, int64_t* out, const char* kind);

// A restored p must be what the restored counts give, bit for bit (else corrupt_file).
void require_same_probabilities(const double* stored, const double* from_counts, int64_t count, const char* kind);

// Partial fit on a model that has no counts (loaded from a file written before counts were
// saved): invalid_argument saying what to do.
[[noreturn]] void fail_no_counts(const char* kind);

// old + added for a partial fit; invalid_argument if the total would pass kMaxCount.
int64_t add_rows(int64_t old_rows, int64_t added, const char* kind);

// A closed-form fit is one step: reports (1, 1, mean NLL) and throws cancelled if the
// callback asks to stop (the caller has not committed the new parameters yet).
void report_fit(const FitOptions& options, double mean_nll);

// Why encode/decode are missing; empty for other verbs (use the base message).
std::string no_latent_space(const char* kind, const char* verb);

// A distributed fit of a counting kind (docs/distributed.md): the rows every rank counts.
// Without --shard every rank holds all n rows and counts its block of them
// (distributed_slice); with it every rank counts its whole shard and N is the sum of the
// shards' sizes (distributed_rows, a collective). One process: all n rows.
int64_t distributed_rows(const FitOptions& options, int64_t n);
dist::Slice distributed_slice(const FitOptions& options, int64_t n);

// Bounds [begin, end) of block b of `blocks` near-equal blocks of [0, total).
inline int64_t block_begin(int64_t total, int64_t blocks, int64_t b) { return total * b / blocks; }

}  // namespace gm::exact_binary
