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
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_encode | cap_complete | cap_binary_data;

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
  void initialise(const DataView& data, uint64_t seed);
  std::unique_ptr<nn::ParameterStore> make_store(int64_t d);  // W, V, b, c for D pixels
  nade::Weights weights() const;
  // log p(x) of n rows of x (n, D) into out, on `threads` threads (per-call scratch).
  void row_log_probs(const float* x, int64_t n, int threads, double* out) const;

  Json config_;
  int64_t hidden_, complete_samples_;
  double weight_decay_;
  std::unique_ptr<nn::ParameterStore> store_;
  nn::ParamId w_, v_, b_, c_;
  nn::Gemm encode_gemm_{false, false};  // X (N, D) · W (D, H) + c
  // Training scratch, grown once: a, h, s (B, H) chunk-major; part (chunks, B, D); g (B, D).
  std::vector<float> a_, h_, s_, part_, g_;
  std::vector<double> row_loss_;
  nn::TrainReport report_;
};

}  // namespace gm
