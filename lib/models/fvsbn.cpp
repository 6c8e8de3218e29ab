#include "models/fvsbn.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/distributed.hpp"
#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/bernoulli_markov_common.hpp"
#include "models/common_keys.hpp"
#include "nn/bce_row.hpp"
#include "nn/binary_product.hpp"
#include "nn/init.hpp"
#include "nn/tiles.hpp"

namespace gm {

namespace {

constexpr int64_t kEvalRows = 128;  // rows per product in log_prob (a thread takes them whole)
constexpr float kDefaultLr = 1e-3f;
// M > 2: positions per block of the logits product (N = block · M columns), rows per
// log_prob pass (their logits, rows · D · M floats, are held at once), and the largest
// D·D·M accepted (one tensor of 1 GiB).
constexpr int64_t kPositionBlock = 16;
constexpr int64_t kLevelRows = 64;
constexpr int64_t kMaxLevelWeights = int64_t{1} << 28;

// Inverse CDF of softmax(l) over m levels at uniform u.
int64_t draw_softmax(const float* l, int64_t m, double u) {
  float top = l[0];
  for (int64_t v = 1; v < m; ++v) top = std::max(top, l[v]);
  double total = 0;
  for (int64_t v = 0; v < m; ++v) total += std::exp(static_cast<double>(l[v]) - top);
  double left = u * total;
  for (int64_t v = 0; v < m - 1; ++v)
    if ((left -= std::exp(static_cast<double>(l[v]) - top)) < 0) return v;
  return m - 1;
}

double log_sum_exp(const float* l, int64_t m) {
  float top = l[0];
  for (int64_t v = 1; v < m; ++v) top = std::max(top, l[v]);
  double total = 0;
  for (int64_t v = 0; v < m; ++v) total += std::exp(static_cast<double>(l[v]) - top);
  return top + std::log(total);
}

// −log softmax(l)_target over m levels (in double); with scale != 0, l becomes
// scale · (softmax(l) − onehot(target)), the gradient. One exp per level.
double softmax_loss(float* l, int64_t m, int32_t target, float scale) {
  float top = l[0];
  for (int64_t v = 1; v < m; ++v) top = std::max(top, l[v]);
  const float at = l[target];
  double total = 0;
  if (scale == 0.0f) {
    for (int64_t v = 0; v < m; ++v) total += std::exp(l[v] - top);
    return top + std::log(total) - at;
  }
  for (int64_t v = 0; v < m; ++v) total += (l[v] = std::exp(l[v] - top));
  const float f = static_cast<float>(scale / total);
  for (int64_t v = 0; v < m; ++v) l[v] *= f;
  l[target] -= scale;
  return top + std::log(total) - at;
}

// Picks one of k proposals with probability ∝ exp(log_w) (log_w is overwritten).
int64_t pick_proposal(double* log_w, int64_t k, uint64_t seed, int64_t row) {
  const double top = *std::max_element(log_w, log_w + k);
  double total = 0;
  for (int64_t c = 0; c < k; ++c) total += (log_w[c] = std::exp(log_w[c] - top));
  Rng pick(seed, ~static_cast<uint64_t>(row));
  double u = pick.uniform() * total;
  for (int64_t c = 0; c < k; ++c)
    if ((u -= log_w[c]) < 0) return c;
  return k - 1;
}

// log(1 + e^l) without overflow.
inline double softplus(double l) { return std::max(l, 0.0) + std::log1p(std::exp(-std::fabs(l))); }
inline float sigmoid(float l) { return 1.0f / (1.0f + std::exp(-l)); }

}  // namespace

const Schema& FvsbnModel::config_schema() {
  static const Schema schema{
      {keys::weight_decay(), keys::complete_samples(),
       boolean_key("neighbour_tables", true,
                   "M > 2: one-hot M x M tables for the left, up-left, up and up-right neighbours, tied across "
                   "positions, beside the linear term (docs/levels.md)")}};
  return schema;
}

void FvsbnModel::upgrade_saved_config(Json& config) {
  if (!config.contains("neighbour_tables")) config["neighbour_tables"] = false;
}

FvsbnModel::FvsbnModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  weight_decay_ = reader.number("weight_decay");
  complete_samples_ = reader.integer("complete_samples");
  neighbour_tables_ = reader.boolean("neighbour_tables");
  reader.finish();
  config_ = reader.effective();
}

