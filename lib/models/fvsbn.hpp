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
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_binary_data;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
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
  void refresh_derived();  // W, the file's layout, after fit or restore
  // log p(x) of every row of data into out (n).
  void row_log_probs(const DataView& data, double* out) const;
  // Draws rows in raster order; observed/values clamp pixels (may be null); log_w (B)
  // receives Σ over clamped pixels of log p(x_i | x_<i) when not null.
  void draw(int64_t B, const float* values, const uint8_t* observed, uint64_t seed, int64_t first_stream, float* out,
            double* log_w) const;

  Json config_;
  double learning_rate_, weight_decay_;
  int64_t complete_samples_;
  std::unique_ptr<nn::ParameterStore> store_;
  nn::ParamId wt_, b_;                        // Wt (D, D): row j holds the weights pixel j gives to later pixels
  std::vector<float> w_;                      // (D, D) W = Wtᵀ, as the model file stores it
  nn::BinaryRows rows_;                       // training scratch: the pixels on in the batch
  nn::Gemm grad_wt_gemm_{true, false, true};  // dWt += Xᵀ · dL
  std::vector<float> logits_, dlogits_;       // training scratch (B, D)
  nn::TrainReport report_;
};

}  // namespace gm
