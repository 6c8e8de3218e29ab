// markov — an order-k Markov chain over D pixels of M levels (M = 2: binary) along the pixel
// order of docs/levels.md: raster order and, for C > 1 channels stored (C, H, W), R, G, B
// within a pixel — position t = (y·W + x)·C + c is the stored value c·H·W + y·W + x (for
// C = 1, or flat rows, the storage order).
//
//   p(x) = Π_{t=0}^{D−1} p_t(x_t | c_t),   c_t = Σ_{j=1..k} x_{t−j} · M^{j−1}
//
// The context c_t packs the previous k pixels as base-M digits, the most recent one (x_{t−1})
// the lowest; M^k contexts (M = 2: bits, x_{t−1} in bit 0). Pixels before the start
// (t − j < 0) are taken as level 0, so position 0 always has context 0 and position t < k
// only reaches contexts < M^t: every factor is a proper conditional and Σ_x p(x) = 1 exactly.
//
// fit: closed form. With a symmetric Dirichlet(α, …, α) prior on every conditional (Beta(α, α)
// for M = 2), the posterior mean given the counts n_{t,c,v} = #rows with context c at position
// t and x_t = v is
//   p_t(v | c) = (n_{t,c,v} + α) / (n_{t,c} + M·α),   n_{t,c} = Σ_v n_{t,c,v}
// (a context never seen — including the unreachable ones of positions t < k — gets 1/M).
// Config "tied": true shares one table among all positions, p(v | c) from the counts summed
// over t (the first k positions use it with their zero-padded contexts).
// Parameters: untied D·M^k·(M − 1), tied M^k·(M − 1) (order 1: M·(M − 1)); of an untied
// table only Σ_t M^{min(t,k)}·(M − 1) entries are reachable (2D − 1 for k = 1, M = 2).
// Config: {"order": 1 (1..12), "alpha": 1.0 ([1e-10, 1e10]), "tied": false}. M comes from
// the data (docs/levels.md). The tables grow as M^k: at M = 256 order 1 untied holds
// 784·65 536 cells for Fashion-MNIST (16 bytes each: ~0.8 GB); order 2 needs "tied"; a
// configuration whose tables pass the memory budget (limits::memory_budget) is refused with
// out_of_memory before anything is allocated.
//
// Partial fit (FitOptions::warm_start on a fitted model): the counts are sums over rows, so
// a fit on new rows adds their counts to the kept n_{t,c,v} and recomputes every p from the
// integer totals: fitting chunk by chunk gives the one-shot fit on the union bit for bit
// (p, scores, saved bytes), in any order of the chunks. Counts stay <= 2^53 (tied: N·D).
//
// Stored (model file), T = D (untied) or 1 (tied), S = M^k:
//   M = 2:  "counts" (T, 2^k, 2) i64 = n_{t,c,v} and "p" (T, 2^k) f64 = p_t(1 | c) — the layout
//           of the binary kind before M levels, whose files (no "levels" metadata) load and
//           score as they did (C = 1; for C > 1 channels they ordered the stored values plane
//           by plane, not R, G, B within a pixel).
//   M > 2:  "counts" (T, S, M) i64 and "p" (T, S, M) f64 = p_t(v | c).
// A loader checks the counts are those of some N >= 1 rows and that p is exactly what they
// give. Untied: N = Σ_v n_{0,0,v} (position 0 always has context 0) and every (position,
// context) is reached exactly as often as the counts of the position before lead into it,
// n_{t,c} = Σ_{(c',v) → c} n_{t−1,c',v}, starting from N rows in context 0. Tied: the total is
// N·D, and for every context the visits n_c can only fall short of the transitions into it
// (plus the N starts in context 0) by the rows that end there: N·[c = 0] + Σ_{(c',v) → c}
// n_{c',v} − n_c >= 0. Files of the binary kind written before the counts were kept hold only
// "p": they load and score as before, but a partial fit on them is refused (invalid_argument;
// refit from scratch once).
//
// sample: per row Rng(seed, row), one uniform per pixel, inverse CDF over the levels from the
// top (v = M − 1 first; for M = 2: x = 1 iff u < p(1 | c), as before M levels).
// complete draws the unobserved pixels exactly from p(x_u | x_o) for any observed set by
// forward filtering, backward sampling over the M^k states s_t = c_{t+1}: O(D · M^{k+1})
// time and D · M^k doubles of scratch per row (checked against the memory budget).
// Reference: Markov chains of order k; forward filtering–backward sampling (Carter & Kohn
// 1994; Frühwirth-Schnatter 1994) as used for hidden Markov models (Rabiner 1989).
#pragma once

