#include "nn/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"

namespace gm::nn {

namespace {

// Streams of the trainer's random numbers, under the fit seed.
constexpr uint64_t kSplitStream = 0xF17'0000'0001ull;
constexpr uint64_t kShuffleStream = 0xF17'0000'1000ull;  // + epoch
constexpr uint64_t kStepStream = 0xF17'1000'0000ull;     // + step
constexpr uint64_t kValidationStream = 0xF17'2000'0000ull;
constexpr float kMaxLearningRate = 10.0f;

void shuffle(std::vector<int64_t>& order, Rng& rng) {
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<uint64_t>(i + 1))]);
}

// Copies rows order[begin, end) into a contiguous batch (labels and conditions too).
struct Batch {
  std::vector<float> x, conditions;
  std::vector<int32_t> labels;
  DataView view;

  void gather(const DataView& data, const int64_t* rows, int64_t count) {
    const auto d = static_cast<std::size_t>(data.d);
    x.resize(static_cast<std::size_t>(count) * d);
    for (int64_t r = 0; r < count; ++r) std::memcpy(&x[r * d], data.row(rows[r]), d * sizeof(float));
    view = data;
    view.x = x.data();
    view.n = count;
    if (data.labels) {
      labels.resize(static_cast<std::size_t>(count));
      for (int64_t r = 0; r < count; ++r) labels[r] = data.labels[rows[r]];
      view.labels = labels.data();
    }
    if (data.conditions) {
      const auto c = static_cast<std::size_t>(data.condition_dim);
      conditions.resize(static_cast<std::size_t>(count) * c);
      for (int64_t r = 0; r < count; ++r)
        std::memcpy(&conditions[r * c], data.conditions + rows[r] * c, c * sizeof(float));
      view.conditions = conditions.data();
    }
  }
};

bool all_finite(const float* g, int64_t n, int threads) {
  int64_t bad = 0;
  // Models below ~1M parameters scan on the calling thread (~0.1 ms): waking a passive thread
  // team costs 20–50 µs (SerialScope), and on a busy machine a barrier can wait a whole
  // scheduler slice.
#pragma omp parallel for simd num_threads(threads) reduction(+ : bad) if (n >= (int64_t{1} << 20))
  for (int64_t i = 0; i < n; ++i) bad += !std::isfinite(g[i]);
  return bad == 0;
}

double validation_loss(Trainable& model, const DataView& data, const std::vector<int64_t>& rows, int64_t batch_size,
                       uint64_t seed, Batch& scratch) {
  double total = 0;
  for (int64_t begin = 0, k = 0; begin < static_cast<int64_t>(rows.size()); begin += batch_size, ++k) {
    const int64_t count = std::min<int64_t>(batch_size, static_cast<int64_t>(rows.size()) - begin);
    scratch.gather(data, rows.data() + begin, count);
    Rng rng(seed, kValidationStream + static_cast<uint64_t>(k));
    total += model.evaluate(scratch.view, rng);
  }
  return total / static_cast<double>(rows.size());
}

void check_learning_rate(float lr) {
  // An Adam step moves a parameter by at most about lr / (1 − β1) in the first steps, so a
  // bounded rate keeps a single update finite: divergence then shows as a non-finite loss
  // or gradient, which is caught before the update.
  if (!(lr > 0.0f && lr <= kMaxLearningRate))
    fail(Status::invalid_argument, "learning rate must be in (0, {}], got {}", kMaxLearningRate, lr);
}

// The loop both kinds of trainee share. step(batch, rng, epoch) trains on one batch and
// returns its summed loss; validate (may be empty) scores the held-out rows after an epoch
// and may keep or restore parameters.
struct Validation {
  std::function<double(const std::vector<int64_t>& rows)> score;
  std::function<void()> keep_best, restore_best;
};

