// markov — see markov.hpp for the model. Contexts are kept as a rolling integer,
//   c_{t+1} = (c_t − x_{t−k} · M^{k−1}) · M + x_t,   c_0 = 0 (the zero padding, x_{<0} = 0),
// (for M a power of two: ((c << log2 M) | x_t) & (M^k − 1)), so every verb costs O(1) per
// pixel (log_prob a lookup in the log table, or one log when that table would pass 64 MiB;
// sample O(M); complete O(M^{k+1})). GenerativeModel's verbs have checked that every value
// (every observed one, for complete) is a level in [0, M) before a hook runs. Row-parallel
// loops give row r its own Rng(seed, r): outputs do not depend on the thread count.
#include "models/markov.hpp"

#include <algorithm>
#include <cmath>
#include <new>
#include <numeric>
#include <type_traits>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/rng.hpp"
#include "models/bernoulli_markov_common.hpp"

namespace gm {

namespace {
// Restored probabilities must be at least this (fits give >= ~1e-26: alpha >= 1e-10 over at
// most 2^53 + 256e10 counts), so a hostile file cannot make the forward filter of complete
// underflow to an all-zero row.
constexpr double kMinProb = 1e-100;

// pos[t] = the stored index of the pixel at position t of the pixel order (markov.hpp).
std::vector<int64_t> pixel_order(const DataShape& shape) {
  std::vector<int64_t> pos(static_cast<std::size_t>(shape.d));
  const ImageShape& im = shape.image;
  if (im.is_image() && im.channels > 1 && im.size() == shape.d) {
    const int64_t c = im.channels, hw = im.height * im.width;
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t j = 0; j < c; ++j) pos[static_cast<std::size_t>(p * c + j)] = j * hw + p;
  } else {
    std::iota(pos.begin(), pos.end(), int64_t{0});
  }
  return pos;
}

std::string human_bytes(double bytes) {
  const char* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) bytes /= 1024, ++u;
  return u == 0 ? fmt::format("{:.0f} bytes", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

inline int64_t level(float x) { return static_cast<int64_t>(x); }

// A log table beside p (what log_prob reads) when it costs at most this; larger ones (e.g.
// 256 levels untied) are computed on the fly — the same std::log, so the same values.
constexpr int64_t kMaxLogTableBytes = int64_t{64} << 20;

// How the context rolls from one position to the next (markov.cpp's first comment).
struct Roll {
  int64_t k, m, top;  // order, levels, M^{k−1}
  int shift = 0;      // log2 M when M is a power of two
  int64_t mask = 0;   // M^k − 1 then
};

// Calls f(t, c, v) for the positions t in [begin, end) of the stored row x: c the context of
// position t, v its level. Pow2: M is a power of two (contexts roll by shift and mask, for
// M = 2 the binary kind's ((c << 1) | x) & mask); Identity: the pixel order is the storage
// order (C = 1), so no index table is read.
template <bool Pow2, bool Identity, typename F>
inline void walk_row(const float* x, const int64_t* pos, int64_t begin, int64_t end, const Roll& r, F&& f) {
  const auto at = [&](int64_t t) { return level(x[Identity ? t : pos[t]]); };
  int64_t c = 0;
  // The context at a block's first position, rebuilt from the k pixels before it.
  for (int64_t t = std::max<int64_t>(0, begin - r.k); t < begin; ++t)
    c = Pow2 ? ((c << r.shift) | at(t)) & r.mask : (c % r.top) * r.m + at(t);
  for (int64_t t = begin; t < end; ++t) {
    const int64_t v = at(t);
    f(t, c, v);
    if constexpr (Pow2)
      c = ((c << r.shift) | v) & r.mask;
    else
      c = (c - (t >= r.k ? at(t - r.k) : 0) * r.top) * r.m + v;
  }
}

// g(pow2, identity) with both as compile-time constants (std::integral_constant).
template <typename G>
inline void with_walk(bool pow2, bool identity, G&& g) {
  if (pow2) {
    if (identity)
      g(std::true_type{}, std::true_type{});
    else
      g(std::true_type{}, std::false_type{});
  } else {
    if (identity)
      g(std::false_type{}, std::true_type{});
    else
      g(std::false_type{}, std::false_type{});
  }
}

Roll roll_of(int64_t k, int64_t m, int64_t contexts) {
  Roll r{k, m, contexts / m};
  if ((m & (m - 1)) == 0) {
    while ((int64_t{1} << r.shift) < m) ++r.shift;
    r.mask = contexts - 1;
  }
  return r;
}

bool is_identity(const std::vector<int64_t>& pos) {
  for (std::size_t t = 0; t < pos.size(); ++t)
    if (pos[t] != static_cast<int64_t>(t)) return false;
  return true;
}
}  // namespace

const Schema& MarkovModel::config_schema() {
  static const Schema schema{{
      integer_key("order", 1, 1, 12,
                  "how many previous pixels (in raster order; R, G, B within a pixel) each pixel depends on: "
                  "M^order contexts of M levels"),
      number_key("alpha", 1.0, 1e-10, 1e10,
                 "Dirichlet(alpha, ..., alpha) prior on each conditional over the M levels (Beta(alpha, alpha) on "
                 "binary data): 1 is Laplace's rule, small values approach maximum likelihood"),
      boolean_key("tied", false,
                  "one transition table shared by all positions (M^order x (M-1) parameters) instead of one per "
                  "position (D x M^order x (M-1))"),
  }};
  return schema;
}

MarkovModel::MarkovModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  order_ = static_cast<int>(reader.integer("order"));
  alpha_ = reader.number("alpha");
  tied_ = reader.boolean("tied");
  reader.finish();
  config_ = reader.effective();
}

