// nade — the neural autoregressive distribution estimator (Larochelle & Murray 2011; Uria et
// al. 2016, "Neural Autoregressive Distribution Estimation"), tied weights, H hidden units,
// raster ordering:
//
//   a_1 = c,   a_{i+1} = a_i + W[:, i] x_i,   h_i = σ(a_i),
//   p(x_i = 1 | x_<i) = σ(l_i),   l_i = b_i + V_i · h_i,
//   log p(x) = Σ_i x_i l_i − softplus(l_i)       (exact, O(H·D) per image)
//
// Parameters, as saved (F32, names and shapes checked on load; config "hidden" gives H,
// the data width gives D):
//   "W"  (D, H)  row i = W[:, i] of the equations: what x_i = 1 adds to the hidden
//                pre-activations (the paper's H×D encoder matrix stored transposed, so the
//                running sum reads one contiguous row per pixel)
//   "V"  (D, H)  row i = V_i: the output weights of pixel i
//   "b"  (D)     output biases
//   "c"  (H)     hidden biases
//
// fit: exact maximum likelihood with Adam through the shared loop (lr 1e-3, batch 100 by
// default). Initialisation: W, V ~ N(0, 0.01²) (the PyTorch reference's), c = 0, and
// b_i = logit of the smoothed mean of pixel i — with V ≈ 0 training starts from the
// independent-Bernoulli model. (A larger W, N(0, 0.2²), learns faster in the first epochs
// on Fashion-MNIST but generalises worse: 104.5 against 103.5 nats after 20.) The gradient is the O(H·D) recurrence run
// backwards (nade_kernels.hpp), H split into fixed chunks of 64 units across threads, so gradients are written
// disjointly and a fit is bit-identical for any thread count (given the CPU's kernel build, see nade_kernels.hpp).
//
// Config: "hidden" H (default 500), "weight_decay" (Adam's L2 term, default 0),
// "complete_samples" K (default 256).
//
// sample: sequential in i, batched over rows, Rng(seed, row) per row (thread-count free).
// complete: sequential importance resampling, as fvsbn: K proposals per row drawn in raster
// order with the observed pixels clamped, weighted by Π_{i observed} p(x_i | x_<i), one
// drawn in proportion; exact for any K when the observed pixels are a prefix. K = config
// "complete_samples" (default 256). encode: the hidden units given the whole input,
// h(x) = σ(c + Σ_i W[:, i] x_i) (N, H).
//
// M-level pixels (cap_levels, docs/levels.md). M comes from the data at fit and is kept in
// the model (file metadata "levels"; a file without it is binary). M = 2 is exactly the model
// above — the same tensors, code path and bits (a logistic conditional is the 2-way softmax
// with logit 0 for x_t = 0). M > 2 replaces the output layer with an M-way softmax per
// position and feeds the recurrence the level scaled to [0, 1]:
//
//   x̃_t = x_t / (M − 1),   a_1 = c,   a_{t+1} = a_t + W[:, t] x̃_t,   h_t = σ(a_t),
//   p(x_t = v | x_<t) = softmax(l_t)_v,   l_t = b_t + V_t h_t   (V_t: M × H, b_t: M)
//   log p(x) = Σ_t l_{t,x_t} − logsumexp_v l_{t,v}            (exact, summed in double)
//
// so the recurrence keeps its O(H·D) cost and the output layer costs D·M·H multiply-adds per
// image (100 M at M = 256, D = 784, H = 500): it runs as one (rows × H)·(H × M) product per
// position through nn::Gemm, the hidden states of a batch held (D, rows, H). Positions t
// follow the model's order (docs/levels.md): for C = 1 (and flat rows) t is the storage
// index; for C > 1 (channel-first storage) t = (y·W + x)·C + c reads index c·H·W + y·W + x,
// so a channel is conditioned on the earlier channels of its pixel and on all earlier pixels.
// Parameters for M > 2, all indexed by position t:
//   "W"  (D, H)     as above, the weights of x̃_t
//   "V"  (D, M, H)  V[t, v, :] = the output weights of level v at position t
//   "b"  (D, M)     output biases, initialised at the log of the smoothed level frequencies
//                   (nn::init_log_marginals): with V ≈ 0 training starts from the
//                   categorical model
//   "c"  (H)
// Cost guide: use "hidden" ≈ 100–150 for M = 256 (the default 500 is the binary figure; at
// M = 256 it makes an epoch of Fashion-MNIST ~5× slower for little gain, bench/nade notes).
// sample draws each level by inversion of the softmax CDF (one uniform per pixel, Rng(seed,
// row)); complete is the importance resampling above with M-way conditionals; encode feeds
// x̃. Every M > 2 loop is split over positions or hidden chunks with single-threaded
// products, so results do not depend on the thread count.
#pragma once

