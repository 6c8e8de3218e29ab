// Micro-benchmark of the binary-input product (nn/binary_product.hpp) against the dense
// oneDNN product, at the shapes of the vae's first layer (100 × 784 → 400) and
// of fvsbn (100 × 784 → 784, strictly lower), on rows with 31% ones (binarised
// Fashion-MNIST's share). Prints microseconds per call, the median of 15 runs of 50 calls.
// Build and run with bench/nn/run.sh binary [threads].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "core/rng.hpp"
#include "nn/binary_product.hpp"
#include "nn/compute.hpp"
#include "nn/gemm.hpp"

namespace {

double median_us(const std::function<void()>& call) {
  std::vector<double> runs;
  for (int k = 0; k < 15; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) call();
    runs.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / 50);
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

void shape(const char* name, int64_t B, int64_t K, int64_t N, bool lower) {
  gm::Rng rng(1, 1);
  std::vector<float> x(B * K), w(K * N), y(B * N);
  for (auto& v : x) v = rng.uniform() < 0.31 ? 1.0f : 0.0f;
  for (auto& v : w) v = static_cast<float>(rng.normal());
  if (lower)
    for (int64_t j = 0; j < K; ++j)
      for (int64_t i = 0; i <= j && i < N; ++i) w[j * N + i] = 0.0f;
  gm::nn::Gemm fwd(false, false);
  gm::nn::BinaryRows rows;
  const double dense_f = median_us([&] { fwd.run(B, N, K, x.data(), K, w.data(), N, y.data(), N); });
  const double index = median_us([&] { rows.assign(x.data(), B, K, K); });
  const double bin_f = median_us([&] { gm::nn::binary_matmul(rows, w.data(), N, N, nullptr, y.data(), N, lower); });
  std::printf("| %s | %.0f | %.0f | %.0f | %.2fx |\n", name, dense_f, index, bin_f, dense_f / bin_f);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  gm::nn::ComputeScope scope(threads);
  std::printf("threads %d; µs per call (median)\n\n", threads);
  std::printf("| product | dense (oneDNN) | index the ones | binary_matmul | speed-up |\n|---|---|---|---|---|\n");
  shape("vae enc.fc1 100x784 -> 400", 100, 784, 400, false);
  shape("fvsbn 100x784 -> 784, lower", 100, 784, 784, true);
  shape("fvsbn log_prob 256x784 -> 784, lower", 256, 784, 784, true);
}