FvsbnModel::~FvsbnModel() = default;
FvsbnModel::FvsbnModel(FvsbnModel&&) noexcept = default;
FvsbnModel& FvsbnModel::operator=(FvsbnModel&&) noexcept = default;

std::string FvsbnModel::unsupported_why(const char* verb) const {
  const std::string why = exact_binary::no_latent_space(kind(), verb);
  return why.empty() ? GenerativeModel::unsupported_why(verb) : why;
}

void FvsbnModel::build(int64_t d) {
  store_ = std::make_unique<nn::ParameterStore>();
  wt_ = store_->add("Wt", {d, d});  // (D, D), Wt[j, i] = W_ij for j < i, zero elsewhere
  n_ = nn::ParamId{};               // binary pixels have no neighbour tables
  b_ = store_->add("b", {d});       // (D)
}

void FvsbnModel::refresh_derived() {
  if (shape_.levels > 2) return;  // the file holds the training layout
  const int64_t d = shape_.d;
  const float* wt = store_->value(wt_);
  w_.assign(static_cast<std::size_t>(d * d), 0.0f);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < i; ++j) w_[i * d + j] = wt[j * d + i];
}

// ---------------------------------------------------------------- fit

void FvsbnModel::do_fit(const DataView& data, const FitOptions& options) {
  // A sharded distributed fit: the marginals summed over the ranks' shards.
  const dist::Communicator* shards = options.sharded ? options.comm.get() : nullptr;
  // GenerativeModel::fit has resolved M and checked that every value is a level.
  const int64_t d = data.d, m = data.levels;
  if (m == 2) {
    if (!options.warm_start) {  // a warm start continues the restored parameters
      build(d);
      nn::init_logit_marginals(data, store_->value(b_), shards);  // and W = 0: the independent model
    }
    shape_ = DataShape{d, data.image};
  } else {
    if (d > kMaxLevelWeights / d / m)
      fail(Status::invalid_argument, "fvsbn with d = {} and {} levels needs {} weights, more than {}", d, m, d * d * m,
           kMaxLevelWeights);
    // A continued fit keeps the layout fitted on: the order of the positions must not change.
    DataShape shape{d, data.image, m};
    if (options.warm_start && shape_.image.is_image()) shape.image = shape_.image;
    shape_ = shape;  // before training: checkpoints are written from shape_
    set_order();
    if (!options.warm_start) {
      store_ = std::make_unique<nn::ParameterStore>();
      wt_ = store_->add("Wt", {d, d, m});  // Wt[j, t, v] = W_{t,v,j}, zero for j >= t
      b_ = store_->add("b", {d, m});
      n_ = neighbour_tables_ ? store_->add("N", {kNeighbours, m + 1, m}) : nn::ParamId{};
      if (n_.valid()) init_left_table(data);  // the other tables start at 0
      std::vector<float> marginals(static_cast<std::size_t>(d * m));
      nn::init_log_marginals(data, m, marginals.data(), shards);  // and W = 0: the categorical model
      float* b = store_->value(b_);
      for (int64_t t = 0; t < d; ++t)
        std::memcpy(b + t * m, &marginals[static_cast<std::size_t>(order_[static_cast<std::size_t>(t)] * m)],
                    static_cast<std::size_t>(m) * sizeof(float));
    }
  }

  nn::TrainerSettings settings;
  settings.fit = options;
  settings.adam.lr = kDefaultLr;
  settings.adam.weight_decay = static_cast<float>(weight_decay_);
  settings.kind = kind();
  try {
    report_ = nn::train(*this, data, settings);
  } catch (const Error&) {
    // A cancel keeps the last completed step (GenerativeModel::fit): W must match it.
    refresh_derived();
    throw;
  }
  refresh_derived();
}

