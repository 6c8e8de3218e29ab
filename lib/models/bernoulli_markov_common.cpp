#include "models/bernoulli_markov_common.hpp"

#include <cstring>

#include "core/error.hpp"

namespace gm::exact_binary {

KeySpec alpha_key() {
  return number_key("alpha", 1.0, 1e-10, 1e10,
                    "Beta(alpha, alpha) prior on each probability: 1 is Laplace's rule, small values approach "
                    "maximum likelihood");
}

void require_observed_binary(const DataView& data, const uint8_t* observed, const char* kind) {
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    const uint8_t* o = observed + r * data.d;
    for (int64_t j = 0; j < data.d; ++j)
      if (o[j] && x[j] != 0.0f && x[j] != 1.0f)
        fail(Status::invalid_data,
             "{} needs binary data (0 or 1) but observed row {} column {} is {}; binarise it first "
             "or mark it unobserved",
             kind, r, j, x[j]);
  }
}

void read_probabilities(const TensorRef& t, double* out, double floor, const char* kind) {
  const int64_t count = t.elements();
  if (count > 0 && t.data == nullptr) fail(Status::corrupt_file, "{} tensor \"{}\" has no data", kind, t.name);
  std::memcpy(out, t.data, static_cast<std::size_t>(count) * sizeof(double));
  for (int64_t i = 0; i < count; ++i) {
    const double v = out[i];
    // Written so that NaN fails too.
    if (!(v > 0.0 && v >= floor && v < 1.0))
      fail(Status::corrupt_file, "{} tensor \"{}\" entry {} is {}: a probability must lie in ({}, 1)", kind, t.name, i,
           v, floor);
  }
}

const TensorRef* find_optional_tensor(const std::vector<TensorRef>& tensors, const std::string& name, DType dtype,
                                      const std::vector<int64_t>& shape) {
  for (const TensorRef& t : tensors)
    if (t.name == name) return &find_tensor(tensors, name, dtype, shape);
  return nullptr;
}

void read_counts(const TensorRef& t, int64_t* out, const char* kind) {
  const int64_t count = t.elements();
  if (count > 0 && t.data == nullptr) fail(Status::corrupt_file, "{} tensor \"{}\" has no data", kind, t.name);
  std::memcpy(out, t.data, static_cast<std::size_t>(count) * sizeof(int64_t));
  for (int64_t i = 0; i < count; ++i)
    if (out[i] < 0 || out[i] > kMaxCount)
      fail(Status::corrupt_file, "{} tensor \"{}\" entry {} is {}: a count must lie in [0, 2^53]", kind, t.name, i,
           out[i]);
}

void require_same_probabilities(const double* stored, const double* from_counts, int64_t count, const char* kind) {
  for (int64_t i = 0; i < count; ++i)
    if (std::memcmp(stored + i, from_counts + i, sizeof(double)) != 0)
      fail(Status::corrupt_file,
           "{} tensor \"p\" entry {} is {:.17g} but the stored counts give {:.17g}: the file is inconsistent", kind, i,
           stored[i], from_counts[i]);
}

void fail_no_counts(const char* kind) {
  fail(Status::invalid_argument,
       "{} partial fit (warm_start) adds the new rows' counts to the model's, but this model holds only its "
       "probabilities p (a model file written before genmodels kept the counts): fit it once from scratch on all "
       "the rows (warm_start = 0), save it, and partial fits continue from that file",
       kind);
}

int64_t add_rows(int64_t old_rows, int64_t added, const char* kind) {
  if (added > kMaxCount - old_rows)
    fail(Status::invalid_argument,
         "{} partial fit: {} rows so far plus {} new ones pass 2^53, where the counts would stop being exact", kind,
         old_rows, added);
  return old_rows + added;
}

void report_fit(const FitOptions& options, double mean_nll) {
  if (options.progress && options.progress(1, 1, mean_nll))
    fail(Status::cancelled, "fit was cancelled by the progress callback; the model is unchanged");
}

std::string no_latent_space(const char* kind, const char* verb) {
  const std::string v = verb;
  if (v != "encode" && v != "decode") return {};
  return fmt::format(
      "{} has no latent space: {} is for nade, vae and the GAN family (use sample, log_prob or complete)", kind, v);
}

int64_t distributed_rows(const FitOptions& options, int64_t n) {
  int64_t all = n;
  if (options.comm && options.sharded) options.comm->sum(&all, 1);
  return all;
}

dist::Slice distributed_slice(const FitOptions& options, int64_t n) {
  return options.comm && !options.sharded ? dist::slice_of(n, options.comm->rank(), options.comm->size())
                                          : dist::Slice{0, n};
}

}  // namespace gm::exact_binary
