// markov — see markov.hpp for the model. Contexts are kept as a rolling integer,
//   c_{i+1} = ((c_i << 1) | x_i) & (2^k − 1),   c_0 = 0 (the zero padding),
// so every verb costs O(1) per pixel (complete: O(2^{k+1}) per pixel). Row-parallel loops
// give row r its own Rng(seed, r): outputs do not depend on the thread count.
#include "models/markov.hpp"

#include <algorithm>
#include <cmath>
#include <new>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/rng.hpp"
#include "models/bernoulli_markov_common.hpp"

namespace gm {

namespace {
// Restored probabilities must be at least this (fits give >= ~1e-29, see read_alpha), so a
// hostile file cannot make the forward filter of complete underflow to an all-zero row.
constexpr double kMinProb = 1e-100;
}  // namespace

const Schema& MarkovModel::config_schema() {
  static const Schema schema{{
      integer_key("order", 1, 1, 12, "how many previous pixels (in raster order) each pixel depends on"),
      exact_binary::alpha_key(),
  }};
  return schema;
}

MarkovModel::MarkovModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  order_ = static_cast<int>(reader.integer("order"));
  alpha_ = reader.number("alpha");
  reader.finish();
  config_ = reader.effective();
}

void MarkovModel::install(const DataShape& shape, Tensor<double, 2> p) {
  const std::size_t d = p.shape()[0], states = p.shape()[1];
  Tensor<double, 3> lg(Tensor<double, 3>::shape_type{d, states, 2});
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t c = 0; c < states; ++c) {
      lg(i, c, 0) = std::log1p(-p(i, c));
      lg(i, c, 1) = std::log(p(i, c));
    }
  p_ = std::move(p);
  log_ = std::move(lg);
  shape_ = shape;
}

Tensor<double, 2> MarkovModel::probabilities(const int64_t* counts, int64_t d) const {
  const int64_t states = int64_t{1} << order_;
  Tensor<double, 2> p(Tensor<double, 2>::shape_type{static_cast<std::size_t>(d), static_cast<std::size_t>(states)});
  for (int64_t i = 0; i < d; ++i)
    for (int64_t c = 0; c < states; ++c) {
      const double n0 = static_cast<double>(counts[(i * states + c) * 2]);
      const double n1 = static_cast<double>(counts[(i * states + c) * 2 + 1]);
      p(i, c) = (n1 + alpha_) / (n0 + n1 + 2.0 * alpha_);
    }
  return p;
}

void MarkovModel::do_fit(const DataView& data, const FitOptions& options) {
  require_binary(data, kind(), options.threads);
  const int64_t n = data.n, d = data.d, k = order_, states = int64_t{1} << k;
  const uint32_t mask = static_cast<uint32_t>(states - 1);
  // A partial fit starts from the counts this model holds (fit() made *this a copy of the
  // fitted model and checked the width).
  if (options.warm_start && !has_counts_) exact_binary::fail_no_counts(kind());
  const int64_t rows = options.warm_start ? exact_binary::add_rows(counts_(0, 0, 0) + counts_(0, 0, 1), n, kind()) : n;

  // n_{i,c,b}, (D, 2^k, 2). Threads own disjoint pixel blocks and stream every row (the
  // context at a block's first pixel is rebuilt from the k pixels before it), so there
  // are no per-thread tables to reduce and the integer counts are thread-count exact.
  // The counts (16 bytes), the table p and its log table (8 + 16): 40 bytes per (pixel,
  // context). A partial fit adds to the copy of the counts *this holds (a failure discards
  // *this), beside the previous model that fit() keeps: twice that, and the new p and logs.
  limits::require_memory(d, states * (options.warm_start ? 104 : 40),
                         "markov's (D, 2^order) count and probability tables");
  if (!options.warm_start) {
    counts_ = Tensor<int64_t, 3>(
        Tensor<int64_t, 3>::shape_type{static_cast<std::size_t>(d), static_cast<std::size_t>(states), 2});
    std::fill(counts_.begin(), counts_.end(), int64_t{0});
  }
  Tensor<int64_t, 3>& counts = counts_;
  const int threads = resolve_threads(options.threads);
  const int64_t blocks = std::min<int64_t>(threads, d);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t begin = exact_binary::block_begin(d, blocks, blk);
    const int64_t end = exact_binary::block_begin(d, blocks, blk + 1);
    for (int64_t r = 0; r < n; ++r) {
      const float* x = data.row(r);
      uint32_t c = 0;
      for (int64_t j = std::max<int64_t>(0, begin - k); j < begin; ++j)
        c = ((c << 1) | static_cast<uint32_t>(x[j] != 0.0f)) & mask;
      int64_t* t = counts.data() + begin * states * 2;
      for (int64_t i = begin; i < end; ++i, t += states * 2) {
        const uint32_t b = x[i] != 0.0f;
        ++t[c * 2 + b];
        c = ((c << 1) | b) & mask;
      }
    }
  }

  Tensor<double, 2> p = probabilities(counts.data(), d);
  double nll = 0.0;  // −Σ n_{i,c,1} log p + n_{i,c,0} log(1 − p), the training NLL of all rows so far
  for (int64_t i = 0; i < d; ++i)
    for (int64_t c = 0; c < states; ++c) {
      const double n0 = static_cast<double>(counts(i, c, 0));
      const double n1 = static_cast<double>(counts(i, c, 1));
      if (n0 + n1 > 0) nll -= n1 * std::log(p(i, c)) + n0 * std::log1p(-p(i, c));
    }
  exact_binary::report_fit(options, nll / static_cast<double>(rows));
  // A partial fit keeps the layout fitted on (its rows may be flat ones of the same width).
  DataShape shape{d, data.image};
  if (options.warm_start && shape_.image.is_image()) shape.image = shape_.image;
  install(shape, std::move(p));
  has_counts_ = true;
}

void MarkovModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const int64_t d = shape_.d, states = int64_t{1} << order_;
  const uint32_t mask = static_cast<uint32_t>(states - 1);
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(options.seed, static_cast<uint64_t>(r));
    const double* p = p_.data();
    float* y = out + r * d;
    uint32_t c = 0;
    for (int64_t i = 0; i < d; ++i, p += states) {
      const uint32_t b = rng.uniform() < p[c];
      y[i] = static_cast<float>(b);
      c = ((c << 1) | b) & mask;
    }
  }
}

void MarkovModel::do_log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  require_binary(data, kind(), options.threads);
  const int64_t d = shape_.d, states = int64_t{1} << order_;
  const uint32_t mask = static_cast<uint32_t>(states - 1);
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    const double* lg = log_.data();
    double sum = 0.0;
    uint32_t c = 0;
    for (int64_t i = 0; i < d; ++i, lg += states * 2) {
      const uint32_t b = x[i] != 0.0f;
      sum += lg[c * 2 + b];
      c = ((c << 1) | b) & mask;
    }
    out[r] = sum;
  }
}

// Forward filtering, backward sampling over the states s_i = c_{i+1} (the last k pixels
// up to and including x_i, x_i in bit 0). The chain s_{i−1} → s_i = ((s_{i−1} << 1) | x_i)
// & mask has weight p(x_i | s_{i−1}), times 0 if x_i contradicts an observed pixel:
//   forward   a_i(s) ∝ Σ_{s'→s} a_{i−1}(s') p(x_i | s'),   a_{−1} = δ(s = 0)
// (normalised every step; only relative sizes matter). s has exactly two predecessors,
// lo = s >> 1 and hi = lo | 2^{k−1}, differing in the oldest bit, which the shift drops.
//   backward  s_{D−1} ~ a_{D−1};  s_{i−1} ∈ {lo, hi} with weight a_{i−1}(s') p(x_i | s')
// gives an exact draw of x_u | x_o; x_i is the low bit of s_i.
void MarkovModel::complete_row(const float* x, const uint8_t* o, uint64_t seed, uint64_t row, double* alpha,
                               float* y) const {
  const int64_t d = shape_.d, states = int64_t{1} << order_, half = states >> 1;
  const double* p = p_.data();
  const auto allow = [&](int64_t i, int b) { return !o[i] || (x[i] != 0.0f) == (b != 0); };

  std::fill(alpha, alpha + states, 0.0);
  if (allow(0, 0)) alpha[0] = 1.0 - p[0];  // s_0 = x_0, from the padding context 0
  if (allow(0, 1)) alpha[1] = p[0];
  for (int64_t i = 1; i < d; ++i) {
    const double* prev = alpha + (i - 1) * states;
    double* cur = alpha + i * states;
    const double* pi = p + i * states;
    const bool ok0 = allow(i, 0), ok1 = allow(i, 1);
    double total = 0.0;
    for (int64_t lo = 0; lo < half; ++lo) {
      const int64_t hi = lo | half;
      const double w1 = prev[lo] * pi[lo] + prev[hi] * pi[hi];
      const double w0 = prev[lo] * (1.0 - pi[lo]) + prev[hi] * (1.0 - pi[hi]);
      cur[2 * lo] = ok0 ? w0 : 0.0;
      cur[2 * lo + 1] = ok1 ? w1 : 0.0;
      total += cur[2 * lo] + cur[2 * lo + 1];
    }
    // total >= max a_{i−1} · min p >= 2^−k · 1e-100 > 0, so the rescale is finite.
    const double scale = 1.0 / total;
    for (int64_t s = 0; s < states; ++s) cur[s] *= scale;
  }

  Rng rng(seed, row);
  const double* last = alpha + (d - 1) * states;
  double total = 0.0;
  for (int64_t s = 0; s < states; ++s) total += last[s];
  const double u = rng.uniform() * total;
  int64_t s = -1;
  double acc = 0.0;
  for (int64_t t = 0; t < states; ++t) {
    if (last[t] <= 0.0) continue;
    s = t;  // the last positive state also absorbs rounding at the top of the sum
    acc += last[t];
    if (u < acc) break;
  }
  y[d - 1] = static_cast<float>(s & 1);
  for (int64_t i = d - 1; i >= 1; --i) {
    const int64_t b = s & 1, lo = s >> 1, hi = lo | half;
    const double* prev = alpha + (i - 1) * states;
    const double* pi = p + i * states;
    const double w0 = prev[lo] * (b ? pi[lo] : 1.0 - pi[lo]);
    const double w1 = prev[hi] * (b ? pi[hi] : 1.0 - pi[hi]);
    s = (w0 == 0.0 || rng.uniform() * (w0 + w1) < w1) ? hi : lo;
    y[i - 1] = static_cast<float>(s & 1);
  }
  for (int64_t i = 0; i < d; ++i)
    if (o[i]) y[i] = x[i];
}

void MarkovModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                              float* out) const {
  exact_binary::require_observed_binary(data, observed, kind());
  const int64_t d = shape_.d, scratch = d * (int64_t{1} << order_);
  const int64_t blocks = std::min<int64_t>(resolve_threads(options.threads), data.n);
  // One forward table per thread, allocated here so that a failure is an Error, not an
  // exception escaping the parallel region.
  std::vector<double> alpha;
  try {
    alpha.resize(static_cast<std::size_t>(blocks * scratch));
  } catch (const std::bad_alloc&) {
    fail(Status::out_of_memory,
         "complete: {} threads x {} MiB of forward tables for order {} on d = {}; use "
         "fewer threads or a lower order",
         blocks, scratch * 8 >> 20, order_, d);
  }
#pragma omp parallel for num_threads(static_cast <int>(blocks)) schedule(static, 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    double* a = alpha.data() + blk * scratch;
    const int64_t end = exact_binary::block_begin(data.n, blocks, blk + 1);
    for (int64_t r = exact_binary::block_begin(data.n, blocks, blk); r < end; ++r)
      complete_row(data.row(r), observed + r * d, options.seed, static_cast<uint64_t>(r), a, out + r * d);
  }
}

std::vector<TensorRef> MarkovModel::do_tensors() const {
  // "p" last: a file missing its last tensor then lacks p and is refused, never taken for an
  // old file without counts.
  if (!has_counts_) return {tensor_ref("p", p_)};
  return {tensor_ref("counts", counts_), tensor_ref("p", p_)};
}

void MarkovModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const int64_t d = shape.d, states = int64_t{1} << order_;
  const uint32_t mask = static_cast<uint32_t>(states - 1);
  const TensorRef& t = find_tensor(tensors, "p", DType::f64, {d, states});
  const TensorRef* counts_ref = exact_binary::find_optional_tensor(tensors, "counts", DType::i64, {d, states, 2});
  Tensor<double, 2> p(Tensor<double, 2>::shape_type{static_cast<std::size_t>(d), static_cast<std::size_t>(states)});
  exact_binary::read_probabilities(t, p.data(), kMinProb, kind());
  if (!counts_ref) {  // a file written before the counts were kept
    install(shape, std::move(p));
    return;
  }
  Tensor<int64_t, 3> counts(
      Tensor<int64_t, 3>::shape_type{static_cast<std::size_t>(d), static_cast<std::size_t>(states), 2});
  exact_binary::read_counts(*counts_ref, counts.data(), kind());
  // The counts of N real rows: every row enters pixel 0 in context 0, and each (pixel,
  // context) is visited exactly as often as the counts of the pixel before lead into it.
  // Counts are <= 2^53, so the sums below (each at most 2^54) cannot overflow.
  const int64_t rows = counts(0, 0, 0) + counts(0, 0, 1);
  if (rows < 1 || rows > exact_binary::kMaxCount)
    fail(Status::corrupt_file, "{} tensor \"counts\" gives {} rows at pixel 0: expected 1 to 2^53", kind(), rows);
  std::vector<int64_t> in(static_cast<std::size_t>(states), 0), next(static_cast<std::size_t>(states));
  in[0] = rows;
  for (int64_t i = 0; i < d; ++i) {
    std::fill(next.begin(), next.end(), int64_t{0});
    for (int64_t c = 0; c < states; ++c) {
      const int64_t n0 = counts(i, c, 0), n1 = counts(i, c, 1);
      if (n0 + n1 != in[static_cast<std::size_t>(c)])
        fail(Status::corrupt_file,
             "{} tensor \"counts\" is inconsistent: pixel {} context {} counts {} rows, but the pixels before lead {} "
             "rows into it",
             kind(), i, c, n0 + n1, in[static_cast<std::size_t>(c)]);
      next[((c << 1) & mask)] += n0;  // sums of the in[] entries, so at most rows
      next[((c << 1) & mask) | 1] += n1;
    }
    in.swap(next);
  }
  exact_binary::require_same_probabilities(p.data(), probabilities(counts.data(), d).data(), d * states, kind());
  install(shape, std::move(p));
  counts_ = std::move(counts);
  has_counts_ = true;
}

std::string MarkovModel::unsupported_why(const char* verb) const {
  std::string why = exact_binary::no_latent_space(kind(), verb);
  return why.empty() ? GenerativeModel::unsupported_why(verb) : why;
}

}  // namespace gm