double FvsbnModel::train_step(const DataView& batch, Rng&) {
  if (shape_.levels > 2) {
    const int64_t B = batch.n, D = shape_.d, M = shape_.levels;
    xs_.resize(static_cast<std::size_t>(B * D));
    lv_.resize(xs_.size());
    lg_.resize(static_cast<std::size_t>(B * D * M));
    nll_.resize(static_cast<std::size_t>(B));
    gather_levels(batch.x, B, xs_.data(), lv_.data());
    level_logits(xs_.data(), lv_.data(), B, lg_.data());
    level_losses(lv_.data(), B, lg_.data(), 1.0f / static_cast<float>(B), nll_.data());
    float* gb = store_->grad(b_);
    const float* g = lg_.data();
    if (n_.valid()) neighbour_grad(lv_.data(), B, g);
#pragma omp parallel for schedule(static)
    for (int64_t e = 0; e < D * M; ++e) {
      float sum = 0;
      for (int64_t r = 0; r < B; ++r) sum += g[r * D * M + e];
      gb[e] += sum;
    }
    // gWt[0:t1, block] += X̃[:, 0:t1]ᵀ · G[:, block], then the entries j >= t of the block's
    // diagonal square back to 0 (not parameters: Adam leaves them at 0).
    float* gwt = store_->grad(wt_);
    const int64_t blocks = (D + kPositionBlock - 1) / kPositionBlock;
    struct Scratch {};
    nn::for_tiles<Scratch>(blocks, [&](int64_t k, Scratch&) {
      const int64_t blk = blocks - 1 - k;  // the largest first
      const int64_t t0 = blk * kPositionBlock, t1 = std::min(D, t0 + kPositionBlock);
      level_grad_gemm_.run(t1, (t1 - t0) * M, B, xs_.data(), D, g + t0 * M, D * M, gwt + t0 * M, D * M);
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t j = t; j < t1; ++j) std::fill(gwt + j * D * M + t * M, gwt + j * D * M + (t + 1) * M, 0.0f);
    });
    double loss = 0;
    for (double v : nll_) loss += v;
    return loss;
  }
  const int64_t B = batch.n, d = shape_.d;
  logits_.resize(static_cast<std::size_t>(B * d));
  dlogits_.resize(static_cast<std::size_t>(B * d));
  rows_.assign(batch.x, B, d, d);
  nn::binary_matmul(rows_, store_->value(wt_), d, d, store_->value(b_), logits_.data(), d, true);

  // NLL = Σ softplus(l) − x·l;  d(mean NLL)/dl = (σ(l) − x) / B
  const float inv_b = 1.0f / static_cast<float>(B);
  double loss = 0;
#pragma omp parallel for reduction(+ : loss)
  for (int64_t r = 0; r < B; ++r) loss += nn::bce_row(&logits_[r * d], batch.x + r * d, d, &dlogits_[r * d], inv_b);
  // dWt (D, D) += Xᵀ · dL, dense: at 31% ones a product that adds rows gains nothing here
  // (nn/binary_product.hpp). Wt's entries i ≤ j are not parameters: their gradient is reset
  // to 0, so Adam (and weight decay of a zero) leaves them at 0.
  float* gwt = store_->grad(wt_);
  grad_wt_gemm_.run(d, d, B, batch.x, d, dlogits_.data(), d, gwt, d);
#pragma omp parallel for
  for (int64_t j = 0; j < d; ++j) std::fill(gwt + j * d, gwt + j * d + j + 1, 0.0f);
  float* gb = store_->grad(b_);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < d; ++j) gb[j] += dlogits_[r * d + j];
  return loss;
}

double FvsbnModel::evaluate(const DataView& batch, Rng&) {
  std::vector<double> lp(static_cast<std::size_t>(batch.n));
  row_log_probs(batch, lp.data());
  double nll = 0;
  for (double v : lp) nll -= v;
  return nll;
}

// ---------------------------------------------------------------- log_prob

