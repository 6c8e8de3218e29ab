// The one training loop shared by every gradient-trained family: seeded shuffling,
// mini-batches, epochs, an optional validation split with early stopping, the progress
// callback (cancel honoured within one batch) and divergence detection.
//
// Guarantees:
//  - The same seed and thread count give bit-identical parameters.
//  - A non-finite loss or gradient stops fit with Status::diverged *before* the optimiser
//    touches the parameters, so the model keeps its last good parameters.
//  - Cancel (the callback returns true) stops after the current step with
//    Status::cancelled; the parameters are those of the last completed step.
//  - With a validation split and patience > 0, the parameters of the best validation
//    epoch are restored at the end.
// Those are the loop's guarantees about the Trainable it steps. What a caller of
// GenerativeModel::fit sees on top (lib/models): every failure leaves the model as it was before fit, and
// a cancel keeps the last completed step (generative_model.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/data_view.hpp"
#include "core/distributed.hpp"
#include "core/rng.hpp"
#include "nn/data_parallel.hpp"
#include "nn/optim.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

// Returns true to cancel. step runs from 1 to total.
using ProgressFn = std::function<bool(int64_t step, int64_t total, double loss)>;

// After each completed epoch (gm_epoch_report in genmodels.h has the meaning of each field).
struct EpochReport {
  int64_t epoch = 0;       // from 1, continuing across warm-started fits
  int64_t last_epoch = 0;  // where this fit ends unless it stops early
  double train_loss = 0;
  double validation_loss = NAN;  // NaN without a validation split
  int64_t best_epoch = 0;
  double discriminator_loss = NAN, generator_loss = NAN;  // GAN family
  double images_per_second = 0;
  double epoch_seconds = 0, elapsed_seconds = 0, eta_seconds = 0;
  bool stopping = false;  // early stopping ends the fit after this epoch
};
// Returns true to cancel.
using EpochFn = std::function<bool(const EpochReport&)>;

struct TrainingState;  // nn/training_state.hpp

// What the loop runs (GenerativeModel::fit takes these as gm::FitOptions).
struct FitOptions {
  int64_t epochs = 10;
  int64_t batch_size = 100;
  double learning_rate = 0.0;  // 0 = the family's default
  uint64_t seed = 0;
  int threads = 0;  // 0 = all cores
  ProgressFn progress;
  double validation_fraction = 0.0;  // held-out rows scored after each epoch
  int64_t patience = 0;              // epochs without improvement before stopping; 0 = never
  // C++ only (not in the C ABI): called after each completed epoch, parameters consistent;
  // the command line writes its per-epoch sample grids from here.
  std::function<void(int64_t epoch)> on_epoch;
  EpochFn epoch_report;     // may be empty
  bool warm_start = false;  // continue from the model's state (genmodels.h, gm_fit_options)
  int64_t checkpoint_every = 0;
  std::string checkpoint_path;
  // A distributed fit (docs/distributed.md): every rank of comm calls fit with the same data
  // and options; each computes its block of every batch and the gradients are summed over
  // the ranks. Null: this process alone.
  std::shared_ptr<dist::Communicator> comm;
  // With comm: batch-norm layers take their statistics over the whole global batch (every
  // rank's block; nn/sync_batch_norm.hpp) instead of the rank's own block. Needs every
  // batch to give each rank at least one row.
  bool sync_batch_norm = false;
  // With comm: the data holds only this rank's rows of the data set (docs/distributed.md,
  // "Sharded reading"): rank r of P keeps the rows t (numbered over the whole set) with
  // t mod B in dist::slice_of(B, r, P), B = min(batch_size, N), in ascending t, and the
  // batches follow the striped order (StripedOrder), the same on any number of ranks (but not
  // the order of a fit without comm). No validation split; cyclegan, progan, categorical and
  // markov refuse it.
  bool sharded = false;

  // Set by GenerativeModel::fit, not by callers: the model's training state, which the loop
  // resumes when warm_start is set and keeps current (nn/training_state.hpp), and the writer
  // the loop calls at the end of an epoch when a checkpoint is due, after syncing the state.
  TrainingState* state = nullptr;
  std::function<void(int64_t epoch)> write_checkpoint;
};

