#include "models/nade.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <omp.h>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/bernoulli_markov_common.hpp"
#include "models/common_keys.hpp"
#include "models/nade_kernels.hpp"
#include "nn/init.hpp"
#include "nn/tiles.hpp"

namespace gm {

namespace {

constexpr float kDefaultLr = 1e-3f;
constexpr float kInitStd = 0.01f;
constexpr uint64_t kInitStream = 0x4ADE'0000'0001ull;
// Training splits H into chunks of this many hidden units (a thread's unit of work; fixed,
// so the arithmetic does not depend on the thread count) and feeds the kernels this many
// rows at a time (their activation state, 2 · rows · chunk floats, stays in L1).
constexpr int64_t kChunk = 64;
constexpr int64_t kTrainRows = 32;
constexpr int64_t kEvalRows = 4;  // rows per kernel call in log_prob and sampling
constexpr int64_t kEncodeRows = 1024;
// Below this much work (rows · D · H) a team of threads costs more in fork and barriers
// than it saves.
constexpr int64_t kParallelWork = int64_t{1} << 18;
// Largest D·H accepted (one tensor of 1 GiB).
constexpr int64_t kMaxWeights = int64_t{1} << 28;
// M > 2: rows per levels_pass in log_prob (the hidden states of a block, D · rows · H
// floats, are held at once) and rows drawn in lockstep by sample and complete.
constexpr int64_t kLevelRows = 100;
constexpr int64_t kLevelDrawRows = 16;

// Inverse CDF of softmax(l) over m levels at uniform u.
inline int64_t draw_softmax(const float* l, int64_t m, double u) {
  float top = l[0];
  for (int64_t v = 1; v < m; ++v) top = std::max(top, l[v]);
  double total = 0;
  for (int64_t v = 0; v < m; ++v) total += std::exp(static_cast<double>(l[v]) - top);
  double left = u * total;
  for (int64_t v = 0; v < m - 1; ++v)
    if ((left -= std::exp(static_cast<double>(l[v]) - top)) < 0) return v;
  return m - 1;
}

// log Σ_v exp(l_v), in double.
inline double log_sum_exp(const float* l, int64_t m) {
  float top = l[0];
  for (int64_t v = 1; v < m; ++v) top = std::max(top, l[v]);
  double total = 0;
  for (int64_t v = 0; v < m; ++v) total += std::exp(static_cast<double>(l[v]) - top);
  return top + std::log(total);
}

// −log softmax(l)_target over m levels (in double); with scale != 0, l becomes
// scale · (softmax(l) − onehot(target)), the gradient. One exp per level.
inline double softmax_loss(float* l, int64_t m, int32_t target, float scale) {
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

inline double softplus(double l) { return std::max(l, 0.0) + std::log1p(std::exp(-std::fabs(l))); }

// The loss term softplus(l) − x l of one pixel and its derivative σ(l) − x, from one exp.
inline double pixel_nll(double l, double x, double* dl) {
  const double e = std::exp(-std::fabs(l));
  *dl = (l >= 0 ? 1.0 : e) / (1.0 + e) - x;
  return std::max(l, 0.0) + std::log1p(e) - x * l;
}

}  // namespace

const Schema& NadeModel::config_schema() {
  static const Schema schema{{
      integer_key("hidden", 500, 1, 1 << 16, "H, the sigmoid hidden units (log_prob costs O(H*D))"),
      keys::weight_decay(),
      keys::complete_samples(),
  }};
  return schema;
}

NadeModel::NadeModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  hidden_ = reader.integer("hidden");
  weight_decay_ = reader.number("weight_decay");
  complete_samples_ = reader.integer("complete_samples");
  reader.finish();
  config_ = reader.effective();
}

NadeModel::~NadeModel() = default;
NadeModel::NadeModel(NadeModel&&) noexcept = default;
NadeModel& NadeModel::operator=(NadeModel&&) noexcept = default;

std::string NadeModel::unsupported_why(const char* verb) const {
  if (std::string(verb) == "decode")
    return "nade has no latent variables to decode: its hidden units are a deterministic function of the "
           "input (read them with encode); use sample or complete to generate";
  return GenerativeModel::unsupported_why(verb);
}

std::unique_ptr<nn::ParameterStore> NadeModel::make_store(int64_t d, int64_t m) {
  auto store = std::make_unique<nn::ParameterStore>();
  // The same registration order every time, so the ids stay valid across stores.
  w_ = store->add("W", {d, hidden_});  // (D, H) row i = W[:, i]
  if (m == 2) {
    v_ = store->add("V", {d, hidden_});  // (D, H) row i = V_i
    b_ = store->add("b", {d});           // (D)
  } else {
    v_ = store->add("V", {d, m, hidden_});  // (D, M, H) V[t, v, :]
    b_ = store->add("b", {d, m});           // (D, M)
  }
  c_ = store->add("c", {hidden_});  // (H)
  return store;
}

void NadeModel::set_order() {
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
}

nade::Weights NadeModel::weights() const {
  return {store_->value(w_), store_->value(v_), store_->value(b_), store_->value(c_), shape_.d, hidden_};
}

// ---------------------------------------------------------------- fit

void NadeModel::do_fit(const DataView& data, const FitOptions& options) {
  // GenerativeModel::fit has resolved M and checked that every value is a level.
  const int64_t d = data.d, m = data.levels;
  if (d > kMaxWeights / hidden_ / m)
    fail(Status::invalid_argument, "nade with d = {}, hidden = {} and {} levels needs {} output weights, more than {}",
         d, hidden_, m, d * hidden_ * m, kMaxWeights);
  if (m == 2) {
    if (!options.warm_start) initialise(data, options.seed, options.sharded ? options.comm.get() : nullptr);
    shape_ = DataShape{d, data.image};
  } else {
    // A continued fit keeps the layout fitted on (its rows may be flat ones of the same width):
    // the order of the positions must not change.
    DataShape shape{d, data.image, m};
    if (options.warm_start && shape_.image.is_image()) shape.image = shape_.image;
    shape_ = shape;  // before training: checkpoints are written from shape_
    set_order();
    if (!options.warm_start) initialise(data, options.seed, options.sharded ? options.comm.get() : nullptr);
  }

  nn::TrainerSettings settings;
  settings.fit = options;
  settings.adam.lr = kDefaultLr;
  settings.adam.weight_decay = static_cast<float>(weight_decay_);
  settings.kind = kind();
  report_ = nn::train(*this, data, settings);
}

// Fresh parameters for data (a warm start keeps the restored ones instead).
void NadeModel::initialise(const DataView& data, uint64_t seed, const dist::Communicator* shards) {
  const int64_t d = data.d, m = data.levels > 2 ? data.levels : 2;
  store_ = make_store(d, m);
  Rng init(seed, kInitStream);
  nn::init_normal(store_->value(w_), d * hidden_, init, 0.0f, kInitStd);
  if (m == 2) {
    nn::init_normal(store_->value(v_), d * hidden_, init, 0.0f, kInitStd);
    // With V ≈ 0 and these biases the first model is the independent-Bernoulli one.
    nn::init_logit_marginals(data, store_->value(b_), shards);
    return;
  }
  nn::init_normal(store_->value(v_), d * m * hidden_, init, 0.0f, kInitStd);
  // The independent categorical model, in the model's order of positions.
  std::vector<float> marginals(static_cast<std::size_t>(d * m));
  nn::init_log_marginals(data, m, marginals.data(), shards);
  float* b = store_->value(b_);
  for (int64_t t = 0; t < d; ++t)
    std::memcpy(b + t * m, &marginals[static_cast<std::size_t>(order_[static_cast<std::size_t>(t)] * m)],
                static_cast<std::size_t>(m) * sizeof(float));
}

// ---------------------------------------------------------------- M > 2

void NadeModel::gather_levels(const float* x, int64_t n, float* xs, int32_t* lv) const {
  const int64_t D = shape_.d;
  const float top = static_cast<float>(shape_.levels - 1);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t t = 0; t < D; ++t) {
      const float v = x[r * D + order_[static_cast<std::size_t>(t)]];
      lv[r * D + t] = static_cast<int32_t>(v);
      xs[r * D + t] = v / top;
    }
}