// Chunks of kEvalRows rows go to the threads whole (index, product, likelihood): one thread
// team for the call, and no barrier between the three (each a wake-up under a passive
// OpenMP policy; see nn::SerialScope).
void FvsbnModel::row_log_probs(const DataView& data, double* out) const {
  if (shape_.levels > 2) {
    const int64_t D = shape_.d, M = shape_.levels;
    std::vector<float> xs, lg;
    std::vector<int32_t> lv;
    for (int64_t r0 = 0; r0 < data.n; r0 += kLevelRows) {
      const int64_t n = std::min(kLevelRows, data.n - r0);
      xs.resize(static_cast<std::size_t>(n * D));
      lv.resize(xs.size());
      lg.resize(static_cast<std::size_t>(n * D * M));
      gather_levels(data.row(r0), n, xs.data(), lv.data());
      level_logits(xs.data(), lv.data(), n, lg.data());
      level_losses(lv.data(), n, lg.data(), 0.0f, out + r0);
      for (int64_t r = 0; r < n; ++r) out[r0 + r] = -out[r0 + r];
    }
    return;
  }
  struct Scratch {
    nn::BinaryRows rows;
    std::vector<float> logits;
  };
  const int64_t d = shape_.d;
  const float* wt = store_->value(wt_);
  const float* b = store_->value(b_);
  nn::for_tiles<Scratch>((data.n + kEvalRows - 1) / kEvalRows, [&](int64_t c, Scratch& s) {
    const int64_t begin = c * kEvalRows, count = std::min(kEvalRows, data.n - begin);
    const float* x = data.row(begin);
    s.rows.assign(x, count, d, d);
    s.logits.resize(static_cast<std::size_t>(count * d));
    nn::binary_matmul(s.rows, wt, d, d, b, s.logits.data(), d, true);
    for (int64_t r = 0; r < count; ++r) out[begin + r] = -nn::bce_row(&s.logits[r * d], x + r * d, d, nullptr, 0.0f);
  });
}

void FvsbnModel::do_log_prob(const DataView& data, const EvalOptions&, double* out) const { row_log_probs(data, out); }

// ---------------------------------------------------------------- sample and complete

// One row in raster order. Clamped pixels take values[i] and add log p(x_i | x_<i) to
// *log_w; the others are drawn. l (D) is scratch for the running logits. The additions of a
// row of Wt (l[j] += w[j] after a pixel that is on) are ~60% of a draw: compiled for AVX-512
// and AVX2 too (the library's baseline is SSE2), 15% faster. (Drawing 8 rows in lockstep, so
// that each row of Wt is read once for the 8, was slower: the draw is not bound by L3.)
__attribute__((target_clones("avx512f", "avx2", "default"))) static void draw_row(const float* b, const float* wt,
                                                                                  int64_t d, const float* values,
                                                                                  const uint8_t* observed, Rng& rng,
                                                                                  float* out, double* log_w, float* l) {
  std::memcpy(l, b, static_cast<std::size_t>(d) * sizeof(float));
  double lw = 0;
  for (int64_t i = 0; i < d; ++i) {
    float xi;
    if (observed && observed[i]) {
      xi = values[i];
      lw += xi != 0.0f ? -softplus(-l[i]) : -softplus(l[i]);
    } else {
      xi = rng.uniform_f() < sigmoid(l[i]) ? 1.0f : 0.0f;
    }
    out[i] = xi;
    if (xi != 0.0f) {
      const float* w = wt + i * d;
      for (int64_t j = i + 1; j < d; ++j) l[j] += w[j];
    }
  }
  if (log_w) *log_w = lw;
}

void FvsbnModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const int64_t d = shape_.d;
  if (shape_.levels > 2) {
    const int64_t dm = d * shape_.levels;
#pragma omp parallel num_threads(resolve_threads(options.threads))
    {
      std::vector<float> l(static_cast<std::size_t>(dm + shape_.levels));
#pragma omp for schedule(dynamic, 4)
      for (int64_t r = 0; r < n; ++r) {
        Rng rng(options.seed, static_cast<uint64_t>(r));
        draw_row_levels(nullptr, nullptr, rng, out + r * d, nullptr, l.data());
      }
    }
    return;
  }
  const float* b = store_->value(b_);
#pragma omp parallel num_threads(resolve_threads(options.threads))
  {
    std::vector<float> l(static_cast<std::size_t>(d));
#pragma omp for schedule(dynamic, 16)
    for (int64_t r = 0; r < n; ++r) {
      Rng rng(options.seed, static_cast<uint64_t>(r));
      draw_row(b, store_->value(wt_), d, nullptr, nullptr, rng, out + r * d, nullptr, l.data());
    }
  }
}

void FvsbnModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                             float* out) const {
  const int64_t d = shape_.d, k = complete_samples_;
  if (shape_.levels > 2) {
    const int64_t dm = d * shape_.levels;
#pragma omp parallel num_threads(resolve_threads(options.threads))
    {
      std::vector<float> l(static_cast<std::size_t>(dm + shape_.levels)), candidates(static_cast<std::size_t>(k * d));
      std::vector<double> log_w(static_cast<std::size_t>(k));
#pragma omp for schedule(dynamic, 1)
      for (int64_t r = 0; r < data.n; ++r) {
        for (int64_t c = 0; c < k; ++c) {
          Rng rng(options.seed, static_cast<uint64_t>(r * k + c));
          draw_row_levels(data.row(r), observed + r * d, rng, &candidates[c * d], &log_w[c], l.data());
        }
        const int64_t chosen = pick_proposal(log_w.data(), k, options.seed, r);
        std::memcpy(out + r * d, &candidates[chosen * d], static_cast<std::size_t>(d) * sizeof(float));
      }
    }
    return;
  }
  const float* b = store_->value(b_);
#pragma omp parallel num_threads(resolve_threads(options.threads))
  {
    std::vector<float> l(static_cast<std::size_t>(d)), candidates(static_cast<std::size_t>(k * d));
    std::vector<double> log_w(static_cast<std::size_t>(k));
#pragma omp for schedule(dynamic, 1)
    for (int64_t r = 0; r < data.n; ++r) {
      for (int64_t c = 0; c < k; ++c) {
        Rng rng(options.seed, static_cast<uint64_t>(r * k + c));
        draw_row(b, store_->value(wt_), d, data.row(r), observed + r * d, rng, &candidates[c * d], &log_w[c], l.data());
      }
      // Draw one candidate with probability ∝ exp(log_w).
      const double top = *std::max_element(log_w.begin(), log_w.end());
      double total = 0;
      for (double& w : log_w) total += (w = std::exp(w - top));
      Rng pick(options.seed, ~static_cast<uint64_t>(r));
      double u = pick.uniform() * total;
      int64_t chosen = k - 1;
      for (int64_t c = 0; c < k; ++c) {
        if ((u -= log_w[c]) < 0) {
          chosen = c;
          break;
        }
      }
      std::memcpy(out + r * d, &candidates[chosen * d], static_cast<std::size_t>(d) * sizeof(float));
    }
  }
}

// ---------------------------------------------------------------- persistence

// ---------------------------------------------------------------- M > 2

void FvsbnModel::set_order() {
  const int64_t d = shape_.d;
  order_.resize(static_cast<std::size_t>(d));
  const ImageShape& im = shape_.image;
  if (im.is_image() && im.channels > 1) {
    const int64_t c = im.channels, hw = im.height * im.width;
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t ch = 0; ch < c; ++ch) order_[static_cast<std::size_t>(p * c + ch)] = ch * hw + p;
  } else {
    for (int64_t t = 0; t < d; ++t) order_[static_cast<std::size_t>(t)] = t;
  }
  // Neighbour k of position t = p·C + c (pixel p = y·W + x, channel c): the same channel of
  // pixel (y, x − 1), (y − 1, x − 1), (y − 1, x), (y − 1, x + 1); flat rows: t − 1 only.
  neighbours_.assign(static_cast<std::size_t>(d * kNeighbours), -1);
  const bool grid = im.is_image();
  const int64_t c = grid ? std::max<int64_t>(im.channels, 1) : 1, w = grid ? im.width : d, h = grid ? im.height : 1;
  static constexpr int64_t dy[kNeighbours] = {0, -1, -1, -1}, dx[kNeighbours] = {-1, -1, 0, 1};
  for (int64_t t = 0; t < d; ++t) {
    const int64_t p = t / c, ch = t % c, y = p / w, x = p % w;
    for (int64_t k = 0; k < kNeighbours; ++k) {
      const int64_t ny = y + dy[k], nx = x + dx[k];
      if (ny >= 0 && ny < h && nx >= 0 && nx < w)
        neighbours_[static_cast<std::size_t>(t * kNeighbours + k)] = (ny * w + nx) * c + ch;
    }
  }
}

