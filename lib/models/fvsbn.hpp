// fvsbn — the fully-visible sigmoid belief network (Frey 1998; Gan et al. 2015): a logistic
// regression for every pixel given the pixels before it in raster order,
//
//   p(x) = Π_i σ(l_i)^{x_i} (1 − σ(l_i))^{1 − x_i},   l_i = b_i + Σ_{j<i} W_ij x_j
//
// fit maximises the exact log-likelihood with Adam (lr 1e-3 by default). Parameters:
// W (D, D) strictly lower triangular (D(D−1)/2 free entries) and b (D). The model file holds
// W; training keeps it input-major, Wt[j, i] = W_ij, so that the logits of a batch are sums
// of the rows of Wt at the pixels that are on (nn/binary_product.hpp): log_prob and the
// training step's forward skip the pixels that are off and the zero half of Wt. Sampling is
// sequential in i, batched over samples.
//
// complete: sequential importance resampling. K proposals per row are drawn from the model
// in raster order with the observed pixels clamped (q = Π_{i unobserved} p(x_i | x_<i));
// each is weighted by the likelihood of the observed pixels, Π_{i observed} p(x_i | x_<i),
// and one is drawn in proportion. That targets the exact conditional p(x_u | x_o) as K
// grows, and IS exact for any K when the observed pixels form a prefix of the ordering
// (all weights are equal then). K = config "complete_samples" (default 256).
//
// M-level pixels (cap_levels, docs/levels.md). M comes from the data at fit and is kept in
// the model (file metadata "levels"; a file without it is binary). M = 2 is exactly the model
// above: the same tensors, code path and bits (the logistic conditional is the 2-way softmax
// with logit 0 for x_i = 0). M > 2 makes every conditional an M-way softmax whose logits are
// linear in the earlier pixels' levels scaled to [0, 1]:
//
//   x̃_j = x_j / (M − 1),   p(x_t = v | x_<t) = softmax(l_t)_v,
//   l_{t,v} = b_{t,v} + Σ_{j<t} W_{t,v,j} x̃_j,        log p(x) = Σ_t l_{t,x_t} − logsumexp_v l_{t,v}
//
// W (D, M, D) strictly lower in (t, j): D(D−1)/2·M free weights (79 M at D = 784, M = 256).
// Logits linear in x̃ are enough for a discretised-Gaussian-like conditional whose mean is a
// linear function of the earlier pixels (−(v/(M−1) − μ)²/2σ² expands into b_v + w_v μ, the
// μ² term being common to all v), and any other shape over the levels through b. Positions
// t follow the model's order (docs/levels.md): the storage index for C = 1 and flat rows;
// for C > 1 (channel-first) position t = (y·W + x)·C + c reads index c·H·W + y·W + x.
// Stored for M > 2 (and trained in this layout, input-major): "Wt" (D, D, M) with
// Wt[j, t, v] = W_{t,v,j} (zero for j ≥ t, checked on load), "b" (D, M) (initialised at the
// log of the smoothed level frequencies, nn::init_log_marginals, with W = 0: the categorical
// model). The logits of a batch are one product X̃ (B, D) · Wt (D, D·M), split into blocks of
// positions that skip the zero rows j ≥ t1 (half the work); the gradient the same blocks
// transposed. Parameters, gradient and Adam's two moments take 16 bytes a weight: 2.5 GB at
// D = 784, M = 256. sample draws each level by inversion of the softmax CDF; complete is the
// importance resampling above. Loops are split over rows or position blocks with
// single-threaded products: results do not depend on the thread count.
//
// Neighbour tables (M > 2, config "neighbour_tables", default true; docs/levels.md). Logits
// linear in the earlier levels cannot make the next pixel's distribution sharp around a
// neighbour's value *and* broad elsewhere: the conditional of a pixel next to a background
// pixel (mostly 0) and next to a mid-grey one need different shapes, not shifted ones. The
// categorical-input logistic regression encodes an input of M values one-hot; the full one-hot
// FVSBN would take D·M·D·M weights (4·10¹⁰ at D = 784), so only the causal 3×3 neighbours — left,
// up-left, up, up-right, in the same channel — enter one-hot, through four M×M tables tied
// across positions (and one row each for "off the image"):
//
//   l_{t,v} = b_{t,v} + Σ_{j<t} W_{t,v,j} x̃_j + Σ_{k<4} N[k, x_{n_k(t)}, v]
//
// N (4, M + 1, M), row M when neighbour k of t is off the image (flat rows: only the left
// neighbour, the previous position). With N = 0 this is the model above; a table alone is
// markov k = 1 tied (the left table) in logistic form. 4·257·256 = 263 k weights beside W's
// 79 M. A file written before the key existed has no N (registry's saved-config upgrade).
#pragma once