double NadeModel::levels_pass(const float* x, int64_t n, LevelScratch& s, const LevelGrads* grads, double* out) const {
  const int64_t D = shape_.d, H = hidden_, M = shape_.levels;
  const nade::Kernels& k = nade::kernels();
  s.xs.resize(static_cast<std::size_t>(n * D));
  s.lv.resize(static_cast<std::size_t>(n * D));
  s.hs.resize(static_cast<std::size_t>(D * n * H));
  s.lg.resize(static_cast<std::size_t>(D * n * M));
  s.loss.resize(static_cast<std::size_t>(D * n));
  gather_levels(x, n, s.xs.data(), s.lv.data());
  const float* W = store_->value(w_);
  const float* V = store_->value(v_);
  const float* b = store_->value(b_);
  const float* c = store_->value(c_);
  float* hs = s.hs.data();
  const float* xs = s.xs.data();
  const bool parallel = n * D * H >= kParallelWork;
  // The pre-activations a_t (D, n, H), one row per iteration: a_0 = c, a_{t+1} = a_t + W_t x̃_t.
#pragma omp parallel for schedule(static) if (parallel && n > 1)
  for (int64_t r = 0; r < n; ++r) {
    float* prev = hs + r * H;
    std::memcpy(prev, c, static_cast<std::size_t>(H) * sizeof(float));
    for (int64_t t = 1; t < D; ++t) {
      float* cur = hs + (t * n + r) * H;
      const float xv = xs[r * D + t - 1];
      const float* w = W + (t - 1) * H;
      if (xv != 0.0f) {
        for (int64_t j = 0; j < H; ++j) cur[j] = prev[j] + xv * w[j];
      } else {
        std::memcpy(cur, prev, static_cast<std::size_t>(H) * sizeof(float));
      }
      prev = cur;
    }
  }
  // Every position on one thread, products single-threaded (nn::for_tiles): h_t, the
  // logits, the loss and, with grads, d loss / d logit, gb_t, gV_t and δa_t (in place of h_t).
  struct Scratch {
    std::vector<float> dh;
  };
  nn::for_tiles<Scratch>(D, [&](int64_t t, Scratch& sc) {
    float* ht = hs + t * n * H;
    float* lt = &s.lg[static_cast<std::size_t>(t * n * M)];
    const float* vt = V + t * M * H;
    k.sigmoid(ht, n * H);
    logits_gemm_.run(n, M, H, ht, H, vt, H, lt, M, b + t * M);
    for (int64_t r = 0; r < n; ++r) {
      float* l = lt + r * M;
      const int32_t target = s.lv[static_cast<std::size_t>(r * D + t)];
      s.loss[static_cast<std::size_t>(t * n + r)] = softmax_loss(l, M, target, grads ? grads->scale : 0.0f);
    }
    if (!grads) return;
    float* gbt = grads->b + t * M;
    for (int64_t v = 0; v < M; ++v) {
      float sum = 0;
      for (int64_t r = 0; r < n; ++r) sum += lt[r * M + v];
      gbt[v] += sum;
    }
    gv_gemm_.run(M, H, n, lt, M, ht, H, grads->v + t * M * H, H);
    sc.dh.resize(static_cast<std::size_t>(n * H));
    dh_gemm_.run(n, H, M, lt, M, vt, H, sc.dh.data(), H);
    for (int64_t e = 0; e < n * H; ++e) ht[e] = sc.dh[static_cast<std::size_t>(e)] * (ht[e] - ht[e] * ht[e]);
  });
  if (grads) {
    // The recurrence backwards, H in fixed chunks (disjoint columns of gW and gc):
    // gW_t = Σ_r x̃_{r,t} Σ_{j>t} δa_{r,j},  gc = Σ_r Σ_j δa_{r,j}.
    const int64_t chunks = (H + kChunk - 1) / kChunk;
    s.s.resize(static_cast<std::size_t>(chunks * n * kChunk));
#pragma omp parallel for schedule(static) if (parallel && chunks > 1)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t h0 = ch * kChunk, hc = std::min(kChunk, H - h0);
      float* acc = &s.s[static_cast<std::size_t>(ch * n * kChunk)];
      std::fill(acc, acc + n * hc, 0.0f);
      for (int64_t t = D - 1; t >= 0; --t) {
        float* gwt = grads->w + t * H + h0;
        for (int64_t r = 0; r < n; ++r) {
          const float xv = xs[r * D + t];
          const float* sr = acc + r * hc;
          if (xv != 0.0f)
            for (int64_t j = 0; j < hc; ++j) gwt[j] += xv * sr[j];
        }
        for (int64_t r = 0; r < n; ++r) {
          float* sr = acc + r * hc;
          const float* da = hs + (t * n + r) * H + h0;
          for (int64_t j = 0; j < hc; ++j) sr[j] += da[j];
        }
      }
      for (int64_t r = 0; r < n; ++r)
        for (int64_t j = 0; j < hc; ++j) grads->c[h0 + j] += acc[r * hc + j];
    }
  }
  double total = 0;
  for (int64_t r = 0; r < n; ++r) {
    double nll = 0;
    for (int64_t t = 0; t < D; ++t) nll += s.loss[static_cast<std::size_t>(t * n + r)];
    if (out) out[r] = -nll;
    total += nll;
  }
  return total;
}