void FvsbnModel::gather_levels(const float* x, int64_t n, float* xs, int32_t* lv) const {
  const int64_t D = shape_.d;
  const float top = static_cast<float>(shape_.levels - 1);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t t = 0; t < D; ++t) {
      const float v = x[r * D + order_[static_cast<std::size_t>(t)]];
      lv[r * D + t] = static_cast<int32_t>(v);
      xs[r * D + t] = v / top;
    }
}

// Block [t0, t1) of positions reads only pixels j < t1 − 1: a product with K = t1 (the rows
// j >= t of the block's own square are zeros). Blocks run on single-threaded products.
void FvsbnModel::level_logits(const float* xs, const int32_t* lv, int64_t n, float* lg) const {
  const int64_t D = shape_.d, M = shape_.levels;
  const float* wt = store_->value(wt_);
  const float* b = store_->value(b_);
  const int64_t blocks = (D + kPositionBlock - 1) / kPositionBlock;
  struct Scratch {};
  nn::for_tiles<Scratch>(blocks, [&](int64_t k, Scratch&) {
    const int64_t blk = blocks - 1 - k;  // the largest first
    const int64_t t0 = blk * kPositionBlock, t1 = std::min(D, t0 + kPositionBlock);
    level_gemm_.run(n, (t1 - t0) * M, t1, xs, D, wt + t0 * M, D * M, lg + t0 * M, D * M, b + t0 * M);
  });
  if (n_.valid()) add_neighbour_logits(lv, n, lg);
}

// The left table starts at the pointwise mutual information of a pixel's level v and its left
// neighbour's u over the data, N[0, u, v] = log p(v | u) − log p(v) (counts smoothed by 1):
// with b at the position's log marginal, the conditional starts near b + log p(v | u) − log p(v),
// the tied order-1 chain's, instead of the categorical model's. Learning the tables from 0 at
// Adam's 1e-3 a step would take thousands of steps to reach the few nats they need.
void FvsbnModel::init_left_table(const DataView& data) {
  const int64_t D = shape_.d, M = shape_.levels;
  std::vector<double> pairs(static_cast<std::size_t>(M * M), 1.0);
  for (int64_t r = 0; r < data.n; ++r) {
    const float* x = data.row(r);
    for (int64_t t = 0; t < D; ++t) {
      const int64_t p = neighbours_[static_cast<std::size_t>(t * kNeighbours)];
      if (p < 0) continue;
      const auto u = static_cast<int64_t>(x[order_[static_cast<std::size_t>(p)]]);
      const auto v = static_cast<int64_t>(x[order_[static_cast<std::size_t>(t)]]);
      pairs[static_cast<std::size_t>(u * M + v)] += 1.0;
    }
  }
  std::vector<double> next(static_cast<std::size_t>(M), 0.0);  // Σ_u pairs[u, v]
  double total = 0;
  for (int64_t u = 0; u < M; ++u)
    for (int64_t v = 0; v < M; ++v) next[static_cast<std::size_t>(v)] += pairs[static_cast<std::size_t>(u * M + v)];
  for (double c : next) total += c;
  float* left = store_->value(n_);  // table k = 0, rows u < M; row M (off the image) stays 0
  for (int64_t u = 0; u < M; ++u) {
    double from = 0;
    for (int64_t v = 0; v < M; ++v) from += pairs[static_cast<std::size_t>(u * M + v)];
    for (int64_t v = 0; v < M; ++v)
      left[u * M + v] = static_cast<float>(std::log(pairs[static_cast<std::size_t>(u * M + v)] / from) -
                                           std::log(next[static_cast<std::size_t>(v)] / total));
  }
}

