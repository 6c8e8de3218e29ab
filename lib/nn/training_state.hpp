// What a gradient-trained model needs, besides its parameters, to go on training exactly as
// if it had never stopped: the trainer's counters and shuffle order, the optimisers' moments,
// the early-stopping bookkeeping, and the fit options it ran with. The training loop keeps it
// current (nn/trainer.cpp); GenerativeModel holds it after a fit, so a warm-started fit
// resumes it, and a checkpoint file carries it (models/model_file.cpp).
//
// The trainer's random numbers are counter-based (a stream per epoch, step and split under
// the fit seed, core/rng.hpp), so the counters and the order the last epoch left are all the
// "RNG state" there is: nothing else is drawn between steps.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/data_view.hpp"
#include "core/tensor_ref.hpp"

namespace gm::nn {

struct OptimiserState {
  int64_t steps = 0;
  std::vector<float> m, v;  // Adam's first and second moments
};

struct TrainingState {
  // Progress.
  int64_t epochs_done = 0;     // completed epochs over every fit of this model
  int64_t steps_done = 0;      // optimiser steps over every fit (each draws stream kStepStream + step)
  int64_t epochs_planned = 0;  // the epoch the last fit was asked to reach
  // The run it belongs to: a warm start with other values continues the parameters and the
  // optimiser, but is a new run (the order and the early-stopping record start again).
  uint64_t seed = 0;
  int64_t batch_size = 0;
  double learning_rate = 0;  // as given to fit (0 = the kind's default)
  double validation_fraction = 0;
  int64_t patience = 0;
  int64_t rows = 0;        // the data's n
  uint64_t data_hash = 0;  // of the data's rows (data_fingerprint)
  // The training rows in the order the last epoch left them (each epoch shuffles it further).
  std::vector<int64_t> order;
  // Early stopping.
  double best_loss = INFINITY;
  int64_t best_epoch = 0;
  int64_t epochs_without_improvement = 0;
  std::vector<float> best;  // trainable parameters of best_epoch (empty without validation)
  std::vector<OptimiserState> optimisers;
  // A trainee's own state between steps, opaque here (CycleGAN's history buffers of generated
  // images: SteppedTrainable::save_extra_state); empty for most kinds.
  std::vector<float> extra;

  bool empty() const { return epochs_done == 0; }
  // True when a fit of `data` with these options continues this very run.
  bool same_run(const DataView& data, uint64_t seed, int64_t batch_size, double learning_rate,
                double validation_fraction, int64_t patience) const;

  // Persistence (checkpoints): counters and options as JSON, vectors as tensors named
  // "training.*" (views into *this). restore() validates everything and throws corrupt_file.
  Json to_json() const;
  std::vector<TensorRef> tensors() const;
  static TrainingState restore(const Json& j, const std::vector<TensorRef>& tensors);
};

// A 64-bit hash of the rows (and labels/conditions) of data: FNV-1a over 8-byte words, so a
// warm start can tell the same data from other data of the same size.
uint64_t data_fingerprint(const DataView& data);

// The prefix of every training-state tensor name in a checkpoint.
inline constexpr const char* kTrainingTensorPrefix = "training.";

}  // namespace gm::nn