MarkovModel::Dims MarkovModel::dims(int64_t d, int64_t m) const {
  Dims dm;
  dm.tables = tied_ ? 1 : d;
  dm.levels = m;
  int64_t s = 1;
  bool overflow = false;
  for (int j = 0; j < order_; ++j) overflow = overflow || __builtin_mul_overflow(s, m, &s);
  int64_t cells = 0;
  overflow = overflow || __builtin_mul_overflow(dm.tables, s, &cells) || __builtin_mul_overflow(cells, m, &cells);
  dm.contexts = overflow ? -1 : s;
  dm.cells = overflow ? -1 : cells;
  return dm;
}

void MarkovModel::require_table_memory(const Dims& dm, int64_t count, int64_t bytes_each, const char* what) const {
  int64_t bytes = 0;
  const bool overflow = count < 0 || __builtin_mul_overflow(count, bytes_each, &bytes);
  const int64_t budget = limits::memory_budget();
  if (!overflow && bytes <= budget) return;
  const double need = overflow ? std::pow(static_cast<double>(dm.levels), order_ + 1) * static_cast<double>(dm.tables) *
                                     static_cast<double>(bytes_each)
                               : static_cast<double>(bytes);
  fail(Status::out_of_memory,
       "markov {}: order {} on {} levels {} needs {} ({} table{} of {}^{} contexts x {} levels), more than the memory "
       "budget of {}: {}, or raise the budget (gm_set_memory_budget)",
       what, order_, dm.levels, tied_ ? "(tied)" : "(untied)", human_bytes(need), dm.tables, dm.tables == 1 ? "" : "s",
       dm.levels, order_, dm.levels, human_bytes(static_cast<double>(budget)),
       tied_ ? "lower the order" : "lower the order, or set \"tied\": true (one table for all positions)");
}

std::vector<double> MarkovModel::probabilities(const int64_t* counts, const Dims& dm) const {
  const int64_t rows = dm.tables * dm.contexts, m = dm.levels;
  std::vector<double> p(static_cast<std::size_t>(m == 2 ? rows : rows * m));
  if (m == 2) {
    for (int64_t r = 0; r < rows; ++r) {
      const double n0 = static_cast<double>(counts[r * 2]);
      const double n1 = static_cast<double>(counts[r * 2 + 1]);
      p[static_cast<std::size_t>(r)] = (n1 + alpha_) / (n0 + n1 + 2.0 * alpha_);
    }
    return p;
  }
  const double prior = static_cast<double>(m) * alpha_;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t* n = counts + r * m;
    int64_t total = 0;  // <= 256 · 2^53
    for (int64_t v = 0; v < m; ++v) total += n[v];
    const double denominator = static_cast<double>(total) + prior;
    double* out = p.data() + r * m;
    for (int64_t v = 0; v < m; ++v) out[v] = (static_cast<double>(n[v]) + alpha_) / denominator;
  }
  return p;
}