void FvsbnModel::add_neighbour_logits(const int32_t* lv, int64_t n, float* lg) const {
  const int64_t D = shape_.d, M = shape_.levels;
  const float* table = store_->value(n_);
#pragma omp parallel for schedule(static) if (n > 1)
  for (int64_t r = 0; r < n; ++r)
    for (int64_t t = 0; t < D; ++t) {  // one pass over the logits for the four tables
      float* l = lg + (r * D + t) * M;
      const int32_t* x = lv + r * D;
      const float* n0 = table + neighbour_row(t, 0, x) * M;
      const float* n1 = table + ((M + 1) + neighbour_row(t, 1, x)) * M;
      const float* n2 = table + (2 * (M + 1) + neighbour_row(t, 2, x)) * M;
      const float* n3 = table + (3 * (M + 1) + neighbour_row(t, 3, x)) * M;
      for (int64_t v = 0; v < M; ++v) l[v] += (n0[v] + n1[v]) + (n2[v] + n3[v]);
    }
}

// gN[k, row, v] += Σ over (r, t) reading that row of G[r, t, v]; a thread takes whole
// tables, so the sums' order (and the bits) do not depend on the thread count.
void FvsbnModel::neighbour_grad(const int32_t* lv, int64_t n, const float* g) {
  const int64_t D = shape_.d, M = shape_.levels;
  float* gn = store_->grad(n_);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < kNeighbours; ++k)
    for (int64_t r = 0; r < n; ++r)
      for (int64_t t = 0; t < D; ++t) {
        const float* gr = g + (r * D + t) * M;
        float* row = gn + (k * (M + 1) + neighbour_row(t, k, lv + r * D)) * M;
        for (int64_t v = 0; v < M; ++v) row[v] += gr[v];
      }
}

void FvsbnModel::level_losses(const int32_t* lv, int64_t n, float* lg, float scale, double* nll) const {
  const int64_t D = shape_.d, M = shape_.levels;
#pragma omp parallel for schedule(static) if (n > 1)
  for (int64_t r = 0; r < n; ++r) {
    double sum = 0;
    for (int64_t t = 0; t < D; ++t) {
      float* l = lg + (r * D + t) * M;
      sum += softmax_loss(l, M, lv[r * D + t], scale);
    }
    nll[r] = sum;
  }
}