#include <memory>
#include <vector>

#include "models/generative_model.hpp"
#include "nn/gemm.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace nade {
struct Weights;
}

class NadeModel final : public ModelKind<NadeModel>, public nn::Trainable {
 public:
  // The kind's one name: kind(), the registry and model files use it.
  static constexpr const char* kind_name = "nade";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_encode | cap_complete | cap_levels;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
  explicit NadeModel(const Json& config);
  ~NadeModel() override;
  NadeModel(NadeModel&&) noexcept;
  NadeModel& operator=(NadeModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  bool trains_in_epochs() const override { return true; }
  const Json& config() const override { return config_; }

  int64_t hidden() const { return hidden_; }
  const nn::TrainReport& last_report() const { return report_; }

  // Trainable (public so tests can check the loss gradient as a whole)
  nn::ParameterStore& parameter_store() override { return *store_; }
  double train_step(const DataView& batch, Rng& rng) override;
  double evaluate(const DataView& batch, Rng& rng) override;

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  int64_t do_encode_dim() const override { return hidden_; }
  void do_encode(const DataView& data, const EvalOptions& options, float* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  // shards: a sharded distributed fit's communicator (the marginals summed over its ranks), or null.
  void initialise(const DataView& data, uint64_t seed, const dist::Communicator* shards);
  // W, V, b, c for D pixels of M levels (V (D, H) and b (D) for M = 2; (D, M, H), (D, M) above)
  std::unique_ptr<nn::ParameterStore> make_store(int64_t d, int64_t m);
  nade::Weights weights() const;
  // log p(x) of n rows of x (n, D) into out, on `threads` threads (per-call scratch).
  void row_log_probs(const float* x, int64_t n, int threads, double* out) const;

  // M > 2 (see the header comment).
  struct LevelScratch {
    std::vector<float> xs, hs, lg, s;  // x̃ (n, D); h then δa (D, n, H); logits (D, n, M); chunk sums
    std::vector<int32_t> lv;           // levels (n, D) in the model's order
    std::vector<double> loss;          // −log p(x_t | x_<t) (D, n)
  };
  struct LevelGrads {
    float *w, *v, *b, *c;
    float scale;  // d loss / d logit is scaled by this (1 / batch)
  };
  void set_order();  // order_ from shape_
  // x (n, D) in storage order → x̃ and levels in the model's order.
  void gather_levels(const float* x, int64_t n, float* xs, int32_t* lv) const;
  // log p of n rows into out (n) (may be null); with grads, adds the gradient of
  // scale · Σ_rows −log p. Returns Σ_rows −log p.
  double levels_pass(const float* x, int64_t n, LevelScratch& s, const LevelGrads* grads, double* out) const;
  // Sequential draw of n rows in lockstep (the binary kernels' draw, for M > 2): positions
  // in the model's order; observed entries (storage index, row stride cond_stride) clamp and
  // add log p to log_w. On the calling thread (products single-threaded).
  void draw_levels(int64_t n, const float* values, const uint8_t* observed, int64_t cond_stride, Rng* rng, float* out,
                   double* log_w) const;
  void complete_levels(const DataView& data, const uint8_t* observed, const SampleOptions& options, float* out) const;

  Json config_;
  int64_t hidden_, complete_samples_;
  double weight_decay_;
  std::unique_ptr<nn::ParameterStore> store_;
  nn::ParamId w_, v_, b_, c_;
  nn::Gemm encode_gemm_{false, false};   // X (N, D) · W (D, H) + c
  std::vector<int64_t> order_;           // M > 2: position t → storage index
  nn::Gemm logits_gemm_{false, true};    // h_t (n, H) · V_tᵀ (H, M) + b_t
  nn::Gemm gv_gemm_{true, false, true};  // gV_t (M, H) += G_tᵀ · h_t
  nn::Gemm dh_gemm_{false, false};       // dh_t (n, H) = G_t (n, M) · V_t (M, H)
  LevelScratch level_scratch_;           // training scratch for M > 2
  // Training scratch, grown once: a, h, s (B, H) chunk-major; part (chunks, B, D); g (B, D).
  std::vector<float> a_, h_, s_, part_, g_;
  std::vector<double> row_loss_;
  nn::TrainReport report_;
};

}  // namespace gm