// shuffle_epoch (may be empty) replaces the default epoch shuffle (TrainerSettings::shuffle).
using StepFn = std::function<double(const DataView& batch, Rng& rng, int64_t epoch, int64_t total_steps)>;
using ShuffleFn = std::function<void(std::vector<int64_t>& order, int64_t epoch)>;
TrainReport run_loop(const DataView& data, const FitOptions& fit, const char* kind, const StepFn& step,
                     const Validation* val, const ShuffleFn& shuffle_epoch) {
  // Seeded split: the first n_val rows of a shuffled order are held out.
  std::vector<int64_t> order(static_cast<std::size_t>(data.n));
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> validation;
  if (fit.validation_fraction > 0) {
    if (!val)
      fail(Status::invalid_argument,
           "{} has no held-out loss to validate on: set validation_fraction to 0 (and patience to 0)", kind);
    Rng split(fit.seed, kSplitStream);
    shuffle(order, split);
    const auto n_val = static_cast<int64_t>(std::floor(fit.validation_fraction * static_cast<double>(data.n)));
    if (n_val < 1 || n_val >= data.n)
      fail(Status::invalid_argument, "validation_fraction {} of {} rows leaves no validation or no training rows",
           fit.validation_fraction, data.n);
    validation.assign(order.begin(), order.begin() + n_val);
    order.erase(order.begin(), order.begin() + n_val);
    std::sort(order.begin(), order.end());  // the training order then depends only on the epoch shuffle
  }
  const auto n_train = static_cast<int64_t>(order.size());
  const int64_t batch_size = std::min(fit.batch_size, n_train);
  const int64_t batches = (n_train + batch_size - 1) / batch_size;
  int64_t total_steps = 0;
  if (__builtin_mul_overflow(batches, fit.epochs, &total_steps) || total_steps > limits::kMaxSteps)
    fail(Status::invalid_argument, "{} epochs x {} batches per epoch is more than {} optimiser steps: fit fewer epochs",
         fit.epochs, batches, limits::kMaxSteps);

  TrainReport report;
  Batch batch;
  double best_loss = INFINITY;
  bool have_best = false;
  int64_t epochs_without_improvement = 0;
  const auto start = std::chrono::steady_clock::now();

  for (int64_t epoch = 1; epoch <= fit.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    if (shuffle_epoch) {
      shuffle_epoch(order, epoch);
    } else {
      Rng shuffle_rng(fit.seed, kShuffleStream + static_cast<uint64_t>(epoch));
      shuffle(order, shuffle_rng);
    }
    double epoch_loss = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t begin = b * batch_size;
      const int64_t count = std::min(batch_size, n_train - begin);
      batch.gather(data, order.data() + begin, count);
      Rng step_rng(fit.seed, kStepStream + static_cast<uint64_t>(report.steps));
      const double loss = step(batch.view, step_rng, epoch, total_steps);
      ++report.steps;
      epoch_loss += loss;
      if (fit.progress && fit.progress(report.steps, total_steps, loss / static_cast<double>(count)))
        fail(Status::cancelled, "fit was cancelled by the progress callback after {} of {} steps", report.steps,
             total_steps);
    }
    EpochRecord rec;
    rec.epoch = epoch;
    rec.train_loss = epoch_loss / static_cast<double>(n_train);
    if (!validation.empty()) {
      rec.validation_loss = val->score(validation);
      if (rec.validation_loss < best_loss) {
        best_loss = rec.validation_loss;
        val->keep_best();
        have_best = true;
        epochs_without_improvement = 0;
      } else {
        ++epochs_without_improvement;
      }
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    report.epochs.push_back(rec);
    if (fit.on_epoch) fit.on_epoch(epoch);
    if (fit.patience > 0 && epochs_without_improvement >= fit.patience) {
      report.stopped_early = true;
      break;
    }
  }
  if (have_best && fit.patience > 0) val->restore_best();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.images_per_second =
      seconds > 0 ? static_cast<double>(report.steps) * static_cast<double>(batch_size) / seconds : 0;
  return report;
}

}  // namespace

void require_finite_step(double loss, const ParamSpan& grads, int threads, const char* kind, const char* what,
                         int64_t step) {
  if (!std::isfinite(loss) || !all_finite(grads.grad, grads.count, threads))
    fail(Status::diverged, "{} diverged at step {} ({} loss {}): lower the learning rate", kind, step, what, loss);
}

TrainReport train(Trainable& model, const DataView& data, const TrainerSettings& settings) {
  const FitOptions& fit = settings.fit;
  ParameterStore& store = model.parameter_store();

  AdamOptions adam = settings.adam;
  if (fit.learning_rate > 0) adam.lr = static_cast<float>(fit.learning_rate);
  check_learning_rate(adam.lr);
  Adam optimiser(store.span(), adam);

  int64_t steps = 0;
  store.zero_grad();  // from here on, each step_if_finite_and_zero_grad leaves them zero
  auto step = [&](const DataView& batch, Rng& rng, int64_t epoch, int64_t total_steps) {
    if (settings.lr_schedule) optimiser.set_lr(settings.lr_schedule(steps, total_steps));
    const double loss = model.train_step(batch, rng);
    ++steps;
    if (!std::isfinite(loss) || !optimiser.step_if_finite_and_zero_grad())
      fail(Status::diverged, "{} diverged at epoch {} step {} (loss {}): lower the learning rate", settings.kind, epoch,
           steps, loss / static_cast<double>(batch.n));
    return loss;
  };
  Batch val_batch;
  std::vector<float> best;  // parameters of the best validation epoch
  const int64_t val_batch_size = std::max<int64_t>(fit.batch_size, 256);
  Validation val;
  val.score = [&](const std::vector<int64_t>& rows) {
    return validation_loss(model, data, rows, val_batch_size, fit.seed, val_batch);
  };
  val.keep_best = [&] { best.assign(store.values(), store.values() + store.trainable_size()); };
  val.restore_best = [&] { std::memcpy(store.values(), best.data(), best.size() * sizeof(float)); };
  return run_loop(data, fit, settings.kind, step, &val, settings.shuffle);
}

TrainReport train(SteppedTrainable& model, const DataView& data, const FitOptions& fit, const char* kind) {
  if (fit.learning_rate > 0) check_learning_rate(static_cast<float>(fit.learning_rate));
  int64_t steps = 0;
  auto step = [&](const DataView& batch, Rng& rng, int64_t, int64_t) { return model.train_batch(batch, rng, ++steps); };
  return run_loop(data, fit, kind, step, nullptr, nullptr);
}

}  // namespace gm::nn
