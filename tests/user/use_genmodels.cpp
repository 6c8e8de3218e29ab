// A user's C++ program: fit bernoulli on an .npy file and print the mean training NLL.
//   c++ -std=c++17 use_genmodels.cpp $(pkg-config --cflags --libs genmodels) -o use_genmodels
#include <genmodels/genmodels.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE.npy\n", argv[0]);
    return 2;
  }
  genmodels::check_abi();
  const genmodels::Dataset data(std::string("npy:") + argv[1]);
  genmodels::Model model("bernoulli", "{}");
  model.fit(data.rows());
  const std::vector<double> lp = model.log_prob(data.rows());
  double nll = 0;
  for (const double v : lp) nll -= v / static_cast<double>(lp.size());
  std::printf("c++: nll %.6f\n", nll);
  return 0;
} catch (const genmodels::Error& e) {
  std::fprintf(stderr, "genmodels: %s: %s\n", e.status_name(), e.what());
  return 1;
}
