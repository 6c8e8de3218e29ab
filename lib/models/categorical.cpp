// categorical — see categorical.hpp for the model. GenerativeModel's verbs have checked that
// every value (every observed one, for complete) is a level in [0, M) before a hook runs.
// Row-parallel loops give row r its own Rng(seed, r): outputs do not depend on the thread
// count.
#include "models/categorical.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/rng.hpp"
#include "models/bernoulli_markov_common.hpp"

namespace gm {

namespace {
using Shape2 = Tensor<double, 2>::shape_type;
}  // namespace

const Schema& CategoricalModel::config_schema() {
  static const Schema schema{{number_key("alpha", 1.0, 1e-10, 1e10,
                                         "Dirichlet(alpha, ..., alpha) prior on each pixel's distribution over the "
                                         "levels: 1 is Laplace's rule, small values approach maximum likelihood")}};
  return schema;
}

CategoricalModel::CategoricalModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  alpha_ = reader.number("alpha");
  reader.finish();
  config_ = reader.effective();
}

Tensor<double, 2> CategoricalModel::probabilities(const Tensor<int64_t, 2>& counts, int64_t rows) const {
  const std::size_t d = counts.shape()[0], m = counts.shape()[1];
  Tensor<double, 2> p(Shape2{d, m});
  const double denominator = static_cast<double>(rows) + static_cast<double>(m) * alpha_;
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t v = 0; v < m; ++v) p(i, v) = (static_cast<double>(counts(i, v)) + alpha_) / denominator;
  return p;
}

void CategoricalModel::install(const DataShape& shape, Tensor<double, 2> p, Tensor<int64_t, 2> counts) {
  const std::size_t d = p.shape()[0], m = p.shape()[1];
  Tensor<double, 2> lg(Shape2{d, m}), cdf(Shape2{d, m});
  for (std::size_t i = 0; i < d; ++i) {
    double acc = 0.0;
    for (std::size_t v = 0; v < m; ++v) {
      lg(i, v) = std::log(p(i, v));
      acc += p(i, v);
      cdf(i, v) = acc;
    }
  }
  p_ = std::move(p);
  log_p_ = std::move(lg);
  cdf_ = std::move(cdf);
  counts_ = std::move(counts);
  shape_ = shape;
}

void CategoricalModel::do_fit(const DataView& data, const FitOptions& options) {
  const int64_t n = data.n, d = data.d, m = data.levels;
  if (options.warm_start && counts_.shape()[1] != static_cast<std::size_t>(m))
    fail(Status::internal, "categorical partial fit: the kept counts have {} levels, the data {}", counts_.shape()[1],
         m);
  int64_t old_rows = 0;  // every pixel counts every row: pixel 0's counts sum to N
  if (options.warm_start)
    for (int64_t v = 0; v < m; ++v) old_rows += counts_(0, v);
  const int64_t n_all = exact_binary::distributed_rows(options, n);
  const int64_t rows = options.warm_start ? exact_binary::add_rows(old_rows, n_all, kind()) : n_all;
  // Counts, p, log p and the cdf: 32 bytes per (pixel, level); a partial fit also holds the
  // previous model's tables.
  limits::require_memory(d, m * (options.warm_start ? 64 : 32), "categorical's (D, levels) tables");

  Tensor<int64_t, 2> counts(Tensor<int64_t, 2>::shape_type{static_cast<std::size_t>(d), static_cast<std::size_t>(m)});
  // A distributed fit sums the counts over the ranks: the earlier counts of a partial fit
  // are added by rank 0 alone (every rank holds them).
  if (options.warm_start && !(options.comm && options.comm->rank() != 0))
    counts = counts_;
  else
    std::fill(counts.begin(), counts.end(), int64_t{0});
  const dist::Slice rows_here = exact_binary::distributed_slice(options, n);
  // Threads own disjoint pixel blocks and stream every row: exact integer counts on any
  // thread count, no reduction.
  const int threads = resolve_threads(options.threads);
  const int64_t blocks = std::min<int64_t>(threads, d);
  int64_t* c = counts.data();
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t begin = exact_binary::block_begin(d, blocks, b);
    const int64_t end = exact_binary::block_begin(d, blocks, b + 1);
    for (int64_t r = rows_here.begin; r < rows_here.end; ++r) {
      const float* x = data.row(r);
      for (int64_t i = begin; i < end; ++i) ++c[i * m + static_cast<int64_t>(x[i])];
    }
  }
  if (options.comm) options.comm->sum(c, d * m);

  Tensor<double, 2> p = probabilities(counts, rows);
  double nll = 0.0;  // −Σ_{i,v} n_{i,v} log p_i(v): the training NLL of all rows so far
  for (int64_t i = 0; i < d; ++i)
    for (int64_t v = 0; v < m; ++v)
      if (counts(i, v) > 0) nll -= static_cast<double>(counts(i, v)) * std::log(p(i, v));
  exact_binary::report_fit(options, nll / static_cast<double>(rows));
  // A partial fit keeps the layout fitted on (its rows may be flat ones of the same width).
  DataShape shape{d, data.image, m};
  if (options.warm_start && shape_.image.is_image()) shape.image = shape_.image;
  install(shape, std::move(p), std::move(counts));
}

