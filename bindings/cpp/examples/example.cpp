// Fit a Markov model on bars and stripes, score two images, draw a few and round-trip it.
#include <genmodels/genmodels.hpp>

#include <cstdio>
#include <vector>

int main() try {
  genmodels::check_abi();
  genmodels::Dataset bars("builtin:bars-and-stripes:3");
  genmodels::Model model("markov", R"({"order": 2})");
  genmodels::FitOptions fit;
  fit.progress = [](int64_t step, int64_t total, double loss) {
    std::printf("fit %lld/%lld loss %.4f\n", static_cast<long long>(step), static_cast<long long>(total), loss);
    return false;  // true would stop fit
  };
  model.fit(bars.rows(), fit);

  const std::vector<float> images = {1, 1, 1, 0, 0, 0, 1, 1, 1,   // stripes: likely
                                     1, 0, 0, 0, 1, 0, 0, 0, 1};  // a diagonal: unlikely
  const std::vector<double> lp = model.log_prob(genmodels::Rows(images, 9));
  std::printf("log p = %.3f, %.3f nats\n", lp[0], lp[1]);

  genmodels::SampleOptions opts;
  opts.seed = 1;
  const std::vector<float> x = model.sample(2, opts);
  for (size_t i = 0; i < 2; ++i) {
    std::printf("sample %zu: ", i);
    for (size_t j = 0; j < 9; ++j) std::printf(j % 3 == 2 && j < 8 ? "%.0f/" : "%.0f", x[i * 9 + j]);
    std::printf("\n");
  }

  const genmodels::Model copy = genmodels::Model::from_bytes(model.to_bytes());
  std::printf("round trip identical: %s\n", copy.log_prob(genmodels::Rows(images, 9)) == lp ? "yes" : "no");

  try {
    model.encode(genmodels::Rows(images, 9));
  } catch (const genmodels::Unsupported& e) {
    std::printf("encode: %s\n", e.status_name());
  }
  return 0;
} catch (const genmodels::Error& e) {
  std::fprintf(stderr, "genmodels: %s: %s\n", e.status_name(), e.what());
  return 1;
}