// What a family gives the loop.
class Trainable {
 public:
  virtual ~Trainable() = default;
  virtual ParameterStore& parameter_store() = 0;
  // Forward and backward on one batch: returns the SUM over rows of the per-example loss
  // (nats) and ADDS d(mean loss)/d(parameters) into parameter_store().grads() (the loop
  // zeroes them before the call). rng is this step's stream.
  virtual double train_step(const DataView& batch, Rng& rng) = 0;
  // The summed loss of rows without gradients (validation); rng for stochastic losses.
  virtual double evaluate(const DataView& batch, Rng& rng) = 0;
};

struct TrainerSettings {
  FitOptions fit;              // epochs, batch size, seed, threads, progress, validation
  AdamOptions adam;            // adam.lr is used when fit.learning_rate is 0
  const char* kind = "model";  // for messages
  // Optional: the learning rate of step s (0-based) of total, set before the step; empty
  // keeps it constant. (The feature classifier's cosine decay.)
  std::function<float(int64_t step, int64_t total)> lr_schedule;
  // Optional: replaces the epoch shuffle. order holds the training rows as the previous
  // epoch left them (sorted before the first); epoch runs from 1. The default shuffles that
  // order in place with the stream (fit.seed, 0xF17'0000'1000 + epoch).
  std::function<void(std::vector<int64_t>& order, int64_t epoch)> shuffle;
};

struct EpochRecord {
  int64_t epoch = 0;
  double train_loss = 0;       // mean per-example loss over the epoch's batches
  double validation_loss = 0;  // mean per-example validation loss (0 without a split)
  double seconds = 0;
};

struct TrainReport {
  std::vector<EpochRecord> epochs;
  int64_t steps = 0;
  bool stopped_early = false;
  double images_per_second = 0;
};

TrainReport train(Trainable& model, const DataView& data, const TrainerSettings& settings);

// A family that makes its own parameter updates on each batch: a GAN steps its
// discriminator and its generator with two optimisers. The loop gives it everything else
// (shuffling, batches, epochs, progress and cancel, on_epoch); validation splits are refused,
// as such a family has no held-out loss to stop on.
class SteppedTrainable {
 public:
  virtual ~SteppedTrainable() = default;
  // One training iteration: returns the summed per-example loss to report, and throws
  // Status::diverged (require_finite_step) before an update that would go non-finite.
  // step counts from 1 over every fit of the model (warm starts continue it).
  virtual double train_batch(const DataView& batch, Rng& rng, int64_t step) = 0;
  // The optimisers train_batch steps, created before the loop starts: a checkpoint saves
  // their moments and a warm start restores them.
  virtual std::vector<Adam*> optimisers() = 0;
  // After each epoch: adds the trainee's own figures to the report (a GAN's two losses).
  virtual void end_epoch(EpochReport&) {}
  // State the trainee keeps between steps besides its parameters and optimisers (CycleGAN's
  // history buffers), as floats: saved into the training state whenever the loop syncs it
  // (checkpoints, the end of fit) and given back when a warm start continues the run, so a
  // resumed fit equals an uninterrupted one. load_extra_state throws corrupt_file on a
  // vector it cannot use. The defaults keep nothing.
  virtual void save_extra_state(std::vector<float>& into) { into.clear(); }
  // The epoch's order of the training rows, from the order the previous epoch left and the
  // epoch's own random stream. The default is the loop's uniform shuffle (shuffle_rows);
  // cyclegan interleaves its two domains so every batch holds half of each.
  virtual void shuffle_epoch(std::vector<int64_t>& order, Rng& rng);
  virtual void load_extra_state(const std::vector<float>&) {}

  // Set by the loop for the length of a distributed fit, else null. train_batch then gets its
  // rank's block of each batch (batch.first_row) and, before each optimiser step, sums that
  // optimiser's gradients over the ranks with reduce_step (parallel->reduce), running the
  // work before it inside parallel->guard so that a failure reaches every rank.
  DataParallel* parallel = nullptr;
  // True for a trainee whose train_batch does the above (the GAN family, cyclegan, stargan,
  // progan, puzzlegan); a distributed fit of any other is refused (unsupported).
  virtual bool trains_in_parallel() const { return false; }
  // The positions in a global batch of `count` rows that rank `rank` of `size` trains on, in
  // the order its block holds them. The default is dist::slice_of's contiguous block (then
  // batch.first_row + r is row r's position); progan deals whole minibatch-stddev groups.
  virtual void rank_rows(int64_t count, int rank, int size, std::vector<int64_t>& positions) const;
  // False for a trainee whose batches need more than the striped order of a sharded fit gives
  // (cyclegan's interleaved domains, progan's groups in a partial batch): refused.
  virtual bool reads_shards() const { return true; }
};