#include <string>
#include <vector>

#include "core/tensor_ref.hpp"
#include "models/generative_model.hpp"

namespace gm {

class MarkovModel final : public ModelKind<MarkovModel> {
 public:
  // The kind's one name: kind(), the registry and model files use it.
  static constexpr const char* kind_name = "markov";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_levels;

  // The configuration keys (registry.cpp lists it with the kind).
  static const Schema& config_schema();
  explicit MarkovModel(const Json& config);

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  const Json& config() const override { return config_; }
  int order() const { return order_; }
  bool tied() const { return tied_; }

  // The table dimensions for d values of m levels: T tables (d, or 1 when tied) of S = m^order
  // contexts by m levels; cells = T·S·m, or −1 when a product passes int64.
  struct Dims {
    int64_t tables = 0, contexts = 0, levels = 2, cells = 0;
  };
  Dims dims(int64_t d, int64_t m) const;

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  // "counts" then "p" (shapes above); only "p" when the model was restored from a file
  // without counts.
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  // out_of_memory naming the order, M and what to do unless `cells` of the tables at
  // `bytes_per_cell` (or scratch of that many bytes) fit the memory budget.
  void require_table_memory(const Dims& dm, int64_t count, int64_t bytes_each, const char* what) const;
  // p from the (T, S, M) counts: the one formula of fit and of load's check. M = 2 gives
  // p(1 | c) only, (n1 + α) / (n0 + n1 + 2α); M > 2 every p(v | c).
  std::vector<double> probabilities(const int64_t* counts, const Dims& dm) const;
  // The number of rows the counts hold (they are consistent).
  int64_t rows_counted(const int64_t* counts, const Dims& dm, int64_t d) const;
  // Installs p (validated) with the data shape, its dims and pixel order.
  void install(const DataShape& shape, std::vector<double> p);
  // The conditional table row of position t, context c: p(1 | c) for M = 2, else M entries.
  const double* table(int64_t t, int64_t c) const {
    const int64_t width = dims_.levels == 2 ? 1 : dims_.levels;
    return p_.data() + ((tied_ ? 0 : t) * dims_.contexts + c) * width;
  }
  // FFBS for one row; alpha is D · S scratch. The binary one is the kind's code before M
  // levels (bit for bit the same draws); the other takes any M.
  void complete_row_binary(const float* x, const uint8_t* observed, uint64_t seed, uint64_t row, double* alpha,
                           float* out) const;
  void complete_row_levels(const float* x, const uint8_t* observed, uint64_t seed, uint64_t row, double* alpha,
                           float* out) const;

  Json config_;
  int order_ = 1;
  double alpha_ = 1.0;
  bool tied_ = false;
  Dims dims_;                 // of the fitted model
  std::vector<int64_t> pos_;  // pos_[t]: the stored index of the pixel at position t
  // The persistent parameters: (T, S) p(1 | c) for M = 2, (T, S, M) p(v | c) otherwise.
  std::vector<double> p_;
  // (T, S, M) log p_t(v | c) (M = 2: log1p(−p) and log p) when at most 64 MiB, else empty and
  // log_prob takes the logs as it goes.
  std::vector<double> log_;
  // The sufficient statistics partial fit adds to, (T, S, M) n_{t,c,v}; has_counts_ is false
  // for a model restored from a file that holds only "p".
  bool has_counts_ = false;
  std::vector<int64_t> counts_;
};

}  // namespace gm
