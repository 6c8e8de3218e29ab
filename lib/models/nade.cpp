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

std::unique_ptr<nn::ParameterStore> NadeModel::make_store(int64_t d) {
  auto store = std::make_unique<nn::ParameterStore>();
  // The same registration order every time, so the ids stay valid across stores.
  w_ = store->add("W", {d, hidden_});  // (D, H) row i = W[:, i]
  v_ = store->add("V", {d, hidden_});  // (D, H) row i = V_i
  b_ = store->add("b", {d});           // (D)
  c_ = store->add("c", {hidden_});     // (H)
  return store;
}

nade::Weights NadeModel::weights() const {
  return {store_->value(w_), store_->value(v_), store_->value(b_), store_->value(c_), shape_.d, hidden_};
}

// ---------------------------------------------------------------- fit

void NadeModel::do_fit(const DataView& data, const FitOptions& options) {
  require_binary(data, kind(), options.threads);
  const int64_t d = data.d;
  if (d > kMaxWeights / hidden_)
    fail(Status::invalid_argument, "nade with d = {} and hidden = {} needs {} weights per matrix, more than {}", d,
         hidden_, d * hidden_, kMaxWeights);
  if (!options.warm_start) initialise(data, options.seed);
  shape_ = DataShape{d, data.image};

  nn::TrainerSettings settings;
  settings.fit = options;
  settings.adam.lr = kDefaultLr;
  settings.adam.weight_decay = static_cast<float>(weight_decay_);
  settings.kind = kind();
  report_ = nn::train(*this, data, settings);
}

// Fresh parameters for data (a warm start keeps the restored ones instead).
void NadeModel::initialise(const DataView& data, uint64_t seed) {
  const int64_t d = data.d;
  store_ = make_store(d);
  Rng init(seed, kInitStream);
  nn::init_normal(store_->value(w_), d * hidden_, init, 0.0f, kInitStd);
  nn::init_normal(store_->value(v_), d * hidden_, init, 0.0f, kInitStd);
  // With V ≈ 0 and these biases the first model is the independent-Bernoulli one.
  nn::init_logit_marginals(data, store_->value(b_));
}

double NadeModel::train_step(const DataView& batch, Rng&) {
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
  require_binary(data, kind(), options.threads);
  row_log_probs(data.x, data.n, options.threads, out);
}

void NadeModel::do_encode(const DataView& data, const EvalOptions& options, float* out) const {
  require_binary(data, kind(), options.threads);
  const int threads = resolve_threads(options.threads);
  const int64_t D = shape_.d, H = hidden_;
  const nade::Kernels& k = nade::kernels();
  for (int64_t r0 = 0; r0 < data.n; r0 += kEncodeRows) {
    const int64_t nr = std::min(kEncodeRows, data.n - r0);
    float* o = out + r0 * H;
    encode_gemm_.run(nr, H, D, data.row(r0), D, store_->value(w_), H, o, H, store_->value(c_));
#pragma omp parallel for num_threads(threads) if (nr * H >= kParallelWork)
    for (int64_t r = 0; r < nr; ++r) k.sigmoid(o + r * H, H);
  }
}

// ---------------------------------------------------------------- sample and complete

void NadeModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
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
  exact_binary::require_observed_binary(data, observed, kind());
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

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> NadeModel::do_tensors() const { return store_->tensors(); }

void NadeModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const int64_t d = shape.d, h = hidden_;
  if (d > kMaxWeights / h)
    fail(Status::corrupt_file, "nade model file has d = {} and hidden = {}: more than {} weights per matrix", d, h,
         kMaxWeights);
  store_ = make_store(d);
  const struct {
    nn::ParamId id;
    const char* name;
    std::vector<int64_t> shape;
  } expected[] = {{w_, "W", {d, h}}, {v_, "V", {d, h}}, {b_, "b", {d}}, {c_, "c", {h}}};
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
}

}  // namespace gm
