// categorical — the independence model over D pixels of M levels each: every pixel has its
// own distribution over {0, …, M−1}, M − 1 free parameters, D·(M − 1) in all (an RGB
// pixel's channels count as three pixels). M = 2 is bernoulli.
//
//   p(x) = Π_i p_i(x_i),        x ∈ {0, …, M−1}^D
//   log p(x) = Σ_i log p_i(x_i)      (nats, summed in double)
//
// fit: closed form. With a symmetric Dirichlet(α, …, α) prior on each p_i, the posterior
// mean given N rows of which n_{i,v} have x_i = v is
//   p_i(v) = (n_{i,v} + α) / (N + M·α)
// (α = 1 is Laplace's rule; α → 0 approaches maximum likelihood n_{i,v} / N, but every level
// keeps a positive probability, so log_prob is finite on any valid input). M comes from the
// data (gm_data.levels, docs/levels.md); on binary data the fit is bernoulli's, bit for bit
// in log_prob up to the rounding of log1p against log.
// Parameters: D·M stored, D·(M − 1) free. Config: {"alpha": 1.0} ([1e-10, 1e10]).
//
// Partial fit (FitOptions::warm_start on a fitted model) adds the new rows' counts to the
// kept ones: chunk by chunk equals the one-shot fit on the union bit for bit.
//
// Stored (model file): "counts" (D, M) i64 = n_{i,v} and "p" (D, M) f64. A loader checks that
// every pixel's counts sum to the same N in [1, 2^53] and that p is exactly what they give.
// Reference: the categorical independence model (e.g. Murphy, MLAPP §3.4).
#pragma once

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "models/generative_model.hpp"

namespace gm {

class CategoricalModel final : public ModelKind<CategoricalModel> {
 public:
  static constexpr const char* kind_name = "categorical";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_levels;

  static const Schema& config_schema();
  explicit CategoricalModel(const Json& config);

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  const Json& config() const override { return config_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  // "counts" (D, M) i64 and "p" (D, M) f64.
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  // p_i(v) = (n_{i,v} + alpha) / (rows + M alpha): the one formula of fit and of load's check.
  Tensor<double, 2> probabilities(const Tensor<int64_t, 2>& counts, int64_t rows) const;
  // Derives the log and cumulative tables from p and installs everything.
  void install(const DataShape& shape, Tensor<double, 2> p, Tensor<int64_t, 2> counts);
  // One draw from pixel i's distribution.
  float draw(int64_t i, double u) const;

  Json config_;
  double alpha_ = 1.0;
  Tensor<int64_t, 2> counts_;  // (D, M) n_{i,v}, the sufficient statistics
  Tensor<double, 2> p_;        // (D, M) p_i(v), the persistent parameters
  Tensor<double, 2> log_p_;    // (D, M) log p_i(v)
  Tensor<double, 2> cdf_;      // (D, M) Σ_{w<=v} p_i(w), for sampling by inversion
};

}  // namespace gm