float CategoricalModel::draw(int64_t i, double u) const {
  const int64_t m = shape_.levels;
  const double* cdf = cdf_.data() + i * m;
  // The first level whose cumulative probability passes u; the last level absorbs the
  // rounding at the top of the sum.
  const int64_t v = std::upper_bound(cdf, cdf + m - 1, u) - cdf;
  return static_cast<float>(v);
}

void CategoricalModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const int64_t d = shape_.d;
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(options.seed, static_cast<uint64_t>(r));
    float* y = out + r * d;
    for (int64_t i = 0; i < d; ++i) y[i] = draw(i, rng.uniform());
  }
}

void CategoricalModel::do_log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  const int64_t d = shape_.d, m = shape_.levels;
  const double* lg = log_p_.data();
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    double sum = 0.0;
    for (int64_t i = 0; i < d; ++i) sum += lg[i * m + static_cast<int64_t>(x[i])];
    out[r] = sum;
  }
}

// Pixels are independent, so p(x_u | x_o) = Π_{i∈u} p_i(x_i): draw each unobserved pixel
// from its own distribution and copy the observed ones. Row r draws pixel i with the same
// uniform as sample's row r, so a row with nothing observed completes to sample's row r.
void CategoricalModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                                   float* out) const {
  const int64_t d = shape_.d;
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < data.n; ++r) {
    Rng rng(options.seed, static_cast<uint64_t>(r));
    const float* x = data.row(r);
    const uint8_t* o = observed + r * d;
    float* y = out + r * d;
    for (int64_t i = 0; i < d; ++i) {
      const double u = rng.uniform();
      y[i] = o[i] ? x[i] : draw(i, u);
    }
  }
}

std::vector<TensorRef> CategoricalModel::do_tensors() const {
  return {tensor_ref("counts", counts_), tensor_ref("p", p_)};
}

void CategoricalModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const int64_t d = shape.d, m = shape.levels;
  const TensorRef& counts_ref = find_tensor(tensors, "counts", DType::i64, {d, m});
  const TensorRef& p_ref = find_tensor(tensors, "p", DType::f64, {d, m});
  Tensor<int64_t, 2> counts(Tensor<int64_t, 2>::shape_type{static_cast<std::size_t>(d), static_cast<std::size_t>(m)});
  exact_binary::read_counts(counts_ref, counts.data(), kind());
  Tensor<double, 2> p(Shape2{static_cast<std::size_t>(d), static_cast<std::size_t>(m)});
  exact_binary::read_probabilities(p_ref, p.data(), 0.0, kind());
  // Every pixel counts the same N rows (counts are <= 2^53 and M <= 256, so a sum stays
  // below 2^61).
  int64_t rows = 0;
  for (int64_t i = 0; i < d; ++i) {
    int64_t sum = 0;
    for (int64_t v = 0; v < m; ++v) sum += counts(i, v);
    if (i == 0) rows = sum;
    if (sum != rows)
      fail(Status::corrupt_file, "{} tensor \"counts\" is inconsistent: pixel 0 counts {} rows, pixel {} counts {}",
           kind(), rows, i, sum);
  }
  if (rows < 1 || rows > exact_binary::kMaxCount)
    fail(Status::corrupt_file, "{} tensor \"counts\" gives {} rows: expected 1 to 2^53", kind(), rows);
  exact_binary::require_same_probabilities(p.data(), probabilities(counts, rows).data(), d * m, kind());
  install(shape, std::move(p), std::move(counts));
}

std::string CategoricalModel::unsupported_why(const char* verb) const {
  std::string why = exact_binary::no_latent_space(kind(), verb);
  return why.empty() ? GenerativeModel::unsupported_why(verb) : why;
}

}  // namespace gm