void NadeModel::draw_levels(int64_t n, const float* values, const uint8_t* observed, int64_t cond_stride, Rng* rng,
                            float* out, double* log_w) const {
  const int64_t D = shape_.d, H = hidden_, M = shape_.levels;
  const nade::Kernels& k = nade::kernels();
  const float* W = store_->value(w_);
  const float* V = store_->value(v_);
  const float* b = store_->value(b_);
  const float* c = store_->value(c_);
  const float top = static_cast<float>(M - 1);
  std::vector<float> a(static_cast<std::size_t>(n * H)), h(a.size()), lg(static_cast<std::size_t>(n * M));
  for (int64_t r = 0; r < n; ++r) {
    std::memcpy(&a[static_cast<std::size_t>(r * H)], c, static_cast<std::size_t>(H) * sizeof(float));
    if (log_w) log_w[r] = 0.0;
  }
  h = a;
  k.sigmoid(h.data(), n * H);
  for (int64_t t = 0; t < D; ++t) {
    const int64_t i = order_[static_cast<std::size_t>(t)];
    logits_gemm_.run(n, M, H, h.data(), H, V + t * M * H, H, lg.data(), M, b + t * M);
    for (int64_t r = 0; r < n; ++r) {
      const float* l = &lg[static_cast<std::size_t>(r * M)];
      int64_t v;
      if (observed && observed[r * cond_stride + i]) {
        v = static_cast<int64_t>(values[r * cond_stride + i]);
        if (log_w) log_w[r] += l[v] - log_sum_exp(l, M);
      } else {
        v = draw_softmax(l, M, rng[r].uniform());
      }
      out[r * D + i] = static_cast<float>(v);
      const float xv = static_cast<float>(v) / top;
      if (xv != 0.0f) {
        float* ar = &a[static_cast<std::size_t>(r * H)];
        float* hr = &h[static_cast<std::size_t>(r * H)];
        const float* w = W + t * H;
        for (int64_t j = 0; j < H; ++j) hr[j] = ar[j] = ar[j] + xv * w[j];
        k.sigmoid(hr, H);
      }
    }
  }
}

