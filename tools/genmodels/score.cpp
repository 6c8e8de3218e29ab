#include "score.hpp"

#include <chrono>
#include <cmath>
#include <vector>

#include "common.hpp"

namespace gm::cli {

Json Score::to_json() const {
  return {{"n", n},
          {"d", d},
          {"nll_nats", nll_nats},
          {"nll_stderr", nll_stderr},
          {"bits_per_dim", bits_per_dim},
          {"levels", levels},
          {"seconds", seconds}};
}

Score score(const GenerativeModel& model, const Dataset& data, const EvalOptions& options,
            std::vector<double>* per_example) {
  const DataView view = data.view();
  model.require_capability(cap_log_prob, "log_prob");
  model.require_rows(view);
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> lp(static_cast<std::size_t>(view.n));
  model.log_prob(view, options, lp.data());
  Score s;
  s.seconds = seconds_since(start);
  s.n = view.n;
  s.d = view.d;
  s.levels = model.levels();
  double sum = 0, sum_sq = 0;
  for (double v : lp) {
    sum += -v;
    sum_sq += v * v;
  }
  s.nll_nats = s.n ? sum / s.n : 0.0;
  const double var = s.n > 1 ? (sum_sq - s.n * s.nll_nats * s.nll_nats) / (s.n - 1) : 0.0;
  s.nll_stderr = s.n > 1 ? std::sqrt(std::max(var, 0.0) / s.n) : 0.0;
  s.bits_per_dim = s.nll_nats / (s.d * std::log(2.0));
  if (per_example) *per_example = std::move(lp);
  return s;
}

}  // namespace gm::cli
