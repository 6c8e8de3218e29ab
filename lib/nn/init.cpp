#include "nn/init.hpp"

#include <cmath>
#include <vector>

#include "core/distributed.hpp"
#include "core/error.hpp"

namespace gm::nn {

Fans fans(const std::vector<int64_t>& shape) {
  if (shape.empty()) return {};
  if (shape.size() == 1) return {shape[0], shape[0]};
  int64_t r = 1;
  for (std::size_t i = 2; i < shape.size(); ++i) r *= shape[i];
  return {shape[1] * r, shape[0] * r};
}

void init_zeros(float* p, int64_t n) { init_constant(p, n, 0.0f); }

void init_constant(float* p, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) p[i] = value;
}

void init_normal(float* p, int64_t n, Rng& rng, float mean, float std) {
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(mean + std * rng.normal());
}

void init_uniform(float* p, int64_t n, Rng& rng, float lo, float hi) {
  if (!(hi >= lo)) fail(Status::invalid_argument, "uniform init needs lo <= hi, got [{}, {})", lo, hi);
  const double width = static_cast<double>(hi) - lo;
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(lo + width * rng.uniform());
}

void init_xavier_uniform(float* p, int64_t n, Fans f, Rng& rng, float gain) {
  const float a = gain * static_cast<float>(std::sqrt(6.0 / static_cast<double>(f.in + f.out)));
  init_uniform(p, n, rng, -a, a);
}

void init_kaiming_normal(float* p, int64_t n, Fans f, Rng& rng, float gain) {
  init_normal(p, n, rng, 0.0f, gain / static_cast<float>(std::sqrt(static_cast<double>(f.in))));
}

void init_torch_default(float* p, int64_t n, int64_t fan_in, Rng& rng) {
  const float a = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
  init_uniform(p, n, rng, -a, a);
}

void init_logit_marginals(const DataView& data, float* b, const dist::Communicator* comm) {
  std::vector<double> ones(static_cast<std::size_t>(data.d) + 1, 0.0);  // + the row count
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    for (int64_t j = 0; j < data.d; ++j) ones[j] += x[j];
  }
  ones[static_cast<std::size_t>(data.d)] = static_cast<double>(data.n);
  if (comm) comm->sum(ones.data(), data.d + 1);
  const double n = ones[static_cast<std::size_t>(data.d)];
  for (int64_t j = 0; j < data.d; ++j) {
    const double p = (ones[j] + 1.0) / (n + 2.0);
    b[j] = static_cast<float>(std::log(p / (1.0 - p)));
  }
}

void init_log_marginals(const DataView& data, int64_t levels, float* b, const dist::Communicator* comm) {
  if (levels < 2) fail(Status::invalid_argument, "init_log_marginals needs at least 2 levels, got {}", levels);
  const int64_t d = data.d, m = levels;
  std::vector<double> counts(static_cast<std::size_t>(d * m) + 1, 0.0);  // + the row count
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    for (int64_t j = 0; j < d; ++j) counts[static_cast<std::size_t>(j * m + static_cast<int64_t>(x[j]))] += 1.0;
  }
  counts[static_cast<std::size_t>(d * m)] = static_cast<double>(data.n);
  if (comm) comm->sum(counts.data(), d * m + 1);  // integers in double: exact
  const double total = counts[static_cast<std::size_t>(d * m)] + static_cast<double>(m);
  for (int64_t k = 0; k < d * m; ++k)
    b[k] = static_cast<float>(std::log((counts[static_cast<std::size_t>(k)] + 1.0) / total));
}

}  // namespace gm::nn
