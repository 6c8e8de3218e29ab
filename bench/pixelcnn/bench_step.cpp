// One pixelcnn training step (forward, loss, backward, Adam: the shared training loop's
// work per batch) timed the way bench/torch/pixelcnn.py --steps times PyTorch's: random
// images of M levels, 2 warm-up steps (plan creation), then `steps` steps, one JSON line.
//   bench_step THREADS CHANNELS LAYERS LEVELS BATCH STEPS [SIDE]
// Build and run with bench/pixelcnn/run.sh step ...; bench/pixelcnn/step.sh runs it against
// the PyTorch reference in alternation.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/rng.hpp"
#include "models/pixelcnn.hpp"

using namespace gm;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: bench_step THREADS CHANNELS LAYERS LEVELS BATCH STEPS [SIDE]\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const int64_t F = std::atoll(argv[2]), L = std::atoll(argv[3]), M = std::atoll(argv[4]);
  const int64_t batch = std::atoll(argv[5]), steps = std::atoll(argv[6]);
  const int64_t side = argc > 7 ? std::atoll(argv[7]) : 28, d = side * side;
  const int64_t rows = batch * std::max<int64_t>(steps, 2);
  std::vector<float> x(static_cast<std::size_t>(rows * d));
  Rng rng(1, 0);
  for (float& v : x) v = static_cast<float>(rng.below(static_cast<uint64_t>(M)));
  DataView data;
  data.x = x.data();
  data.n = 2 * batch;  // the warm-up: 2 steps
  data.d = d;
  data.image = ImageShape{1, side, side};
  data.levels = M;
  PixelCnnModel m(Json{{"channels", F}, {"layers", L}});
  FitOptions fo;
  fo.epochs = 1;
  fo.batch_size = batch;
  fo.threads = threads;
  m.fit(data, fo);
  data.n = batch * steps;
  fo.warm_start = true;
  const auto t0 = Clock::now();
  m.fit(data, fo);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"impl\": \"genmodels\", \"channels\": %ld, \"layers\": %ld, \"levels\": %ld, \"batch\": %ld, \"side\": %ld, "
      "\"threads\": %d, \"steps\": %ld, \"seconds_per_step\": %.4f, \"images_per_s\": %.2f}\n",
      F, L, M, batch, side, threads, steps, s / static_cast<double>(steps), static_cast<double>(batch * steps) / s);
  return 0;
}