int64_t MarkovModel::rows_counted(const int64_t* counts, const Dims& dm, int64_t d) const {
  int64_t total = 0;
  if (!tied_) {  // every row enters position 0 in context 0
    for (int64_t v = 0; v < dm.levels; ++v) total += counts[v];
    return total;
  }
  for (int64_t i = 0; i < dm.cells; ++i) total += counts[i];  // N·D <= 2^53
  return total / d;
}

void MarkovModel::install(const DataShape& shape, std::vector<double> p) {
  const Dims dm = dims(shape.d, shape.levels);
  std::vector<double> lg;
  if (dm.cells <= kMaxLogTableBytes / 8) {
    lg.resize(static_cast<std::size_t>(dm.cells));
    if (dm.levels == 2) {
      for (std::size_t i = 0; i < p.size(); ++i) {
        lg[2 * i] = std::log1p(-p[i]);
        lg[2 * i + 1] = std::log(p[i]);
      }
    } else {
      for (std::size_t i = 0; i < p.size(); ++i) lg[i] = std::log(p[i]);
    }
  }
  p_ = std::move(p);
  log_ = std::move(lg);
  shape_ = shape;
  dims_ = dm;
  pos_ = pixel_order(shape);
}

void MarkovModel::do_fit(const DataView& data, const FitOptions& options) {
  const int64_t n = data.n, d = data.d, m = data.levels, k = order_;
  // A partial fit starts from the counts this model holds (fit() made *this a copy of the
  // fitted model and checked the width and the levels).
  if (options.warm_start && !has_counts_) exact_binary::fail_no_counts(kind());
  if (options.warm_start && shape_.levels != m)
    fail(Status::internal, "markov partial fit: the kept counts have {} levels, the data {}", shape_.levels, m);
  // A partial fit keeps the layout fitted on (its rows may be flat ones of the same width),
  // and so the pixel order the counts were made in.
  DataShape shape{d, data.image, m};
  if (options.warm_start && (shape_.image.is_image() || data.image.channels > 1)) shape.image = shape_.image;
  const Dims dm = dims(d, m);
  // The counts (8 bytes a cell), the table p and the new p (8 + 8, or 4 + 4 for M = 2; the
  // log table adds at most 64 MiB); a
  // partial fit adds to the copy of the counts *this holds (a failure discards *this), beside
  // the previous model that fit() keeps.
  require_table_memory(dm, dm.cells, options.warm_start ? 40 : 24, "fit");
  const int64_t n_all = exact_binary::distributed_rows(options, n);
  const int64_t rows =
      options.warm_start ? exact_binary::add_rows(rows_counted(counts_.data(), dm, d), n_all, kind()) : n_all;
  if (tied_ && rows > exact_binary::kMaxCount / d)
    fail(Status::invalid_argument,
         "markov (tied) fit: {} rows of {} positions pass 2^53 counts in the shared table, where they would stop "
         "being exact",
         rows, d);
  // A distributed fit sums the counts over the ranks: the earlier counts of a partial fit
  // are added by rank 0 alone (every rank holds them).
  if (!options.warm_start || (options.comm && options.comm->rank() != 0))
    counts_.assign(static_cast<std::size_t>(dm.cells), int64_t{0});
  const dist::Slice rows_here = exact_binary::distributed_slice(options, n);

  const int64_t s_count = dm.contexts;
  const std::vector<int64_t> pos = pixel_order(shape);
  const Roll roll = roll_of(k, m, s_count);
  int64_t* counts = counts_.data();
  const int threads = resolve_threads(options.threads);
  with_walk(roll.mask != 0, is_identity(pos), [&](auto pow2, auto identity) {
    constexpr bool P = decltype(pow2)::value, I = decltype(identity)::value;
    if (tied_) {
      // One table: a single pass (the integer counts are exact in any order).
      for (int64_t r = rows_here.begin; r < rows_here.end; ++r)
        walk_row<P, I>(data.row(r), pos.data(), 0, d, roll,
                       [&](int64_t, int64_t c, int64_t v) { ++counts[c * m + v]; });
      return;
    }
    // n_{t,c,v}, (D, S, M). Threads own disjoint position blocks and stream every row (the
    // context at a block's first position is rebuilt from the k pixels before it), so there
    // are no per-thread tables to reduce and the integer counts are thread-count exact.
    const int64_t blocks = std::min<int64_t>(threads, d);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t begin = exact_binary::block_begin(d, blocks, blk);
      const int64_t end = exact_binary::block_begin(d, blocks, blk + 1);
      for (int64_t r = rows_here.begin; r < rows_here.end; ++r)
        walk_row<P, I>(data.row(r), pos.data(), begin, end, roll,
                       [&](int64_t t, int64_t c, int64_t v) { ++counts[(t * s_count + c) * m + v]; });
    }
  });

  if (options.comm) options.comm->sum(counts, dm.cells);
  std::vector<double> p = probabilities(counts, dm);
  double nll = 0.0;  // −Σ n_{t,c,v} log p_t(v | c), the training NLL of all rows so far
  const int64_t table_rows = dm.tables * s_count;
  if (m == 2) {
    for (int64_t r = 0; r < table_rows; ++r) {
      const double n0 = static_cast<double>(counts[r * 2]);
      const double n1 = static_cast<double>(counts[r * 2 + 1]);
      const double q = p[static_cast<std::size_t>(r)];
      if (n0 + n1 > 0) nll -= n1 * std::log(q) + n0 * std::log1p(-q);
    }
  } else {
    for (int64_t i = 0; i < dm.cells; ++i)
      if (counts[i] > 0) nll -= static_cast<double>(counts[i]) * std::log(p[static_cast<std::size_t>(i)]);
  }
  exact_binary::report_fit(options, nll / static_cast<double>(rows));
  install(shape, std::move(p));
  has_counts_ = true;
}

void MarkovModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const int64_t d = shape_.d, m = dims_.levels, k = order_, top = dims_.contexts / m;
#pragma omp parallel for num_threads(resolve_threads(options.threads)) schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(options.seed, static_cast<uint64_t>(r));
    float* y = out + r * d;
    int64_t c = 0;
    for (int64_t t = 0; t < d; ++t) {
      const double* q = table(t, c);
      const double u = rng.uniform();
      int64_t v = 0;
      if (m == 2) {
        v = u < q[0];
      } else {
        // Inverse CDF from the top level down; level 0 absorbs the rounding of the sum.
        double acc = 0.0;
        for (int64_t w = m - 1; w > 0; --w) {
          acc += q[w];
          if (u < acc) {
            v = w;
            break;
          }
        }
      }
      y[pos_[t]] = static_cast<float>(v);
      c = (c - (t >= k ? level(y[pos_[t - k]]) : 0) * top) * m + v;
    }
  }
}

void MarkovModel::do_log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  const int64_t d = shape_.d, m = dims_.levels, s_count = dims_.contexts, stride = tied_ ? 0 : s_count * m;
  const Roll roll = roll_of(order_, m, s_count);
  const int threads = resolve_threads(options.threads);
  with_walk(roll.mask != 0, is_identity(pos_), [&](auto pow2, auto identity) {
    constexpr bool P = decltype(pow2)::value, I = decltype(identity)::value;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < data.n; ++r) {
      double sum = 0.0;
      if (!log_.empty()) {
        const double* lg = log_.data();
        walk_row<P, I>(data.row(r), pos_.data(), 0, d, roll,
                       [&](int64_t t, int64_t c, int64_t v) { sum += lg[t * stride + c * m + v]; });
      } else {
        // M = 2 keeps p(1 | c) only: log p(0 | c) = log1p(−p), as before M levels.
        walk_row<P, I>(data.row(r), pos_.data(), 0, d, roll, [&](int64_t t, int64_t c, int64_t v) {
          const double* q = table(t, c);
          sum += m == 2 ? (v ? std::log(q[0]) : std::log1p(-q[0])) : std::log(q[v]);
        });
      }
      out[r] = sum;
    }
  });
}

