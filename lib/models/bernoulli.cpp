// bernoulli — see bernoulli.hpp for the model. Every row-parallel loop gives row r its own
// Rng(seed, r), so outputs do not depend on the thread count.
#include "models/bernoulli.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/distributed.hpp"
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

Tensor<double, 1> BernoulliModel::probabilities(const std::vector<int64_t>& ones, int64_t rows) const {
  Tensor<double, 1> p(Tensor<double, 1>::shape_type{ones.size()});
  for (std::size_t i = 0; i < ones.size(); ++i)
    p(i) = (static_cast<double>(ones[i]) + alpha_) / (static_cast<double>(rows) + 2.0 * alpha_);
  return p;
}

void BernoulliModel::do_fit(const DataView& data, const FitOptions& options) {
  require_binary(data, kind(), options.threads);
  const int64_t n = data.n, d = data.d;
  // A partial fit starts from the counts this model holds (fit() made *this a copy of the
  // fitted model and checked the width).
  if (options.warm_start && !has_counts_) exact_binary::fail_no_counts(kind());
  const int64_t n_all = exact_binary::distributed_rows(options, n);
  const int64_t rows = options.warm_start ? exact_binary::add_rows(rows_(0), n_all, kind()) : n_all;

  // c_i = #rows with x_i = 1. Threads own disjoint pixel blocks and stream all rows, so
  // there is no reduction and the counts are exact integers on any thread count. A
  // distributed fit (docs/distributed.md) counts this rank's block of the rows and sums the
  // integer counts over the ranks: the same counts, exactly, on any number of ranks.
  std::vector<int64_t> ones(static_cast<std::size_t>(d), 0);
  const dist::Slice rows_here = exact_binary::distributed_slice(options, n);
  const int threads = resolve_threads(options.threads);
  const int64_t blocks = std::min<int64_t>(threads, d);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = exact_binary::block_begin(d, blocks, b);
    const int64_t end = exact_binary::block_begin(d, blocks, b + 1);
    int64_t* c = ones.data();
    for (int64_t r = rows_here.begin; r < rows_here.end; ++r) {
      const float* x = data.row(r);
      for (int64_t i = begin; i < end; ++i) c[i] += x[i] != 0.0f;
    }
  }
  if (options.comm) options.comm->sum(ones.data(), d);
  if (options.warm_start)
    for (int64_t i = 0; i < d; ++i) ones[i] += ones_(i);

  Tensor<double, 1> p = probabilities(ones, rows);
  double nll = 0.0;  // Σ_i −[c_i log p_i + (N − c_i) log(1 − p_i)], the training NLL of all rows so far
  for (int64_t i = 0; i < d; ++i) {
    const double c = static_cast<double>(ones[i]);
    nll -= c * std::log(p(i)) + (static_cast<double>(rows) - c) * std::log1p(-p(i));
  }
  exact_binary::report_fit(options, nll / static_cast<double>(rows));
  Tensor<int64_t, 1> ones_t(Tensor<int64_t, 1>::shape_type{static_cast<std::size_t>(d)});
  std::copy(ones.begin(), ones.end(), ones_t.begin());
  Tensor<int64_t, 1> rows_t(Tensor<int64_t, 1>::shape_type{1});
  rows_t(0) = rows;
  // A partial fit keeps the layout fitted on (its rows may be flat ones of the same width).
  DataShape shape{d, data.image};
  if (options.warm_start && shape_.image.is_image()) shape.image = shape_.image;
  install(shape, std::move(p));
  ones_ = std::move(ones_t);
  rows_ = std::move(rows_t);
  has_counts_ = true;
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

std::vector<TensorRef> BernoulliModel::do_tensors() const {
  // "p" last: a file missing its last tensor then lacks p and is refused, never taken for an
  // old file without counts.
  if (!has_counts_) return {tensor_ref("p", p_)};
  return {tensor_ref("ones", ones_), tensor_ref("rows", rows_), tensor_ref("p", p_)};
}

void BernoulliModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const TensorRef& t = find_tensor(tensors, "p", DType::f64, {shape.d});
  Tensor<double, 1> p(Tensor<double, 1>::shape_type{static_cast<std::size_t>(shape.d)});
  exact_binary::read_probabilities(t, p.data(), 0.0, kind());
  const TensorRef* ones_ref = exact_binary::find_optional_tensor(tensors, "ones", DType::i64, {shape.d});
  const TensorRef* rows_ref = exact_binary::find_optional_tensor(tensors, "rows", DType::i64, {1});
  if (!ones_ref != !rows_ref)
    fail(Status::corrupt_file, "{} model file has tensor \"{}\" without \"{}\"", kind(), ones_ref ? "ones" : "rows",
         ones_ref ? "rows" : "ones");
  if (!ones_ref) {  // a file written before the counts were kept
    install(shape, std::move(p));
    return;
  }
  std::vector<int64_t> ones(static_cast<std::size_t>(shape.d));
  int64_t rows = 0;
  exact_binary::read_counts(*ones_ref, ones.data(), kind());
  exact_binary::read_counts(*rows_ref, &rows, kind());
  if (rows < 1)
    fail(Status::corrupt_file, "{} tensor \"rows\" is {}: a fitted model saw at least one row", kind(), rows);
  for (std::size_t i = 0; i < ones.size(); ++i)
    if (ones[i] > rows)
      fail(Status::corrupt_file, "{} tensor \"ones\" entry {} is {}, more than the {} rows fitted on", kind(), i,
           ones[i], rows);
  exact_binary::require_same_probabilities(p.data(), probabilities(ones, rows).data(), shape.d, kind());
  Tensor<int64_t, 1> ones_t(Tensor<int64_t, 1>::shape_type{ones.size()});
  std::copy(ones.begin(), ones.end(), ones_t.begin());
  Tensor<int64_t, 1> rows_t(Tensor<int64_t, 1>::shape_type{1});
  rows_t(0) = rows;
  install(shape, std::move(p));
  ones_ = std::move(ones_t);
  rows_ = std::move(rows_t);
  has_counts_ = true;
}

std::string BernoulliModel::unsupported_why(const char* verb) const {
  std::string why = exact_binary::no_latent_space(kind(), verb);
  return why.empty() ? GenerativeModel::unsupported_why(verb) : why;
}

}  // namespace gm
