// PixelCNN sampling two ways (issue 14): the incremental pass (the vertical stack once per
// row, one column of the horizontal stack per position: Net::autoregress) against running the
// whole network per position (PixelCnnModel::sample_full_network). Default configuration
// (F = 64, L = 7, K = 3, K0 = 7), parameters from one training step on random binary images
// (sampling cost does not depend on the values). Also one training step's time at batch 64.
//   bench_sample [threads] [side] [n]
// On side × side images: the incremental sampler on n images, timed; the full-network sampler
// timed outright when side <= 12, otherwise as C·H·W forward passes of n images (the whole of
// its work), from the mean of 3 forward passes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/rng.hpp"
#include "models/pixelcnn.hpp"
#include "nn/compute.hpp"

using namespace gm;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int64_t side = argc > 2 ? std::atoll(argv[2]) : 28;
  const int64_t n = argc > 3 ? std::atoll(argv[3]) : 4;
  const int64_t d = side * side, rows = 64;
  std::vector<float> x(static_cast<std::size_t>(rows * d));
  Rng rng(1, 0);
  for (float& v : x) v = rng.bernoulli(0.3) ? 1.0f : 0.0f;
  DataView data;
  data.x = x.data();
  data.n = rows;
  data.d = d;
  data.image = ImageShape{1, side, side};
  PixelCnnModel m(Json::object());
  FitOptions fo;
  fo.epochs = 1;
  fo.batch_size = rows;
  fo.threads = threads;
  auto t0 = Clock::now();
  m.fit(data, fo);
  std::printf("%ldx%ld, default config, %d threads: one training step at batch %ld (with plan creation) %.2f s\n", side,
              side, threads, rows, seconds_since(t0));
  fo.warm_start = true;
  t0 = Clock::now();
  m.fit(data, fo);
  std::printf("  one training step at batch %ld: %.2f s\n", rows, seconds_since(t0));

  std::vector<float> out(static_cast<std::size_t>(n * d));
  SampleOptions so;
  so.seed = 5;
  so.threads = threads;
  t0 = Clock::now();
  m.sample(n, so, out.data());
  const double inc = seconds_since(t0);
  std::printf("  incremental sampler: %ld images in %.2f s (%.3f s per image)\n", n, inc, inc / n);

  nn::ComputeScope scope(threads);
  double full = 0;
  if (side <= 12) {
    std::vector<float> out2(out.size());
    t0 = Clock::now();
    m.sample_full_network(n, so, out2.data());
    full = seconds_since(t0);
    std::printf("  full network per position: %ld images in %.2f s (same samples: %s)\n", n, full,
                out2 == out ? "yes" : "no");
  } else {
    pixelcnn::Workspace ws;
    m.net().forward(out.data(), nullptr, n, ws);  // plan creation
    t0 = Clock::now();
    for (int k = 0; k < 3; ++k) m.net().forward(out.data(), nullptr, n, ws);
    const double one = seconds_since(t0) / 3;
    full = one * static_cast<double>(d);
    std::printf("  full network per position: %ld forward passes of %.3f s = %.1f s for %ld images (estimated)\n", d,
                one, full, n);
  }
  std::printf("  speed-up of the incremental sampler: %.0fx\n", full / inc);
  return 0;
}