// Binary forward filtering, backward sampling over the states s_i = c_{i+1} (the last k
// pixels up to and including x_i, x_i in bit 0), i the position. The chain s_{i−1} → s_i =
// ((s_{i−1} << 1) | x_i) & mask has weight p(x_i | s_{i−1}), times 0 if x_i contradicts an
// observed pixel:
//   forward   a_i(s) ∝ Σ_{s'→s} a_{i−1}(s') p(x_i | s'),   a_{−1} = δ(s = 0)
// (normalised every step; only relative sizes matter). s has exactly two predecessors,
// lo = s >> 1 and hi = lo | 2^{k−1}, differing in the oldest bit, which the shift drops.
//   backward  s_{D−1} ~ a_{D−1};  s_{i−1} ∈ {lo, hi} with weight a_{i−1}(s') p(x_i | s')
// gives an exact draw of x_u | x_o; x_i is the low bit of s_i.
void MarkovModel::complete_row_binary(const float* x, const uint8_t* o, uint64_t seed, uint64_t row, double* alpha,
                                      float* y) const {
  const int64_t d = shape_.d, states = dims_.contexts, half = states >> 1;
  const int64_t* pos = pos_.data();
  const auto allow = [&](int64_t i, int b) { return !o[pos[i]] || (x[pos[i]] != 0.0f) == (b != 0); };

  std::fill(alpha, alpha + states, 0.0);
  const double* p = table(0, 0);
  if (allow(0, 0)) alpha[0] = 1.0 - p[0];  // s_0 = x_0, from the padding context 0
  if (allow(0, 1)) alpha[1] = p[0];
  for (int64_t i = 1; i < d; ++i) {
    const double* prev = alpha + (i - 1) * states;
    double* cur = alpha + i * states;
    const double* pi = table(i, 0);
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
  y[pos[d - 1]] = static_cast<float>(s & 1);
  for (int64_t i = d - 1; i >= 1; --i) {
    const int64_t b = s & 1, lo = s >> 1, hi = lo | half;
    const double* prev = alpha + (i - 1) * states;
    const double* pi = table(i, 0);
    const double w0 = prev[lo] * (b ? pi[lo] : 1.0 - pi[lo]);
    const double w1 = prev[hi] * (b ? pi[hi] : 1.0 - pi[hi]);
    s = (w0 == 0.0 || rng.uniform() * (w0 + w1) < w1) ? hi : lo;
    y[pos[i - 1]] = static_cast<float>(s & 1);
  }
  for (int64_t i = 0; i < d; ++i)
    if (o[i]) y[i] = x[i];
}

// The same for M levels: the states s_t = c_{t+1} = (s_{t−1} mod M^{k−1}) · M + x_t, x_t the
// lowest digit. s = lo · M + v has the M predecessors lo + j · M^{k−1}, j = 0..M−1 (the oldest
// digit, which the step drops):
//   forward   a_t(lo·M + v) ∝ [x_t = v allowed] Σ_j a_{t−1}(lo + j·M^{k−1}) p_t(v | lo + j·M^{k−1})
//   backward  s_{D−1} ~ a_{D−1};  j ~ a_{t−1}(lo + j·M^{k−1}) p_t(v | lo + j·M^{k−1}).
void MarkovModel::complete_row_levels(const float* x, const uint8_t* o, uint64_t seed, uint64_t row, double* alpha,
                                      float* y) const {
  const int64_t d = shape_.d, m = dims_.levels, states = dims_.contexts, top = states / m;
  const int64_t* pos = pos_.data();

  std::fill(alpha, alpha + states, 0.0);
  {
    const double* q = table(0, 0);  // s_0 = x_0, from the padding context 0
    if (o[pos[0]])
      alpha[level(x[pos[0]])] = q[level(x[pos[0]])];
    else
      std::copy(q, q + m, alpha);
  }
  for (int64_t t = 1; t < d; ++t) {
    const double* prev = alpha + (t - 1) * states;
    double* cur = alpha + t * states;
    const double* pt = table(t, 0);
    std::fill(cur, cur + states, 0.0);
    const bool seen = o[pos[t]] != 0;
    const int64_t xv = seen ? level(x[pos[t]]) : 0;
    for (int64_t lo = 0; lo < top; ++lo) {
      double* out = cur + lo * m;
      for (int64_t j = 0; j < m; ++j) {
        const int64_t sp = lo + j * top;
        const double w = prev[sp];
        if (w == 0.0) continue;
        const double* q = pt + sp * m;
        if (seen) {
          out[xv] += w * q[xv];
        } else {
          for (int64_t v = 0; v < m; ++v) out[v] += w * q[v];
        }
      }
    }
    double total = 0.0;
    for (int64_t s = 0; s < states; ++s) total += cur[s];
    // total >= max a_{t−1} · min p >= M^−k · 1e-100 > 0, so the rescale is finite.
    const double scale = 1.0 / total;
    for (int64_t s = 0; s < states; ++s) cur[s] *= scale;
  }

  Rng rng(seed, row);
  const double* last = alpha + (d - 1) * states;
  double total = 0.0;
  for (int64_t s = 0; s < states; ++s) total += last[s];
  double u = rng.uniform() * total;
  int64_t s = -1;
  double acc = 0.0;
  for (int64_t t = 0; t < states; ++t) {
    if (last[t] <= 0.0) continue;
    s = t;  // the last positive state also absorbs rounding at the top of the sum
    acc += last[t];
    if (u < acc) break;
  }
  y[pos[d - 1]] = static_cast<float>(s % m);
  double w[limits::kMaxLevels];
  for (int64_t t = d - 1; t >= 1; --t) {
    const int64_t v = s % m, lo = s / m;
    const double* prev = alpha + (t - 1) * states;
    const double* pt = table(t, 0);
    double sum = 0.0;
    for (int64_t j = 0; j < m; ++j) {
      const int64_t sp = lo + j * top;
      w[j] = prev[sp] * pt[sp * m + v];
      sum += w[j];
    }
    u = rng.uniform() * sum;
    int64_t pick = -1;
    acc = 0.0;
    for (int64_t j = 0; j < m; ++j) {
      if (w[j] <= 0.0) continue;
      pick = j;
      acc += w[j];
      if (u < acc) break;
    }
    s = lo + pick * top;
    y[pos[t - 1]] = static_cast<float>(s % m);
  }
  for (int64_t i = 0; i < d; ++i)
    if (o[i]) y[i] = x[i];
}

void MarkovModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                              float* out) const {
  const int64_t d = shape_.d, scratch = d * dims_.contexts;
  const int64_t blocks = std::min<int64_t>(resolve_threads(options.threads), data.n);
  // One forward table per thread, checked against the budget and allocated here so that a
  // failure is an Error, not an exception escaping the parallel region.
  int64_t tables = 0;
  if (__builtin_mul_overflow(blocks, scratch, &tables)) tables = -1;
  require_table_memory(dims_, tables, 8,
                       "complete's forward tables (one D x M^order table per thread; fewer "
                       "threads also help)");
  std::vector<double> alpha;
  try {
    alpha.resize(static_cast<std::size_t>(tables));
  } catch (const std::bad_alloc&) {
    fail(Status::out_of_memory,
         "complete: {} threads x {} MiB of forward tables for order {} on {} levels, d = {}; use fewer threads or a "
         "lower order",
         blocks, scratch * 8 >> 20, order_, dims_.levels, d);
  }
  const bool binary = dims_.levels == 2;
#pragma omp parallel for num_threads(static_cast <int>(blocks)) schedule(static, 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    double* a = alpha.data() + blk * scratch;
    const int64_t end = exact_binary::block_begin(data.n, blocks, blk + 1);
    for (int64_t r = exact_binary::block_begin(data.n, blocks, blk); r < end; ++r) {
      if (binary)
        complete_row_binary(data.row(r), observed + r * d, options.seed, static_cast<uint64_t>(r), a, out + r * d);
      else
        complete_row_levels(data.row(r), observed + r * d, options.seed, static_cast<uint64_t>(r), a, out + r * d);
    }
  }
}

