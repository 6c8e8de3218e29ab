#include "nn/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "nn/sync_batch_norm.hpp"
#include "nn/training_state.hpp"

namespace gm::nn {

namespace {

// Streams of the trainer's random numbers, under the fit seed.
constexpr uint64_t kSplitStream = 0xF17'0000'0001ull;
constexpr uint64_t kShuffleStream = 0xF17'0000'1000ull;  // + epoch
constexpr uint64_t kStepStream = 0xF17'1000'0000ull;     // + step
constexpr uint64_t kValidationStream = 0xF17'2000'0000ull;
constexpr float kMaxLearningRate = 10.0f;

}  // namespace

void shuffle_rows(std::vector<int64_t>& order, Rng& rng) {
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<uint64_t>(i + 1))]);
}

void SteppedTrainable::shuffle_epoch(std::vector<int64_t>& order, Rng& rng) { shuffle_rows(order, rng); }

void SteppedTrainable::rank_rows(int64_t count, int rank, int size, std::vector<int64_t>& positions) const {
  const dist::Slice mine = dist::slice_of(count, rank, size);
  positions.resize(static_cast<std::size_t>(mine.size()));
  std::iota(positions.begin(), positions.end(), mine.begin);
}

namespace {

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

// Batch k of the held-out rows draws from stream k. A distributed fit scores the batches
// k = rank, rank + size, ... on each rank and sums the totals over the ranks.
double validation_loss(Trainable& model, const DataView& data, const std::vector<int64_t>& rows, int64_t batch_size,
                       uint64_t seed, Batch& scratch, DataParallel* parallel) {
  double total = 0;
  const int64_t stride = parallel ? parallel->size() : 1;
  const int64_t first = parallel ? parallel->rank() : 0;
  auto score = [&] {
    for (int64_t k = first; k * batch_size < static_cast<int64_t>(rows.size()); k += stride) {
      const int64_t begin = k * batch_size;
      const int64_t count = std::min<int64_t>(batch_size, static_cast<int64_t>(rows.size()) - begin);
      scratch.gather(data, rows.data() + begin, count);
      Rng rng(seed, kValidationStream + static_cast<uint64_t>(k));
      total += model.evaluate(scratch.view, rng);
    }
  };
  if (!parallel) {
    score();
  } else {
    parallel->guard(score);
    parallel->sum(&total, 1);
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

// The loop both kinds of trainee share. step(batch, rng, epoch, total_steps, global_step)
// trains on one batch and returns its summed loss; val (may be null) scores the held-out rows
// after an epoch and keeps or restores parameters; optimisers are what the training state
// saves and resumes; end_epoch (may be empty) adds a trainee's own figures to the report.
struct Validation {
  std::function<double(const std::vector<int64_t>& rows)> score;
  std::function<void(std::vector<float>& into)> keep_best;
  std::function<void(const std::vector<float>& from)> restore_best;
};

using StepFn =
    std::function<double(const DataView& batch, Rng& rng, int64_t epoch, int64_t total_steps, int64_t global_step)>;
using ShuffleFn = std::function<void(std::vector<int64_t>& order, int64_t epoch)>;

struct Loop {
  StepFn step;
  const Validation* val = nullptr;
  ShuffleFn shuffle_epoch;  // replaces the default epoch shuffle (TrainerSettings::shuffle)
  // Or: the shuffle with the default epoch stream (SteppedTrainable::shuffle_epoch).
  std::function<void(std::vector<int64_t>& order, Rng& rng)> shuffle_rows;
  std::vector<Adam*> optimisers;
  std::function<void(EpochReport&)> end_epoch;
  // A trainee's own state between steps (TrainingState::extra): written at every sync, read
  // back when a warm start continues the run.
  std::function<void(std::vector<float>&)> save_extra;
  std::function<void(const std::vector<float>&)> load_extra;
  // A distributed fit: the positions of a batch this rank trains on (empty: dist::slice_of).
  std::function<void(int64_t, int, int, std::vector<int64_t>&)> rank_rows;
  bool shards_ok = true;  // the trainee can train on a sharded fit's striped batches
  // A distributed fit's agreement (null on one process): the loop splits each batch by rank,
  // step sums the gradients with it, and the loop's own work that may fail on one rank
  // (callbacks, checkpoints) runs inside its guard and meets the others at an agree().
  DataParallel* parallel = nullptr;
  // The trainee's parameters: a distributed fit checks at its end that every rank holds the
  // same values (null: not checked).
  const ParameterStore* store = nullptr;
};

// A sharded fit's data fingerprint, the same on any number of ranks: each row's FNV-1a hash
// (with its global index t, its label and conditions) summed over the rows, the sum taken over
// the ranks in two 32-bit halves (exact in int64 below 2^31 rows), then mixed with N and d.
uint64_t sharded_fingerprint(const DataView& data, const StripedOrder& stripes, const dist::Communicator& comm) {
  int64_t halves[2] = {0, 0};
  for (int64_t i = 0; i < data.n; ++i) {
    DataView row = data;
    row.x = data.row(i);
    row.n = 1;
    if (data.labels) row.labels = data.labels + i;
    if (data.conditions) row.conditions = data.conditions + i * data.condition_dim;
    const uint64_t h = data_fingerprint(row) ^ (static_cast<uint64_t>(stripes.global_row(i)) * 0x9E3779B97F4A7C15ull);
    halves[0] += static_cast<int64_t>(h & 0xFFFFFFFFull);
    halves[1] += static_cast<int64_t>(h >> 32);
  }
  comm.sum(halves, 2);
  const uint64_t sum = static_cast<uint64_t>(halves[0]) + (static_cast<uint64_t>(halves[1]) << 32);
  return (sum ^ static_cast<uint64_t>(stripes.rows())) * 0x100000001b3ull ^ (static_cast<uint64_t>(data.d) << 40);
}

// A 64-bit FNV-1a hash of the parameters' bytes.
uint64_t parameter_hash(const ParameterStore& store) {
  uint64_t h = 0xcbf29ce484222325ull;
  const auto* p = reinterpret_cast<const unsigned char*>(store.values());
  const std::size_t n = static_cast<std::size_t>(store.trainable_size()) * sizeof(float);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

void save_optimisers(const std::vector<Adam*>& optimisers, TrainingState& st) {
  st.optimisers.resize(optimisers.size());
  for (std::size_t k = 0; k < optimisers.size(); ++k) {
    const Adam& a = *optimisers[k];
    OptimiserState& o = st.optimisers[k];
    o.steps = a.steps();
    o.m.assign(a.first_moment(), a.first_moment() + a.size());
    o.v.assign(a.second_moment(), a.second_moment() + a.size());
  }
}

void load_optimisers(const std::vector<Adam*>& optimisers, const TrainingState& st, const char* kind) {
  if (st.optimisers.size() != optimisers.size())
    fail(Status::corrupt_file, "{}: the training state holds {} optimisers, this model has {}", kind,
         st.optimisers.size(), optimisers.size());
  for (std::size_t k = 0; k < optimisers.size(); ++k) {
    const OptimiserState& o = st.optimisers[k];
    if (static_cast<int64_t>(o.m.size()) != optimisers[k]->size() || o.v.size() != o.m.size())
      fail(Status::corrupt_file, "{}: the training state's optimiser {} has {} values, this model's {}", kind, k,
           o.m.size(), optimisers[k]->size());
    optimisers[k]->set_state(o.steps, o.m.data(), o.v.data());
  }
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The run's state: the caller's (GenerativeModel keeps it between fits) or a local one.
// Warm start (fit.warm_start with a state from an earlier fit): the counters and the
// optimisers continue; when the data, seed, batch size and validation options are those of
// the state's run, the order and the early-stopping record continue too (a resumption,
// bit-identical to never having stopped).
TrainReport run_loop(const DataView& data, const FitOptions& fit, const char* kind, const Loop& loop) {
  TrainingState local;
  TrainingState& st = fit.state != nullptr ? *fit.state : local;
  const bool continuing = fit.warm_start && !st.empty();
  if (!continuing) st = TrainingState{};
  DataParallel* const dp = loop.parallel;
  // A sharded fit (docs/distributed.md, "Sharded reading"): data holds this rank's rows of the
  // striped order; the data set has the ranks' rows together.
  std::unique_ptr<StripedOrder> stripes;
  int64_t n_all = data.n;
  uint64_t hash = 0;
  if (fit.sharded) {
    if (!dp) fail(Status::invalid_argument, "{}: a sharded fit (each rank its own rows) needs a distributed fit", kind);
    if (fit.validation_fraction > 0)
      fail(Status::invalid_argument,
           "{}: a sharded distributed fit has no validation split yet (docs/distributed.md): set validation_fraction "
           "to 0 or give every rank the whole data",
           kind);
    if (!loop.shards_ok)
      fail(Status::unsupported,
           "{} does not read shards yet (docs/distributed.md): give every rank the whole data (no --shard)", kind);
    int64_t total[2] = {data.n, 0};
    dp->communicator().sum(total, 2);
    n_all = total[0];
    if (n_all < 1) fail(Status::invalid_argument, "{}: the ranks of a sharded fit hold no rows", kind);
    const int64_t B = std::min(fit.batch_size, n_all);
    std::vector<int64_t> slots;
    if (loop.rank_rows) {
      loop.rank_rows(B, dp->rank(), dp->size(), slots);
    } else {
      const dist::Slice mine = dist::slice_of(B, dp->rank(), dp->size());
      for (int64_t s = mine.begin; s < mine.end; ++s) slots.push_back(s);
    }
    stripes = std::make_unique<StripedOrder>(n_all, B, slots);
    const bool right = stripes->local_rows() == data.n;
    if (!dp->communicator().same_everywhere(right ? 1 : 0) || !right)
      fail(Status::invalid_argument,
           "{}: rank {} of {} holds {} rows; its stripes of {} rows in batches of {} hold {} (docs/distributed.md, "
           "\"Sharded reading\": rank r keeps the rows t with t mod B in its slots)",
           kind, dp->rank(), dp->size(), data.n, n_all, B, stripes->local_rows());
    hash = sharded_fingerprint(data, *stripes, dp->communicator());
  } else {
    hash = fit.state != nullptr || dp ? data_fingerprint(data) : 0;
  }
  if (dp && !dp->communicator().same_everywhere(
                hash ^ (loop.store ? static_cast<uint64_t>(loop.store->trainable_size()) << 1 : 0)))
    fail(Status::invalid_argument,
         "{}: the ranks of a distributed fit must each pass the same data and configuration; rank {} has other rows "
         "or another model size than some rank (docs/distributed.md)",
         kind, dp->rank());
  const bool resuming =
      continuing &&
      (fit.sharded
           ? !st.empty() && st.seed == fit.seed && st.batch_size == fit.batch_size &&
                 st.learning_rate == fit.learning_rate && st.validation_fraction == fit.validation_fraction &&
                 st.patience == fit.patience && st.rows == n_all && st.order.empty()
           : st.same_run(data, fit.seed, fit.batch_size, fit.learning_rate, fit.validation_fraction, fit.patience)) &&
      st.data_hash == hash;

  // Seeded split: the first n_val rows of a shuffled order are held out.
  std::vector<int64_t> order(static_cast<std::size_t>(stripes ? 0 : data.n));  // a sharded fit: stripes instead
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> validation;
  if (fit.validation_fraction > 0) {
    if (!loop.val)
      fail(Status::invalid_argument,
           "{} has no held-out loss to validate on: set validation_fraction to 0 (and patience to 0)", kind);
    Rng split(fit.seed, kSplitStream);
    shuffle_rows(order, split);
    const auto n_val = static_cast<int64_t>(std::floor(fit.validation_fraction * static_cast<double>(data.n)));
    if (n_val < 1 || n_val >= data.n)
      fail(Status::invalid_argument, "validation_fraction {} of {} rows leaves no validation or no training rows",
           fit.validation_fraction, data.n);
    validation.assign(order.begin(), order.begin() + n_val);
    order.erase(order.begin(), order.begin() + n_val);
    std::sort(order.begin(), order.end());  // the training order then depends only on the epoch shuffle
  }
  const int64_t n_train = stripes ? n_all : static_cast<int64_t>(order.size());
  const int64_t batch_size = std::min(fit.batch_size, n_train);
  const int64_t batches = (n_train + batch_size - 1) / batch_size;
  int64_t total_steps = 0;
  if (__builtin_mul_overflow(batches, fit.epochs, &total_steps) || total_steps > limits::kMaxSteps ||
      st.steps_done > limits::kMaxSteps - total_steps)
    fail(Status::invalid_argument, "{} epochs x {} batches per epoch is more than {} optimiser steps: fit fewer epochs",
         fit.epochs, batches, limits::kMaxSteps);

  if (dp && fit.sync_batch_norm) {
    const int64_t last = n_train % batch_size;
    // Striped: rank r's rows of the last batch are its slots below `last`, so the last rank's
    // first slot must be below it.
    const int64_t needed = stripes ? dist::slice_of(batch_size, dp->size() - 1, dp->size()).begin + 1 : dp->size();
    if (batch_size < dp->size() || (last != 0 && last < needed))
      fail(Status::invalid_argument,
           "{}: a synchronised batch norm needs a row of every batch on each of the {} ranks: batch size {} and a last "
           "batch of {} rows (of {}) leave a rank without rows; change the batch size",
           kind, dp->size(), batch_size, last, n_train);
  }
  if (resuming && !stripes) {
    if (static_cast<int64_t>(st.order.size()) != n_train)
      fail(Status::corrupt_file, "{}: the training state's order has {} rows, this run trains on {}", kind,
           st.order.size(), n_train);
    order = st.order;
  } else {
    st.best_loss = INFINITY;
    st.best_epoch = 0;
    st.epochs_without_improvement = 0;
    st.best.clear();
  }
  if (continuing) {
    load_optimisers(loop.optimisers, st, kind);
    if (loop.load_extra) loop.load_extra(st.extra);
  }
  st.seed = fit.seed;
  st.batch_size = fit.batch_size;
  st.learning_rate = fit.learning_rate;
  st.validation_fraction = fit.validation_fraction;
  st.patience = fit.patience;
  st.rows = n_all;
  st.data_hash = hash;
  const int64_t first_epoch = st.epochs_done + 1, last_epoch = st.epochs_done + fit.epochs;
  st.epochs_planned = last_epoch;

  TrainReport report;
  Batch batch;
  std::vector<int64_t> positions, rows;  // a distributed fit's block of a batch
  const auto start = std::chrono::steady_clock::now();
  // Work that may fail on one rank only: kept for the next collective in a distributed fit.
  auto guarded = [dp](auto&& f) {
    if (dp)
      dp->guard(f);
    else
      f();
  };
  auto sync = [&] {  // the parts of the state that live elsewhere during the loop
    st.order = order;
    save_optimisers(loop.optimisers, st);
    if (loop.save_extra) loop.save_extra(st.extra);
  };

  for (int64_t epoch = first_epoch; epoch <= last_epoch; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    if (stripes) {
      stripes->shuffle(fit.seed, epoch);
    } else if (loop.shuffle_epoch) {
      loop.shuffle_epoch(order, epoch);
    } else {
      Rng shuffle_rng(fit.seed, kShuffleStream + static_cast<uint64_t>(epoch));
      if (loop.shuffle_rows)
        loop.shuffle_rows(order, shuffle_rng);
      else
        shuffle_rows(order, shuffle_rng);
    }
    double epoch_loss = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t begin = b * batch_size;
      const int64_t count = std::min(batch_size, n_train - begin);
      if (stripes) {  // this rank's slots of the batch, from its own rows
        stripes->batch(b, rows, positions);
        dp->begin_step(static_cast<int64_t>(rows.size()), count);
        batch.gather(data, rows.data(), static_cast<int64_t>(rows.size()));
        batch.view.first_row = positions.empty() ? 0 : positions[0];
      } else if (dp && loop.rank_rows) {  // the trainee's own deal of the batch's positions
        loop.rank_rows(count, dp->rank(), dp->size(), positions);
        rows.resize(positions.size());
        for (std::size_t i = 0; i < positions.size(); ++i)
          rows[i] = order[static_cast<std::size_t>(begin + positions[i])];
        dp->begin_step(static_cast<int64_t>(rows.size()), count);
        batch.gather(data, rows.data(), static_cast<int64_t>(rows.size()));
        batch.view.first_row = positions.empty() ? 0 : positions[0];
      } else if (dp) {  // this rank's block of the batch
        const dist::Slice mine = dist::slice_of(count, dp->rank(), dp->size());
        dp->begin_step(mine.size(), count);
        batch.gather(data, order.data() + begin + mine.begin, mine.size());
        batch.view.first_row = mine.begin;
      } else {
        batch.gather(data, order.data() + begin, count);
      }
      Rng step_rng(fit.seed, kStepStream + static_cast<uint64_t>(st.steps_done));
      double loss = 0;
      {
        const SyncBatchNormScope synced(fit.sync_batch_norm ? dp : nullptr);
        loss = loop.step(batch.view, step_rng, epoch, total_steps, st.steps_done + 1);
      }
      ++st.steps_done;
      ++report.steps;
      epoch_loss += loss;
      guarded([&] {
        if (fit.progress && fit.progress(report.steps, total_steps, loss / static_cast<double>(count)))
          fail(Status::cancelled, "fit was cancelled by the progress callback after {} of {} steps", report.steps,
               total_steps);
      });
    }
    EpochRecord rec;
    rec.epoch = epoch;
    rec.train_loss = epoch_loss / static_cast<double>(n_train);
    if (!validation.empty()) {
      rec.validation_loss = loop.val->score(validation);
      if (rec.validation_loss < st.best_loss) {
        st.best_loss = rec.validation_loss;
        st.best_epoch = epoch;
        loop.val->keep_best(st.best);
        st.epochs_without_improvement = 0;
      } else {
        ++st.epochs_without_improvement;
      }
    }
    st.epochs_done = epoch;
    const auto now = std::chrono::steady_clock::now();
    rec.seconds = seconds_between(epoch_start, now);
    report.epochs.push_back(rec);

    EpochReport r;
    r.epoch = epoch;
    r.last_epoch = last_epoch;
    r.train_loss = rec.train_loss;
    r.validation_loss = validation.empty() ? NAN : rec.validation_loss;
    r.best_epoch = validation.empty() ? epoch : st.best_epoch;
    r.epoch_seconds = rec.seconds;
    r.elapsed_seconds = seconds_between(start, now);
    r.images_per_second = rec.seconds > 0 ? static_cast<double>(n_train) / rec.seconds : 0;
    r.eta_seconds =
        r.elapsed_seconds / static_cast<double>(epoch - first_epoch + 1) * static_cast<double>(last_epoch - epoch);
    r.stopping = fit.patience > 0 && st.epochs_without_improvement >= fit.patience;
    if (loop.end_epoch) loop.end_epoch(r);
    report.stopped_early = r.stopping;
    const bool last = epoch == last_epoch || r.stopping;
    if (r.stopping) st.epochs_planned = epoch;  // the run has reached its end
    guarded([&] {
      if (fit.on_epoch) fit.on_epoch(epoch);
      // The checkpoint of the last epoch is written after the loop, holding the final model.
      if (fit.write_checkpoint && fit.checkpoint_every > 0 && epoch % fit.checkpoint_every == 0 && !last) {
        sync();
        fit.write_checkpoint(epoch);
      }
      if (fit.epoch_report && fit.epoch_report(r))
        fail(Status::cancelled, "fit was cancelled by the epoch callback after epoch {}", epoch);
    });
    if (dp) dp->agree();
    if (r.stopping) break;
  }
  sync();
  if (fit.patience > 0 && !st.best.empty()) loop.val->restore_best(st.best);
  guarded([&] {
    if (fit.write_checkpoint && fit.checkpoint_every > 0) fit.write_checkpoint(st.epochs_done);
  });
  if (dp) {
    dp->agree();
    if (loop.store && !dp->communicator().same_everywhere(parameter_hash(*loop.store)))
      fail(Status::internal,
           "{}: after the distributed fit the ranks hold different parameters (the MPI sums differed between ranks)",
           kind);
  }
  const double seconds = seconds_between(start, std::chrono::steady_clock::now());
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

  store.zero_grad();  // from here on, each step_if_finite_and_zero_grad leaves them zero
  int64_t steps = 0;  // of this call: the learning-rate schedule's clock
  Loop loop;
  loop.optimisers = {&optimiser};
  std::unique_ptr<DataParallel> parallel;
  if (fit.comm) parallel = std::make_unique<DataParallel>(*fit.comm);
  loop.parallel = parallel.get();
  loop.store = &store;
  loop.step = [&](const DataView& batch, Rng& rng, int64_t epoch, int64_t total_steps, int64_t global_step) {
    if (settings.lr_schedule) optimiser.set_lr(settings.lr_schedule(steps, total_steps));
    double loss = 0;
    if (!parallel) {
      loss = model.train_step(batch, rng);
    } else {  // the gradient of this rank's rows, then the sum over the ranks
      parallel->guard([&] {
        if (batch.n > 0) loss = model.train_step(batch, rng);
      });
      parallel->reduce(store.span(), loss);
    }
    ++steps;
    if (!std::isfinite(loss) || !optimiser.step_if_finite_and_zero_grad())
      fail(Status::diverged, "{} diverged at epoch {} step {} (loss {}): lower the learning rate", settings.kind, epoch,
           global_step, loss / static_cast<double>(batch.n));
    return loss;
  };
  Batch val_batch;
  const int64_t val_batch_size = std::max<int64_t>(fit.batch_size, 256);
  Validation val;
  val.score = [&](const std::vector<int64_t>& rows) {
    return validation_loss(model, data, rows, val_batch_size, fit.seed, val_batch, parallel.get());
  };
  val.keep_best = [&](std::vector<float>& into) {
    into.assign(store.values(), store.values() + store.trainable_size());
  };
  val.restore_best = [&](const std::vector<float>& from) {
    if (static_cast<int64_t>(from.size()) != store.trainable_size())
      fail(Status::corrupt_file, "{}: the best parameters in the training state have {} values, the model {}",
           settings.kind, from.size(), store.trainable_size());
    std::memcpy(store.values(), from.data(), from.size() * sizeof(float));
  };
  loop.val = &val;
  loop.shuffle_epoch = settings.shuffle;
  return run_loop(data, fit, settings.kind, loop);
}

TrainReport train(SteppedTrainable& model, const DataView& data, const FitOptions& fit, const char* kind) {
  if (fit.learning_rate > 0) check_learning_rate(static_cast<float>(fit.learning_rate));
  Loop loop;
  loop.optimisers = model.optimisers();
  loop.step = [&](const DataView& batch, Rng& rng, int64_t, int64_t, int64_t global_step) {
    return model.train_batch(batch, rng, global_step);
  };
  loop.end_epoch = [&](EpochReport& r) { model.end_epoch(r); };
  loop.shuffle_rows = [&](std::vector<int64_t>& order, Rng& rng) { model.shuffle_epoch(order, rng); };
  loop.save_extra = [&](std::vector<float>& into) { model.save_extra_state(into); };
  loop.load_extra = [&](const std::vector<float>& from) { model.load_extra_state(from); };
  loop.rank_rows = [&](int64_t count, int rank, int size, std::vector<int64_t>& positions) {
    model.rank_rows(count, rank, size, positions);
  };
  loop.shards_ok = model.reads_shards();
  if (fit.comm && !model.trains_in_parallel())
    fail(Status::unsupported, "{} does not train distributed yet (docs/distributed.md lists the kinds that do)", kind);
  std::unique_ptr<DataParallel> parallel;
  if (fit.comm) parallel = std::make_unique<DataParallel>(*fit.comm);
  loop.parallel = parallel.get();
  struct Attach {  // model.parallel for the length of the loop, however it ends
    SteppedTrainable& m;
    ~Attach() { m.parallel = nullptr; }
  } attach{model};
  model.parallel = parallel.get();
  return run_loop(data, fit, kind, loop);
}

}  // namespace gm::nn

namespace gm::nn {

namespace {
constexpr uint64_t kStripeStream = 0xF17'2000'0000ull;  // + epoch: the key of the epoch's stripe streams
}

StripedOrder::StripedOrder(int64_t n, int64_t batch, std::vector<int64_t> slots)
    : n_(n), batch_(batch), slots_(std::move(slots)) {
  if (n < 1 || batch < 1 || batch > n)
    fail(Status::invalid_argument, "striped order: {} rows in batches of {}", n, batch);
  slot_of_.assign(static_cast<std::size_t>(batch), -1);
  for (std::size_t j = 0; j < slots_.size(); ++j) {
    const int64_t s = slots_[j];
    if (s < 0 || s >= batch || (j > 0 && s <= slots_[j - 1]))
      fail(Status::invalid_argument, "striped order: slot {} of a batch of {} (ascending, distinct)", s, batch);
    slot_of_[static_cast<std::size_t>(s)] = static_cast<int32_t>(j);
  }
  perm_.resize(slots_.size());
  for (std::size_t j = 0; j < slots_.size(); ++j) {
    perm_[j].resize(static_cast<std::size_t>(stripe_rows(slots_[j])));
    std::iota(perm_[j].begin(), perm_[j].end(), 0);
  }
}

bool StripedOrder::owns(int64_t t) const {
  return t >= 0 && t < n_ && slot_of_[static_cast<std::size_t>(t % batch_)] >= 0;
}

int64_t StripedOrder::local_rows() const {
  int64_t total = 0;
  for (const int64_t s : slots_) total += stripe_rows(s);
  return total;
}

void StripedOrder::shuffle(uint64_t seed, int64_t epoch) {
  const uint64_t key = Rng(seed, kStripeStream + static_cast<uint64_t>(epoch)).next_u64();
  for (std::size_t j = 0; j < slots_.size(); ++j) {
    Rng rng(key, static_cast<uint64_t>(slots_[j]));
    std::iota(perm_[j].begin(), perm_[j].end(), 0);
    shuffle_rows(perm_[j], rng);
  }
}

void StripedOrder::batch(int64_t b, std::vector<int64_t>& local, std::vector<int64_t>& positions) const {
  local.clear();
  positions.clear();
  const int64_t rows = batch_rows(b);
  const auto w = static_cast<int64_t>(slots_.size());
  for (std::size_t j = 0; j < slots_.size() && slots_[j] < rows; ++j) {
    local.push_back(perm_[j][static_cast<std::size_t>(b)] * w + static_cast<int64_t>(j));
    positions.push_back(slots_[j]);
  }
}

}  // namespace gm::nn