double NadeModel::train_step(const DataView& batch, Rng&) {
  if (shape_.levels > 2) {
    const LevelGrads g{store_->grad(w_), store_->grad(v_), store_->grad(b_), store_->grad(c_),
                       1.0f / static_cast<float>(batch.n)};
    return levels_pass(batch.x, batch.n, level_scratch_, &g, nullptr);
  }
  const int64_t B = batch.n, D = shape_.d, H = hidden_;
  const int64_t chunks = (H + kChunk - 1) / kChunk;
  a_.resize(static_cast<std::size_t>(B * H));
  h_.resize(static_cast<std::size_t>(B * H));
  s_.resize(static_cast<std::size_t>(B * H));
  part_.resize(static_cast<std::size_t>(chunks * B * D));
  g_.resize(static_cast<std::size_t>(B * D));
  row_loss_.resize(static_cast<std::size_t>(B));
  const nade::Weights p = weights();
  const nade::Kernels& k = nade::kernels();
  const float* x = batch.x;
  const float* bias = store_->value(b_);
  float* gw = store_->grad(w_);
  float* gv = store_->grad(v_);
  float* gb = store_->grad(b_);
  float* gc = store_->grad(c_);
  const float inv_b = 1.0f / static_cast<float>(B);

#pragma omp parallel if (B * D * H >= kParallelWork)
  {
    // Forward, one hidden chunk per task: each chunk's share of every logit.
    // a_, h_ and s_ are chunk-major: chunk ch holds (B, hc) floats at offset ch·kChunk·B.
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t h0 = ch * kChunk, hc = std::min(kChunk, H - h0);
      for (int64_t r0 = 0; r0 < B; r0 += kTrainRows) {
        const int64_t nr = std::min(kTrainRows, B - r0);
        const int64_t at = h0 * B + r0 * hc;
        k.forward(p, h0, hc, x + r0 * D, nr, &a_[at], &h_[at], &part_[(ch * B + r0) * D]);
      }
    }
    // Logits, the loss, and d(mean NLL)/dl = (σ(l) − x) / B; chunks summed in a fixed order.
#pragma omp for schedule(static)
    for (int64_t r = 0; r < B; ++r) {
      const float* xr = x + r * D;
      float* gr = &g_[r * D];
      double loss = 0;
      for (int64_t i = 0; i < D; ++i) {
        float l = bias[i];
        for (int64_t ch = 0; ch < chunks; ++ch) l += part_[(ch * B + r) * D + i];
        double dl;
        loss += pixel_nll(l, xr[i], &dl);
        gr[i] = static_cast<float>(dl) * inv_b;
      }
      row_loss_[r] = loss;
    }
    // Backward, the same chunks: every chunk writes its own columns of gW, gV, gc.
#pragma omp for schedule(static) nowait
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t h0 = ch * kChunk, hc = std::min(kChunk, H - h0);
      for (int64_t r0 = 0; r0 < B; r0 += kTrainRows) {
        const int64_t nr = std::min(kTrainRows, B - r0);
        const int64_t at = h0 * B + r0 * hc;
        k.backward(p, h0, hc, x + r0 * D, &g_[r0 * D], nr, &a_[at], &h_[at], &s_[at], gw, gv, gc);
      }
    }
