// The training log of the command line (issue 13): after every epoch one line with the
// epoch, the mean training loss, the validation loss and the best epoch when a split is
// set, the GAN's two losses, images/s, elapsed time and the estimate of what is left; on a
// terminal also a live progress line that the epoch lines replace. All on stderr, so stdout
// stays for results (fit --json). Early stopping says when, why and which epoch it keeps.
#pragma once

#include <memory>
#include <string>

#include "models/generative_model.hpp"

namespace gm::cli {

class EpochLog {
 public:
  // label names the run on the live line ("fit", "demo"); nats: the losses are in nats
  // (likelihood kinds) and say so. quiet: log nothing, only record.
  EpochLog(std::string label, bool nats, bool quiet);

  // Installs the progress and epoch callbacks into options (keeping any already there).
  void attach(FitOptions& options);

  // What the fit reported last (epoch 0 before the first report), and the wall time the
  // log itself took: its share of the fit is the cost of reporting.
  const nn::EpochReport& last() const { return last_; }
  int64_t epochs_run() const { return epochs_run_; }
  // Training rows per second over every epoch reported (0 before the first).
  double images_per_second() const { return epoch_seconds_ > 0 ? images_ / epoch_seconds_ : 0; }
  double log_seconds() const { return log_seconds_; }

 private:
  bool progress(int64_t step, int64_t total, double loss);
  bool epoch(const nn::EpochReport& r);

  std::string label_;
  bool nats_, quiet_, terminal_;
  nn::EpochReport last_;
  int64_t epochs_run_ = 0;
  double log_seconds_ = 0, last_draw_ = -1, images_ = 0, epoch_seconds_ = 0;
  bool live_line_ = false;
};

// A log attached to options that lives as long as they do (the callbacks own it).
std::shared_ptr<EpochLog> attach_epoch_log(FitOptions& options, const std::string& label, bool quiet, bool nats = true);

// "1:05", "12:00:03": a duration for humans.
std::string clock_text(double seconds);

}  // namespace gm::cli