// One row in the model's order: l (D·M + M) holds the running logits and, last, position
// t's with the neighbour tables added; after position t draws (or clamps) x_t, row t of Wt
// adds x̃_t times its weights to the logits of the positions after t.
void FvsbnModel::draw_row_levels(const float* values, const uint8_t* observed, Rng& rng, float* out, double* log_w,
                                 float* l) const {
  const int64_t D = shape_.d, M = shape_.levels, DM = D * M;
  const float* wt = store_->value(wt_);
  const float top = static_cast<float>(M - 1);
  std::memcpy(l, store_->value(b_), static_cast<std::size_t>(DM) * sizeof(float));
  double lw = 0;
  const float* table = n_.valid() ? store_->value(n_) : nullptr;
  for (int64_t t = 0; t < D; ++t) {
    const int64_t i = order_[static_cast<std::size_t>(t)];
    const float* lt = l + t * M;
    if (table) {  // the neighbours precede t: their levels are in out already
      float* full = l + DM;
      std::memcpy(full, lt, static_cast<std::size_t>(M) * sizeof(float));
      for (int64_t k = 0; k < kNeighbours; ++k) {
        const int64_t p = neighbours_[static_cast<std::size_t>(t * kNeighbours + k)];
        const int64_t row = p < 0 ? M : static_cast<int64_t>(out[order_[static_cast<std::size_t>(p)]]);
        const float* tr = table + (k * (M + 1) + row) * M;
        for (int64_t v = 0; v < M; ++v) full[v] += tr[v];
      }
      lt = full;
    }
    int64_t v;
    if (observed && observed[i]) {
      v = static_cast<int64_t>(values[i]);
      lw += lt[v] - log_sum_exp(lt, M);
    } else {
      v = draw_softmax(lt, M, rng.uniform());
    }
    out[i] = static_cast<float>(v);
    const float xv = static_cast<float>(v) / top;
    if (xv != 0.0f) {
      const float* w = wt + t * DM;
      for (int64_t e = (t + 1) * M; e < DM; ++e) l[e] += xv * w[e];
    }
  }
  if (log_w) *log_w = lw;
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> FvsbnModel::do_tensors() const {
  const int64_t d = shape_.d;
  if (shape_.levels > 2) {
    const int64_t m = shape_.levels;
    std::vector<TensorRef> t{{"Wt", DType::f32, {d, d, m}, store_->value(wt_)},
                             {"b", DType::f32, {d, m}, store_->value(b_)}};
    if (n_.valid()) t.push_back({"N", DType::f32, {kNeighbours, m + 1, m}, store_->value(n_)});
    return t;
  }
  return {{"W", DType::f32, {d, d}, w_.data()}, {"b", DType::f32, {d}, store_->value(b_)}};
}

void FvsbnModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const int64_t d = shape.d;
  if (shape.levels > 2) {
    const int64_t m = shape.levels;
    if (m > 256 || d > kMaxLevelWeights / d / m)
      fail(Status::corrupt_file, "fvsbn model file has d = {} and {} levels: more than {} weights", d, m,
           kMaxLevelWeights);
    store_ = std::make_unique<nn::ParameterStore>();
    wt_ = store_->add("Wt", {d, d, m});
    b_ = store_->add("b", {d, m});
    n_ = neighbour_tables_ ? store_->add("N", {kNeighbours, m + 1, m}) : nn::ParamId{};
    const TensorRef& w = find_tensor(tensors, "Wt", DType::f32, {d, d, m});
    const TensorRef& b = find_tensor(tensors, "b", DType::f32, {d, m});
    float* wt = store_->value(wt_);
    float* bv = store_->value(b_);
    std::memcpy(wt, w.data, w.bytes());  // the file's bytes may be unaligned
    std::memcpy(bv, b.data, b.bytes());
    for (int64_t j = 0; j < d; ++j)
      for (int64_t t = 0; t < d; ++t)
        for (int64_t v = 0; v < m; ++v) {
          const float x = wt[(j * d + t) * m + v];
          if (!std::isfinite(x) || (j >= t && x != 0.0f))
            fail(Status::corrupt_file,
                 "fvsbn tensor Wt[{}, {}, {}] is {}: Wt must be finite and zero unless pixel {} precedes position {}",
                 j, t, v, x, j, t);
        }
    for (int64_t e = 0; e < d * m; ++e)
      if (!std::isfinite(bv[e])) fail(Status::corrupt_file, "fvsbn tensor b entry {} is not finite", e);
    if (n_.valid()) {
      const TensorRef& nt = find_tensor(tensors, "N", DType::f32, {kNeighbours, m + 1, m});
      float* nv = store_->value(n_);
      std::memcpy(nv, nt.data, nt.bytes());
      for (int64_t e = 0; e < kNeighbours * (m + 1) * m; ++e)
        if (!std::isfinite(nv[e])) fail(Status::corrupt_file, "fvsbn tensor N entry {} is not finite", e);
    }
    shape_ = shape;
    set_order();
    w_.clear();
    return;
  }
  if (d > 16384) fail(Status::corrupt_file, "fvsbn model file has d = {}, more than the 16384 supported", d);
  build(d);  // on an unfitted model (GenerativeModel::restore): a throw below leaves nothing to undo
  const TensorRef& w = find_tensor(tensors, "W", DType::f32, {d, d});
  const TensorRef& b = find_tensor(tensors, "b", DType::f32, {d});
  std::memcpy(store_->value(b_), b.data, b.bytes());
  // A file's tensor bytes need not be 4-byte aligned (io/safetensors.hpp): copied out, not
  // dereferenced as float (UBSan: a misaligned load, from the contract suite's restore).
  const auto* wv = static_cast<const unsigned char*>(w.data);
  float* wt = store_->value(wt_);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j) {
      float v;
      std::memcpy(&v, wv + (i * d + j) * sizeof(float), sizeof v);
      if (!std::isfinite(v) || (j >= i && v != 0.0f))
        fail(Status::corrupt_file, "fvsbn tensor W[{}, {}] is {}: W must be finite and strictly lower triangular", i, j,
             v);
      wt[j * d + i] = v;
    }
  for (int64_t j = 0; j < d; ++j)
    if (!std::isfinite(store_->value(b_)[j])) fail(Status::corrupt_file, "fvsbn tensor b[{}] is not finite", j);
  shape_ = shape;
  refresh_derived();
}

}  // namespace gm
