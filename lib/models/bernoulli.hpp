// bernoulli — the independence model over D binary pixels (n parameters for n pixels).
//
//   p(x) = Π_i p_i^{x_i} (1 − p_i)^{1 − x_i},        x ∈ {0,1}^D
//   log p(x) = Σ_i [x_i log p_i + (1 − x_i) log(1 − p_i)]      (nats, summed in double)
//
// fit: closed form. With a Beta(α, α) prior on each p_i, the posterior mean given N rows of
// which c_i have x_i = 1 is
//   p_i = (c_i + α) / (N + 2α)
// (α = 1 is Laplace's rule of succession; α → 0 approaches the maximum-likelihood c_i / N
// but keeps every p_i strictly inside (0, 1), so log_prob is finite on any binary input).
// Parameters: D. Config: {"alpha": 1.0} (alpha in [1e-10, 1e10]).
//
// Partial fit (FitOptions::warm_start on a fitted model): the counts are sums over rows, so
// a fit on new rows adds their counts c'_i and N' to the kept ones and recomputes
//   p_i = (c_i + c'_i + α) / (N + N' + 2α)
// from the integer totals: fitting chunk by chunk gives the one-shot fit on the union bit
// for bit (p, scores, saved bytes), in any order of the chunks. Counts stay <= 2^53.
//
// Stored (model file): "ones" (D) i64 = c_i, "rows" (1) i64 = N, "p" (D) f64. A loader
// checks 0 <= c_i <= N <= 2^53, N >= 1 and that p is exactly what the counts give. Files
// written before the counts were kept hold only "p": they load and score as before, but a
// partial fit on them is refused (invalid_argument; refit from scratch once).
// Reference: the independence model (e.g. Bishop, PRML §2.1; Murphy, MLAPP §3.3).
#pragma once

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "models/generative_model.hpp"

namespace gm {

class BernoulliModel final : public ModelKind<BernoulliModel> {
 public:
  // The kind's one name: kind(), the registry and model files use it.
  static constexpr const char* kind_name = "bernoulli";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_binary_data;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
  explicit BernoulliModel(const Json& config);

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  const Json& config() const override { return config_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  // "ones" (D) i64, "rows" (1) i64 and "p" (D) f64 = P(x_i = 1); only "p" when the model was
  // restored from a file without counts.
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  // p_i = (ones_i + alpha) / (rows + 2 alpha): the one formula of fit and of load's check.
  Tensor<double, 1> probabilities(const std::vector<int64_t>& ones, int64_t rows) const;
  // Derives the log tables from p and installs everything (p is already validated).
  void install(const DataShape& shape, Tensor<double, 1> p);

  Json config_;
  double alpha_ = 1.0;
  Tensor<double, 1> p_;      // (D) P(x_i = 1), the persistent parameters
  Tensor<double, 1> log_p_;  // (D) log p_i
  Tensor<double, 1> log_q_;  // (D) log(1 − p_i) = log1p(−p_i), accurate for small p_i
  // The sufficient statistics partial fit adds to; has_counts_ is false for a model restored
  // from a file that holds only "p".
  bool has_counts_ = false;
  Tensor<int64_t, 1> ones_;  // (D) c_i = #rows with x_i = 1
  Tensor<int64_t, 1> rows_;  // (1) N = #rows fitted on
};

}  // namespace gm