#pragma omp for schedule(static)
    for (int64_t i = 0; i < D; ++i) {
      float sum = 0;
      for (int64_t r = 0; r < B; ++r) sum += g_[r * D + i];
      gb[i] += sum;
    }
  }
  double loss = 0;
  for (double l : row_loss_) loss += l;
  return loss;
}

double NadeModel::evaluate(const DataView& batch, Rng&) {
  std::vector<double> lp(static_cast<std::size_t>(batch.n));
  row_log_probs(batch.x, batch.n, 0, lp.data());
  double nll = 0;
  for (double v : lp) nll -= v;
  return nll;
}

// ---------------------------------------------------------------- log_prob and encode

void NadeModel::row_log_probs(const float* x, int64_t n, int threads, double* out) const {
  if (shape_.levels > 2) {
    LevelScratch s;
    const int64_t D = shape_.d;
    for (int64_t r0 = 0; r0 < n; r0 += kLevelRows)
      levels_pass(x + r0 * D, std::min(kLevelRows, n - r0), s, nullptr, out + r0);
    return;
  }
  const nade::Weights p = weights();
  const nade::Kernels& k = nade::kernels();
  const int64_t D = p.d, H = p.h;
  const int64_t blocks = (n + kEvalRows - 1) / kEvalRows;
  const int team = blocks > 1 && n * D * H >= kParallelWork ? resolve_threads(threads) : 1;
  // Per-thread scratch a, h (rows, H) and part (rows, D), allocated here so that running
  // out of memory throws on the calling thread, not inside the parallel region.
  const int64_t per = kEvalRows * (2 * H + D);
  std::vector<float> scratch(static_cast<std::size_t>(team * per));
#pragma omp parallel num_threads(team)
  {
    float* a = &scratch[static_cast<std::size_t>(omp_get_thread_num() * per)];
    float* h = a + kEvalRows * H;
    float* part = h + kEvalRows * H;
#pragma omp for schedule(dynamic, 4)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t r0 = blk * kEvalRows, nr = std::min(kEvalRows, n - r0);
      k.forward(p, 0, H, x + r0 * D, nr, a, h, part);
      for (int64_t r = 0; r < nr; ++r) {
        const float* xr = x + (r0 + r) * D;
        double lp = 0;
        for (int64_t i = 0; i < D; ++i) {
          const float l = p.b[i] + part[r * D + i];
          lp += xr[i] * l - softplus(l);
        }
        out[r0 + r] = lp;
      }
    }
  }
}

void NadeModel::do_log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  row_log_probs(data.x, data.n, options.threads, out);
}

