// Per-call overhead of genmodels.hpp's log_prob versus the direct C call, one process.
// Prints "cpp <direct ns> <binding ns>".
#include <genmodels/genmodels.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "direct.h"

int main() {
  std::vector<float> train(200 * GMB_D);
  for (int64_t i = 0; i < 200; ++i)
    for (int64_t j = 0; j < GMB_D; ++j) train[static_cast<size_t>(i * GMB_D + j)] = gmb_value(i, j);
  genmodels::Model m("bernoulli");
  m.fit(genmodels::Rows(train, GMB_D));
  const genmodels::Rows one(train.data(), 1, GMB_D);
  genmodels::EvalOptions opts;
  opts.threads = 1;

  const int64_t calls = 1000;
  double sink = 0;
  auto binding = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < calls; ++i) sink += m.log_prob(one, opts)[0];
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / calls;
  };
  gmb_direct_log_prob_ns(m.get(), train.data(), GMB_D, calls);  // warm-up
  binding();
  std::vector<double> direct_ns, binding_ns;
  for (int round = 0; round < 101; ++round) {
    direct_ns.push_back(gmb_direct_log_prob_ns(m.get(), train.data(), GMB_D, calls));
    binding_ns.push_back(binding());
  }
  // The fastest round of each: the per-call cost with the least interference.
  std::printf("cpp %.1f %.1f\n", *std::min_element(direct_ns.begin(), direct_ns.end()),
              *std::min_element(binding_ns.begin(), binding_ns.end()));
  return sink == 0 ? 1 : 0;
}