// The gradient sum of a SteppedTrainable's optimiser step: parallel->reduce, or nothing in
// a fit on one process. compute runs inside parallel->guard (directly on one process) and
// returns the summed loss of this rank's rows, which comes back summed over the ranks.
//
// scaled: compute already gives this rank's share of the gradient of the global batch's loss
// (it divided by global counts, as cyclegan's per-domain means do), so the sum is not
// rescaled by local / global rows.
template <class F>
double reduce_step(DataParallel* parallel, const ParamSpan& grads, F&& compute, bool scaled = false) {
  if (!parallel) return compute();
  double loss = 0;
  parallel->guard([&] {
    if (parallel->local_rows() > 0) loss = compute();
  });
  parallel->reduce(grads, loss, scaled ? 1.0f : -1.0f);
  return loss;
}

TrainReport train(SteppedTrainable& model, const DataView& data, const FitOptions& fit, const char* kind);

// The loop's uniform shuffle (Fisher–Yates with rng).
void shuffle_rows(std::vector<int64_t>& order, Rng& rng);

// Throws Status::diverged unless loss and every gradient in grads are finite; what names the
// part ("discriminator", "generator") in the message.
void require_finite_step(double loss, const ParamSpan& grads, int threads, const char* kind, const char* what,
                         int64_t step);

}  // namespace gm::nn

namespace gm::nn {

// The striped order of a sharded distributed fit (docs/distributed.md, "Sharded reading"):
// each rank holds only its rows of the data set, and the global batches must not depend on
// how many ranks there are. Slot s of every global batch of B rows draws from stripe s, the
// training rows t with t mod B == s; each epoch shuffles every stripe with its own stream
// (seed, epoch, s). A rank owns a fixed set of slots (a trainee's rank_rows of a full batch;
// dist::slice_of by default), so it needs only the rows of its stripes, which it keeps while
// reading the file, in ascending t: the row of slot j (its j-th slot) and stripe index k is its
// local row k·w + j (w = its slot count). A batch b with fewer than B rows (the last one, when
// n is not a multiple of B) holds the slots s < n mod B.
class StripedOrder {
 public:
  // n training rows of the whole data set, global batch B (1 ≤ B ≤ n), this rank's slots
  // (ascending, each in [0, B)).
  StripedOrder(int64_t n, int64_t batch, std::vector<int64_t> slots);
  int64_t batches() const { return (n_ + batch_ - 1) / batch_; }
  // The rows of batch b in the global batch (B, or n mod B for a partial last batch).
  int64_t batch_rows(int64_t b) const { return b < n_ / batch_ ? batch_ : n_ % batch_; }
  // True when this rank keeps training row t (read in ascending t; local_rows() of them).
  bool owns(int64_t t) const;
  int64_t local_rows() const;
  int64_t rows() const { return n_; }
  // The global training row t of local row i (ascending in i).
  int64_t global_row(int64_t i) const {
    const auto w = static_cast<int64_t>(slots_.size());
    return i / w * batch_ + slots_[static_cast<std::size_t>(i % w)];
  }
  // Draws the epoch's stripe permutations (stream (seed, epoch), stripe s).
  void shuffle(uint64_t seed, int64_t epoch);
  // This rank's rows of batch b: local row indices, and their positions in the global batch.
  void batch(int64_t b, std::vector<int64_t>& local, std::vector<int64_t>& positions) const;

 private:
  int64_t stripe_rows(int64_t s) const { return n_ / batch_ + (s < n_ % batch_ ? 1 : 0); }
  int64_t n_, batch_;
  std::vector<int64_t> slots_;
  std::vector<int32_t> slot_of_;            // B entries: the slot's index j on this rank, or −1
  std::vector<std::vector<int64_t>> perm_;  // per owned slot: the epoch's order of its stripe
};

}  // namespace gm::nn