void NadeModel::do_encode(const DataView& data, const EvalOptions& options, float* out) const {
  // encode is the one verb GenerativeModel does not check against the levels.
  require_levels(data, shape_.levels, kind(), options.threads);
  const int threads = resolve_threads(options.threads);
  const int64_t D = shape_.d, H = hidden_;
  const nade::Kernels& k = nade::kernels();
  std::vector<float> xs;
  std::vector<int32_t> lv;
  if (shape_.levels > 2) {
    xs.resize(static_cast<std::size_t>(std::min(kEncodeRows, data.n) * D));
    lv.resize(xs.size());
  }
  for (int64_t r0 = 0; r0 < data.n; r0 += kEncodeRows) {
    const int64_t nr = std::min(kEncodeRows, data.n - r0);
    float* o = out + r0 * H;
    const float* x = data.row(r0);
    if (shape_.levels > 2) {  // x̃ in the model's order, as the rows of W are
      gather_levels(x, nr, xs.data(), lv.data());
      x = xs.data();
    }
    encode_gemm_.run(nr, H, D, x, D, store_->value(w_), H, o, H, store_->value(c_));
#pragma omp parallel for num_threads(threads) if (nr * H >= kParallelWork)
    for (int64_t r = 0; r < nr; ++r) k.sigmoid(o + r * H, H);
  }
}

// ---------------------------------------------------------------- sample and complete

void NadeModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  if (shape_.levels > 2) {
    const int64_t D = shape_.d;
    struct Scratch {};
    nn::for_tiles<Scratch>((n + kLevelDrawRows - 1) / kLevelDrawRows, [&](int64_t blk, Scratch&) {
      const int64_t r0 = blk * kLevelDrawRows, nr = std::min(kLevelDrawRows, n - r0);
      std::vector<Rng> rng;
      for (int64_t r = 0; r < nr; ++r) rng.emplace_back(options.seed, static_cast<uint64_t>(r0 + r));
      draw_levels(nr, nullptr, nullptr, 0, rng.data(), out + r0 * D, nullptr);
    });
    return;
  }
  const nade::Weights p = weights();
  const nade::Kernels& k = nade::kernels();
  const int64_t D = p.d, H = p.h;
  const int64_t blocks = (n + kEvalRows - 1) / kEvalRows;
  const int team = blocks > 1 && n * D * H >= kParallelWork ? resolve_threads(options.threads) : 1;
  const int64_t per = 2 * kEvalRows * H;  // a, h (rows, H) per thread
  std::vector<float> scratch(static_cast<std::size_t>(team * per));
  std::vector<Rng> rngs(static_cast<std::size_t>(team * kEvalRows), Rng(0, 0));
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num();
    float* a = &scratch[static_cast<std::size_t>(t * per)];
    Rng* rng = &rngs[static_cast<std::size_t>(t * kEvalRows)];
#pragma omp for schedule(dynamic, 2)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t r0 = blk * kEvalRows, nr = std::min(kEvalRows, n - r0);
      for (int64_t r = 0; r < nr; ++r) rng[r] = Rng(options.seed, static_cast<uint64_t>(r0 + r));
      k.draw(p, nr, nullptr, nullptr, 0, rng, a, a + kEvalRows * H, out + r0 * D, nullptr);
    }
  }
}

void NadeModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                            float* out) const {
  if (shape_.levels > 2) {
    complete_levels(data, observed, options, out);
    return;
  }
  const nade::Weights p = weights();
  const nade::Kernels& k = nade::kernels();
  const int64_t D = p.d, H = p.h, K = complete_samples_;
  const int team = data.n > 1 ? resolve_threads(options.threads) : 1;
  // Per-thread a, h (rows, H), the K candidate rows (K, D) and their log weights (K),
  // allocated on the calling thread: K·D can be large, and bad_alloc must not be thrown
  // inside the parallel region.
  const int64_t per = 2 * kEvalRows * H + K * D;
  std::vector<float> scratch(static_cast<std::size_t>(team * per));
  std::vector<double> weights_all(static_cast<std::size_t>(team * K));
  std::vector<Rng> rngs(static_cast<std::size_t>(team * kEvalRows), Rng(0, 0));
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num();
    float* a = &scratch[static_cast<std::size_t>(t * per)];
    float* h = a + kEvalRows * H;
    float* candidates = h + kEvalRows * H;
    double* log_w = &weights_all[static_cast<std::size_t>(t * K)];
    Rng* rng = &rngs[static_cast<std::size_t>(t * kEvalRows)];
#pragma omp for schedule(dynamic, 1)
    for (int64_t r = 0; r < data.n; ++r) {
      for (int64_t c0 = 0; c0 < K; c0 += kEvalRows) {
        const int64_t nc = std::min(kEvalRows, K - c0);
        for (int64_t c = 0; c < nc; ++c) rng[c] = Rng(options.seed, static_cast<uint64_t>(r * K + c0 + c));
        k.draw(p, nc, data.row(r), observed + r * D, 0, rng, a, h, candidates + c0 * D, log_w + c0);
      }
      // Draw one proposal with probability ∝ exp(log_w).
      const double top = *std::max_element(log_w, log_w + K);
      double total = 0;
      for (int64_t c = 0; c < K; ++c) total += (log_w[c] = std::exp(log_w[c] - top));
      Rng pick(options.seed, ~static_cast<uint64_t>(r));
      double u = pick.uniform() * total;
      int64_t chosen = K - 1;
      for (int64_t c = 0; c < K; ++c) {
        if ((u -= log_w[c]) < 0) {
          chosen = c;
          break;
        }
      }
      std::memcpy(out + r * D, candidates + chosen * D, static_cast<std::size_t>(D) * sizeof(float));
    }
  }
}

