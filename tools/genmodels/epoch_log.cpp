#include "epoch_log.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace gm::cli {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Adds the wall time of a scope to a counter.
struct Timed {
  double& total;
  double start = now_seconds();
  ~Timed() { total += now_seconds() - start; }
};

constexpr double kRedrawSeconds = 0.1;  // the live line redraws at most 10 times a second

}  // namespace

std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

EpochLog::EpochLog(std::string label, bool nats, bool quiet)
    : label_(std::move(label)), nats_(nats), quiet_(quiet), terminal_(isatty(STDERR_FILENO) != 0) {}

void EpochLog::attach(FitOptions& options) {
  ProgressFn inner_progress = options.progress;
  nn::EpochFn inner_epoch = options.epoch_report;
  if (terminal_ && !quiet_)
    options.progress = [this, inner_progress](int64_t step, int64_t total, double loss) {
      return progress(step, total, loss) || (inner_progress && inner_progress(step, total, loss));
    };
  options.epoch_report = [this, inner_epoch](const nn::EpochReport& r) {
    return epoch(r) || (inner_epoch && inner_epoch(r));
  };
}

bool EpochLog::progress(int64_t step, int64_t total, double loss) {
  Timed t{log_seconds_};
  const double now = now_seconds();
  if (step < total && now - last_draw_ < kRedrawSeconds) return false;
  last_draw_ = now;
  const int width = 24;
  const int filled = total > 0 ? static_cast<int>(width * step / total) : width;
  fmt::print(stderr, "\r\033[K{} [{}{}] step {}/{} loss {:.4f}", label_, std::string(filled, '#'),
             std::string(width - filled, '.'), step, total, loss);
  std::fflush(stderr);
  live_line_ = true;
  return false;
}

bool EpochLog::epoch(const nn::EpochReport& r) {
  Timed t{log_seconds_};
  last_ = r;
  ++epochs_run_;
  images_ += r.images_per_second * r.epoch_seconds;
  epoch_seconds_ += r.epoch_seconds;
  if (quiet_) return false;
  const char* unit = nats_ ? " nats" : "";
  std::string line = fmt::format("epoch {}/{}  train {:.4f}{}", r.epoch, r.last_epoch, r.train_loss, unit);
  if (!std::isnan(r.validation_loss))
    line += fmt::format("  validation {:.4f}{} (best: epoch {})", r.validation_loss, unit, r.best_epoch);
  if (!std::isnan(r.discriminator_loss))
    line += fmt::format("  (D {:.4f}, G {:.4f})", r.discriminator_loss, r.generator_loss);
  line += fmt::format("  {:.0f} images/s  elapsed {}  eta {}", r.images_per_second, clock_text(r.elapsed_seconds),
                      clock_text(r.eta_seconds));
  fmt::print(stderr, "{}{}\n", live_line_ ? "\r\033[K" : "", line);
  live_line_ = false;
  if (r.stopping)
    fmt::print(stderr,
               "early stopping after epoch {}: the validation loss has not improved for {} epochs; keeping the "
               "parameters of epoch {}, the best\n",
               r.epoch, r.epoch - r.best_epoch, r.best_epoch);
  std::fflush(stderr);
  return false;
}

std::shared_ptr<EpochLog> attach_epoch_log(FitOptions& options, const std::string& label, bool quiet, bool nats) {
  auto log = std::make_shared<EpochLog>(label, nats, quiet);
  log->attach(options);
  // The callbacks hold the log: it lives as long as the options do.
  ProgressFn progress = options.progress;
  nn::EpochFn epoch = options.epoch_report;
  if (progress) options.progress = [log, progress](int64_t s, int64_t t, double l) { return progress(s, t, l); };
  options.epoch_report = [log, epoch](const nn::EpochReport& r) { return epoch(r); };
  return log;
}

}  // namespace gm::cli
