// bernoulli — see bernoulli.hpp for the model. Every row-parallel loop gives row r its own
// Rng(seed, r), so outputs do not depend on the thread count.
#include "models/bernoulli.hpp"

#include <cmath>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/bernoulli_markov_common.hpp"

namespace gm {

const Schema& BernoulliModel::config_schema() {
  static const Schema schema{{exact_binary::alpha_key()}};
  return schema;
}

BernoulliModel::BernoulliModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  alpha_ = reader.number("alpha");
  reader.finish();
  config_ = reader.effective();
}

void BernoulliModel::install(const DataShape& shape, Tensor<double, 1> p) {
  const auto d = p.size();
  const Tensor<double, 1>::shape_type shape1{d};
  Tensor<double, 1> log_p(shape1), log_q(shape1);
  for (std::size_t i = 0; i < d; ++i) {
    log_p(i) = std::log(p(i));
    log_q(i) = std::log1p(-p(i));
  }
  p_ = std::move(p);
  log_p_ = std::move(log_p);
  log_q_ = std::move(log_q);
  shape_ = shape;
}

void BernoulliModel::do_fit(const DataView& data, const FitOptions& options) {
  require_binary(data, kind(), options.threads);
  const int64_t n = data.n, d = data.d;

  // c_i = #rows with x_i = 1. Threads own disjoint pixel blocks and stream all rows, so
  // there is no reduction and the counts are exact integers on any thread count.
  std::vector<int64_t> ones(static_cast<std::size_t>(d), 0);
  const int threads = resolve_threads(options.threads);
  const int64_t blocks = std::min<int64_t>(threads, d);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = exact_binary::block_begin(d, blocks, b);
    const int64_t end = exact_binary::block_begin(d, blocks, b + 1);
    int64_t* c = ones.data();
    for (int64_t r = 0; r < n; ++r) {
      const float* x = data.row(r);
      for (int64_t i = begin; i < end; ++i) c[i] += x[i] != 0.0f;
    }
  }

  Tensor<double, 1> p(Tensor<double, 1>::shape_type{static_cast<std::size_t>(d)});
  double nll = 0.0;  // Σ_i −[c_i log p_i + (N − c_i) log(1 − p_i)], the training NLL
  for (int64_t i = 0; i < d; ++i) {
    const double c = static_cast<double>(ones[i]);
    p(i) = (c + alpha_) / (static_cast<double>(n) + 2.0 * alpha_);
    nll -= c * std::log(p(i)) + (static_cast<double>(n) - c) * std::log1p(-p(i));
  }
  exact_binary::report_fit(options, nll / static_cast<double>(n));
  install(DataShape{d, data.image}, std::move(p));
}

void BernoulliModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const int64_t d = shape_.d;
  const double* p = p_.data();
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(options.seed, static_cast<uint64_t>(r));
    float* y = out + r * d;
    for (int64_t i = 0; i < d; ++i) y[i] = rng.uniform() < p[i] ? 1.0f : 0.0f;
  }
}

void BernoulliModel::do_log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  require_binary(data, kind(), options.threads);
  const int64_t d = shape_.d;
  const double* lp = log_p_.data();
  const double* lq = log_q_.data();
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    double sum = 0.0;
    for (int64_t i = 0; i < d; ++i) sum += x[i] != 0.0f ? lp[i] : lq[i];
    out[r] = sum;
  }
}

// Pixels are independent, so p(x_u | x_o) = Π_{i∈u} p(x_i): draw each unobserved pixel
// from its own p_i and copy the observed ones.
void BernoulliModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                                 float* out) const {
  exact_binary::require_observed_binary(data, observed, kind());
  const int64_t d = shape_.d;
  const double* p = p_.data();
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < data.n; ++r) {
    Rng rng(options.seed, static_cast<uint64_t>(r));
    const float* x = data.row(r);
    const uint8_t* o = observed + r * d;
    float* y = out + r * d;
    for (int64_t i = 0; i < d; ++i) y[i] = o[i] ? x[i] : (rng.uniform() < p[i] ? 1.0f : 0.0f);
  }
}

std::vector<TensorRef> BernoulliModel::do_tensors() const { return {tensor_ref("p", p_)}; }

void BernoulliModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const TensorRef& t = find_tensor(tensors, "p", DType::f64, {shape.d});
  Tensor<double, 1> p(Tensor<double, 1>::shape_type{static_cast<std::size_t>(shape.d)});
  exact_binary::read_probabilities(t, p.data(), 0.0, kind());
  install(shape, std::move(p));
}

std::string BernoulliModel::unsupported_why(const char* verb) const {
  std::string why = exact_binary::no_latent_space(kind(), verb);
  return why.empty() ? GenerativeModel::unsupported_why(verb) : why;
}

}  // namespace gm