#include <memory>
#include <vector>

#include "models/generative_model.hpp"
#include "nn/binary_product.hpp"
#include "nn/gemm.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

class FvsbnModel final : public ModelKind<FvsbnModel>, public nn::Trainable {
 public:
  // The kind's one name: kind(), the registry and model files use it.
  static constexpr const char* kind_name = "fvsbn";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_levels;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
  // A file written before "neighbour_tables" existed has none (registry.hpp).
  static void upgrade_saved_config(Json& config);
  explicit FvsbnModel(const Json& config);
  ~FvsbnModel() override;
  FvsbnModel(FvsbnModel&&) noexcept;
  FvsbnModel& operator=(FvsbnModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  bool trains_in_epochs() const override { return true; }
  const Json& config() const override { return config_; }

  const nn::TrainReport& last_report() const { return report_; }

  // Trainable (public so tests can check the loss gradient as a whole)
  nn::ParameterStore& parameter_store() override { return *store_; }
  double train_step(const DataView& batch, Rng& rng) override;
  double evaluate(const DataView& batch, Rng& rng) override;

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void before_checkpoint() override { refresh_derived(); }
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  void build(int64_t d);   // (re)creates the store for D pixels
  void refresh_derived();  // W, the file's layout, after fit or restore (M = 2)
  // M > 2 (see the header comment)
  void set_order();  // order_ from shape_
  void gather_levels(const float* x, int64_t n, float* xs, int32_t* lv) const;
  // logits (n, D·M) of rows xs (n, D) of x̃ with levels lv (n, D), in the model's order.
  void level_logits(const float* xs, const int32_t* lv, int64_t n, float* lg) const;
  // Neighbour tables: adds N's rows to logits lg (n, D·M); gN += the tables' share of G.
  void add_neighbour_logits(const int32_t* lv, int64_t n, float* lg) const;
  void neighbour_grad(const int32_t* lv, int64_t n, const float* g);
  void init_left_table(const DataView& data);  // N[0] from the data's pair counts
  // N's row for neighbour k of position t given the levels read so far (lv in model order).
  int64_t neighbour_row(int64_t t, int64_t k, const int32_t* lv) const {
    const int64_t p = neighbours_[static_cast<std::size_t>(t * kNeighbours + k)];
    return p < 0 ? shape_.levels : lv[p];
  }
  // Σ_t −log p(x_t | x_<t) of row r into nll[r]; with scale != 0 lg becomes scale · d/dlogits.
  void level_losses(const int32_t* lv, int64_t n, float* lg, float scale, double* nll) const;
  void draw_row_levels(const float* values, const uint8_t* observed, Rng& rng, float* out, double* log_w,
                       float* l) const;
  // log p(x) of every row of data into out (n).
  void row_log_probs(const DataView& data, double* out) const;
  // Draws rows in raster order; observed/values clamp pixels (may be null); log_w (B)
  // receives Σ over clamped pixels of log p(x_i | x_<i) when not null.
  void draw(int64_t B, const float* values, const uint8_t* observed, uint64_t seed, int64_t first_stream, float* out,
            double* log_w) const;

  static constexpr int64_t kNeighbours = 4;  // left, up-left, up, up-right

  Json config_;
  bool neighbour_tables_;
  double learning_rate_, weight_decay_;
  int64_t complete_samples_;
  std::unique_ptr<nn::ParameterStore> store_;
  nn::ParamId wt_, b_;                           // Wt (D, D): row j holds the weights pixel j gives to later pixels
  nn::ParamId n_{};                              // M > 2 with neighbour_tables: N (4, M + 1, M)
  std::vector<int64_t> neighbours_;              // (D, 4): position of neighbour k of t, −1 off the image
  std::vector<float> w_;                         // (D, D) W = Wtᵀ, as the model file stores it
  nn::BinaryRows rows_;                          // training scratch: the pixels on in the batch
  nn::Gemm grad_wt_gemm_{true, false, true};     // dWt += Xᵀ · dL
  std::vector<float> logits_, dlogits_;          // training scratch (B, D)
  std::vector<int64_t> order_;                   // M > 2: position t → storage index
  nn::Gemm level_gemm_{false, false};            // logits block = X̃ · Wt block + b
  nn::Gemm level_grad_gemm_{true, false, true};  // gWt block += X̃ᵀ · G block
  std::vector<float> xs_, lg_;                   // M > 2 training scratch: x̃ (B, D), logits (B, D·M)
  std::vector<int32_t> lv_;                      // levels (B, D)
  std::vector<double> nll_;                      // (B)
  nn::TrainReport report_;
};

}  // namespace gm