std::vector<TensorRef> MarkovModel::do_tensors() const {
  const int64_t t = dims_.tables, s = dims_.contexts, m = dims_.levels;
  TensorRef p;
  p.name = "p";
  p.dtype = DType::f64;
  p.shape = m == 2 ? std::vector<int64_t>{t, s} : std::vector<int64_t>{t, s, m};
  p.data = p_.data();
  // "p" last: a file missing its last tensor then lacks p and is refused, never taken for an
  // old file without counts.
  if (!has_counts_) return {p};
  TensorRef counts;
  counts.name = "counts";
  counts.dtype = DType::i64;
  counts.shape = {t, s, m};
  counts.data = counts_.data();
  return {counts, p};
}

void MarkovModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const int64_t d = shape.d, m = shape.levels;
  if (m < 2 || m > limits::kMaxLevels)
    fail(Status::corrupt_file, "{} model file has {} levels: expected 2 to {}", kind(), m, limits::kMaxLevels);
  const Dims dm = dims(d, m);
  // A file holds at most kModelFileMaxBytes; tables larger than that cannot be in it.
  if (dm.cells < 0 || dm.cells > limits::kModelFileMaxBytes / 8)
    fail(Status::corrupt_file,
         "{} model file: order {} on {} levels and d = {} gives tables larger than any model file", kind(), order_, m,
         d);
  const int64_t t_count = dm.tables, s_count = dm.contexts, top = s_count / m;
  const TensorRef& t =
      find_tensor(tensors, "p", DType::f64,
                  m == 2 ? std::vector<int64_t>{t_count, s_count} : std::vector<int64_t>{t_count, s_count, m});
  // Counts are optional only in the binary untied layout (files from before they were kept).
  const TensorRef* counts_ref =
      m == 2 && !tied_ ? exact_binary::find_optional_tensor(tensors, "counts", DType::i64, {t_count, s_count, 2})
                       : &find_tensor(tensors, "counts", DType::i64, {t_count, s_count, m});
  require_table_memory(dm, dm.cells, 24, "load");
  std::vector<double> p(static_cast<std::size_t>(t.elements()));
  exact_binary::read_probabilities(t, p.data(), kMinProb, kind());
  if (!counts_ref) {  // a file written before the counts were kept
    install(shape, std::move(p));
    has_counts_ = false;
    counts_.clear();
    return;
  }
  std::vector<int64_t> counts(static_cast<std::size_t>(dm.cells));
  exact_binary::read_counts(*counts_ref, counts.data(), kind());
  const auto n = [&](int64_t pos, int64_t c, int64_t v) {
    return counts[static_cast<std::size_t>((pos * s_count + c) * m + v)];
  };
  // Counts are <= 2^53 and M <= 256, so every sum below of at most M of them stays below 2^61.
  const auto visits = [&](int64_t pos, int64_t c) {
    int64_t sum = 0;
    for (int64_t v = 0; v < m; ++v) sum += n(pos, c, v);
    return sum;
  };
  if (!tied_) {
    // The counts of N real rows: every row enters position 0 in context 0, and each
    // (position, context) is visited exactly as often as the counts of the position before
    // lead into it.
    const int64_t rows = visits(0, 0);
    if (rows < 1 || rows > exact_binary::kMaxCount)
      fail(Status::corrupt_file, "{} tensor \"counts\" gives {} rows at pixel 0: expected 1 to 2^53", kind(), rows);
    std::vector<int64_t> in(static_cast<std::size_t>(s_count), 0), next(static_cast<std::size_t>(s_count));
    in[0] = rows;
    for (int64_t i = 0; i < d; ++i) {
      std::fill(next.begin(), next.end(), int64_t{0});
      for (int64_t c = 0; c < s_count; ++c) {
        const int64_t seen = visits(i, c);
        if (seen != in[static_cast<std::size_t>(c)])
          fail(Status::corrupt_file,
               "{} tensor \"counts\" is inconsistent: pixel {} context {} counts {} rows, but the pixels before lead "
               "{} rows into it",
               kind(), i, c, seen, in[static_cast<std::size_t>(c)]);
        const int64_t to = (c % top) * m;
        for (int64_t v = 0; v < m; ++v) next[static_cast<std::size_t>(to + v)] += n(i, c, v);  // at most rows
      }
      in.swap(next);
    }
  } else {
    // One table for all D positions: N·D counts in all, and a context's visits fall short of
    // the transitions into it (plus the N starts in context 0) only by the rows ending there.
    int64_t total = 0;
    for (int64_t i = 0; i < dm.cells; ++i) {
      total += counts[static_cast<std::size_t>(i)];
      if (total > exact_binary::kMaxCount) fail(Status::corrupt_file, "{} tensor \"counts\" sums past 2^53", kind());
    }
    if (total < d || total % d != 0)
      fail(Status::corrupt_file,
           "{} tensor \"counts\" is inconsistent: the tied table counts {} pixels, not a positive multiple of the "
           "{} positions",
           kind(), total, d);
    const int64_t rows = total / d;
    for (int64_t c = 0; c < s_count; ++c) {
      int64_t into = c == 0 ? rows : 0;
      for (int64_t j = 0; j < m; ++j) into += n(0, c / m + j * top, c % m);
      const int64_t seen = visits(0, c);
      if (into < seen)
        fail(Status::corrupt_file,
             "{} tensor \"counts\" is inconsistent: context {} is visited {} times, but only {} transitions lead "
             "into it",
             kind(), c, seen, into);
    }
  }
  exact_binary::require_same_probabilities(p.data(), probabilities(counts.data(), dm).data(),
                                           static_cast<int64_t>(p.size()), kind());
  install(shape, std::move(p));
  counts_ = std::move(counts);
  has_counts_ = true;
}

std::string MarkovModel::unsupported_why(const char* verb) const {
  std::string why = exact_binary::no_latent_space(kind(), verb);
  return why.empty() ? GenerativeModel::unsupported_why(verb) : why;
}

}  // namespace gm
