// nade on binarised Fashion-MNIST, one process: the test NLL after every epoch (scored from
// the progress callback at each epoch's last step, timed apart from training), training
// throughput, then log_prob and sampling throughput. One JSON object per line, like the
// PyTorch references in bench/torch/.
//
// Usage: nade_bench [--epochs N] [--hidden H] [--threads T] [--seed S] [--steps K]
//   --steps K: stop after K training steps (a throughput run; no per-epoch scoring)
//   --eval 0: skip the final log_prob and sampling measurements
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "data/transforms.hpp"
#include "models/nade.hpp"
#include "models/nade_kernels.hpp"

using namespace gm;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  int64_t epochs = 5, hidden = 500, steps = 0, eval = 1;
  int threads = 2;
  uint64_t seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--epochs")
      epochs = std::atoll(v);
    else if (k == "--hidden")
      hidden = std::atoll(v);
    else if (k == "--threads")
      threads = std::atoi(v);
    else if (k == "--seed")
      seed = std::strtoull(v, nullptr, 10);
    else if (k == "--steps")
      steps = std::atoll(v);
    else if (k == "--eval")
      eval = std::atoll(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  Dataset train = load_dataset("fashion-mnist:train"), test = load_dataset("fashion-mnist:test");
  binarize(train, 0.5);
  binarize(test, 0.5);
  std::printf(
      "{\"model\": \"nade\", \"impl\": \"genmodels\", \"kernels\": \"%s\", \"hidden\": %lld, \"threads\": %d}\n",
      nade::kernels().name, static_cast<long long>(hidden), threads);
  std::fflush(stdout);

  NadeModel m(Json{{"hidden", hidden}});
  FitOptions o;
  o.epochs = steps > 0 ? (steps * 100 + train.n - 1) / train.n : epochs;
  o.batch_size = 100;
  o.seed = seed;
  o.threads = threads;
  const int64_t batches = (train.n + o.batch_size - 1) / o.batch_size;
  std::vector<double> test_lp(static_cast<std::size_t>(test.n));
  double scoring_s = 0, epoch_loss = 0, last_mark = 0;
  const auto fit_start = Clock::now();
  o.progress = [&](int64_t step, int64_t, double loss) {
    epoch_loss += loss;
    if (steps > 0) return step >= steps;
    if (step % batches != 0) return false;
    const double train_s = since(fit_start) - scoring_s;
    const auto t = Clock::now();
    EvalOptions e;
    e.threads = threads;
    m.log_prob(test.view(), e, test_lp.data());
    double nll = 0;
    for (double v : test_lp) nll -= v;
    nll /= static_cast<double>(test.n);
    scoring_s += since(t);
    std::printf(
        "{\"epoch\": %lld, \"train_nll\": %.4f, \"test_nll\": %.4f, \"train_seconds\": %.2f, "
        "\"images_per_s\": %.1f}\n",
        static_cast<long long>(step / batches), epoch_loss / static_cast<double>(batches), nll, train_s - last_mark,
        static_cast<double>(train.n) / (train_s - last_mark));
    std::fflush(stdout);
    last_mark = train_s;
    epoch_loss = 0;
    return false;
  };
  int64_t done = 0;
  try {
    m.fit(train.view(), o);
    done = o.epochs * batches;
  } catch (const Error& e) {
    if (e.status() != Status::cancelled) throw;
    done = steps;
  }
  const double train_s = since(fit_start) - scoring_s;
  const double train_rate = static_cast<double>(done * o.batch_size) / train_s;
  if (!eval) {
    std::printf("{\"final\": true, \"steps\": %lld, \"train_images_per_s\": %.1f}\n", static_cast<long long>(done),
                train_rate);
    return 0;
  }

  EvalOptions e;
  e.threads = threads;
  auto t = Clock::now();
  m.log_prob(test.view(), e, test_lp.data());
  const double lp_rate = static_cast<double>(test.n) / since(t);
  double nll = 0;
  for (double v : test_lp) nll -= v;
  nll /= static_cast<double>(test.n);
  std::vector<float> samples(1000 * static_cast<std::size_t>(train.d));
  SampleOptions s;
  s.threads = threads;
  t = Clock::now();
  m.sample(1000, s, samples.data());
  const double sample_rate = 1000.0 / since(t);
  std::printf(
      "{\"final\": true, \"steps\": %lld, \"train_images_per_s\": %.1f, \"test_nll\": %.4f, "
      "\"log_prob_per_s\": %.1f, \"samples_per_s\": %.1f}\n",
      static_cast<long long>(done), train_rate, nll, lp_rate, sample_rate);
  return 0;
}
