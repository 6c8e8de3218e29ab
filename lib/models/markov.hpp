// markov — an order-k Markov chain over D binary pixels along the raster ordering.
//
//   p(x) = Π_{i=0}^{D−1} p(x_i | c_i),   c_i = Σ_{j=1..k} x_{i−j} · 2^{j−1}
//
// The context c_i packs the previous k pixels, the most recent one (x_{i−1}) in bit 0.
// Pixels before the start (i − j < 0) are taken as 0, so pixel 0 always has context 0 and
// pixel i < k only reaches contexts < 2^i: every factor is a proper conditional and
// Σ_x p(x) = 1 exactly.
//
// fit: closed form. With a Beta(α, α) prior on every conditional, the posterior mean given
// the counts n_{i,c,b} = #rows with context c at pixel i and x_i = b is
//   p(x_i = 1 | c) = (n_{i,c,1} + α) / (n_{i,c,0} + n_{i,c,1} + 2α)
// (a context never seen — including the unreachable ones of pixels i < k — gets 1/2).
// Parameters: stored as a (D, 2^k) table; the free ones are Σ_i 2^{min(i,k)}, i.e. 2D − 1
// for k = 1. Config: {"order": 1 (1..12), "alpha": 1.0 ([1e-10, 1e10])}.
//
// Partial fit (FitOptions::warm_start on a fitted model): the counts are sums over rows, so
// a fit on new rows adds their counts to the kept n_{i,c,b} and recomputes every p(x_i = 1 | c)
// from the integer totals: fitting chunk by chunk gives the one-shot fit on the union bit for
// bit (p, scores, saved bytes), in any order of the chunks. Counts stay <= 2^53.
//
// Stored (model file): "counts" (D, 2^k, 2) i64 = n_{i,c,b} and "p" (D, 2^k) f64. The number
// of rows is N = n_{0,0,0} + n_{0,0,1} (pixel 0 always has context 0). A loader checks the
// counts are those of some N >= 1 binary rows — every (pixel, context) is reached exactly as
// often as the counts of the pixel before lead into it, n_{i,c,0} + n_{i,c,1} =
// Σ_{(c',b): ((c' << 1) | b) & (2^k − 1) = c} n_{i−1,c',b}, starting from N rows in context 0
// — and that p is exactly what they give. The counts cost 16 bytes per (pixel, context):
// twice the table p (at order 12 on 784 pixels, 51 MiB beside p's 25 MiB). Files written
// before the counts were kept hold only "p": they load and score as before, but a partial
// fit on them is refused (invalid_argument; refit from scratch once).
//
// complete draws the unobserved pixels exactly from p(x_u | x_o) for any observed set by
// forward filtering, backward sampling over the 2^k states s_i = c_{i+1}: O(D · 2^{k+1})
// time and D · 2^k doubles of scratch per row.
// Reference: Markov chains of order k; forward filtering–backward sampling (Carter & Kohn
// 1994; Frühwirth-Schnatter 1994) as used for hidden Markov models (Rabiner 1989).
#pragma once

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "models/generative_model.hpp"

namespace gm {

class MarkovModel final : public ModelKind<MarkovModel> {
 public:
  // The kind's one name: kind(), the registry and model files use it.
  static constexpr const char* kind_name = "markov";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_binary_data;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
  explicit MarkovModel(const Json& config);

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  const Json& config() const override { return config_; }
  int order() const { return order_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  // "counts" (D, 2^k, 2) i64 = n_{i,c,b} and "p" (D, 2^k) f64, p[i][c] = P(x_i = 1 | context c);
  // only "p" when the model was restored from a file without counts.
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  // p(x_i = 1 | c) = (n_{i,c,1} + alpha) / (n_{i,c,0} + n_{i,c,1} + 2 alpha) from the (D, 2^k, 2)
  // counts: the one formula of fit and of load's check.
  Tensor<double, 2> probabilities(const int64_t* counts, int64_t d) const;
  // Derives the log table from p and installs everything (p is already validated).
  void install(const DataShape& shape, Tensor<double, 2> p);
  // FFBS for one row; alpha is D · 2^k scratch.
  void complete_row(const float* x, const uint8_t* observed, uint64_t seed, uint64_t row, double* alpha,
                    float* out) const;

  Json config_;
  int order_ = 1;
  double alpha_ = 1.0;
  Tensor<double, 2> p_;    // (D, 2^k) P(x_i = 1 | c), the persistent parameters
  Tensor<double, 3> log_;  // (D, 2^k, 2) log P(x_i = b | c); b = 0 via log1p(−p)
  // The sufficient statistics partial fit adds to; has_counts_ is false for a model restored
  // from a file that holds only "p".
  bool has_counts_ = false;
  Tensor<int64_t, 3> counts_;  // (D, 2^k, 2) n_{i,c,b}
};

}  // namespace gm