void NadeModel::complete_levels(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                                float* out) const {
  const int64_t D = shape_.d, K = complete_samples_;
  struct Scratch {
    std::vector<float> candidates;
    std::vector<double> log_w;
  };
  nn::for_tiles<Scratch>(data.n, [&](int64_t r, Scratch& s) {
    s.candidates.resize(static_cast<std::size_t>(K * D));
    s.log_w.resize(static_cast<std::size_t>(K));
    double* log_w = s.log_w.data();
    for (int64_t c0 = 0; c0 < K; c0 += kLevelDrawRows) {
      const int64_t nc = std::min(kLevelDrawRows, K - c0);
      std::vector<Rng> rng;
      for (int64_t c = 0; c < nc; ++c) rng.emplace_back(options.seed, static_cast<uint64_t>(r * K + c0 + c));
      draw_levels(nc, data.row(r), observed + r * D, 0, rng.data(), &s.candidates[static_cast<std::size_t>(c0 * D)],
                  log_w + c0);
    }
    // Draw one proposal with probability ∝ exp(log_w).
    const double top = *std::max_element(log_w, log_w + K);
    double total = 0;
    for (int64_t c = 0; c < K; ++c) total += (log_w[c] = std::exp(log_w[c] - top));
    Rng pick(options.seed, ~static_cast<uint64_t>(r));
    double u = pick.uniform() * total;
    int64_t chosen = K - 1;
    for (int64_t c = 0; c < K; ++c) {
      if ((u -= log_w[c]) < 0) {
        chosen = c;
        break;
      }
    }
    std::memcpy(out + r * D, &s.candidates[static_cast<std::size_t>(chosen * D)],
                static_cast<std::size_t>(D) * sizeof(float));
  });
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> NadeModel::do_tensors() const { return store_->tensors(); }

void NadeModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const int64_t d = shape.d, h = hidden_, m = shape.levels;
  if (m < 2 || m > 256) fail(Status::corrupt_file, "nade model file has {} levels, expected 2 to 256", m);
  if (d > kMaxWeights / h / m)
    fail(Status::corrupt_file, "nade model file has d = {}, hidden = {} and {} levels: more than {} weights per matrix",
         d, h, m, kMaxWeights);
  store_ = make_store(d, m);
  const std::vector<int64_t> v_shape = m == 2 ? std::vector<int64_t>{d, h} : std::vector<int64_t>{d, m, h};
  const std::vector<int64_t> b_shape = m == 2 ? std::vector<int64_t>{d} : std::vector<int64_t>{d, m};
  const struct {
    nn::ParamId id;
    const char* name;
    std::vector<int64_t> shape;
  } expected[] = {{w_, "W", {d, h}}, {v_, "V", v_shape}, {b_, "b", b_shape}, {c_, "c", {h}}};
  for (const auto& e : expected) {
    const TensorRef& t = find_tensor(tensors, e.name, DType::f32, e.shape);
    float* dst = store_->value(e.id);
    std::memcpy(dst, t.data, t.bytes());  // the file's bytes may be unaligned
    const int64_t count = t.elements();
    for (int64_t j = 0; j < count; ++j)
      if (!std::isfinite(dst[j]))
        fail(Status::corrupt_file, "nade tensor {} entry {} is {}: parameters must be finite", e.name, j, dst[j]);
  }
  shape_ = shape;
  if (m > 2) set_order();
}

}  // namespace gm
