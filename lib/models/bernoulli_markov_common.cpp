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

}  // namespace gm::exact_binary
