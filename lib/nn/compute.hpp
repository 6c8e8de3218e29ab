// The compute environment of one call into the library: how many OpenMP threads oneDNN
// and the library's own loops use, and flush-to-zero / denormals-are-zero.
//
// Open one ComputeScope at the top of every verb (fit, sample, log_prob, ...) on the thread
// that runs it, before any layer is called. The thread count is part of every primitive
// cache key (lib/nn/detail/plan_cache.hpp), because oneDNN sizes its scratchpads and
// splits its loops by the thread count it sees when a primitive is created.
#pragma once

namespace gm::nn {

class ComputeScope {
 public:
  // threads <= 0: the OpenMP default (all cores).
  explicit ComputeScope(int threads);
  ~ComputeScope();
  ComputeScope(const ComputeScope&) = delete;
  ComputeScope& operator=(const ComputeScope&) = delete;

  int threads() const { return threads_; }

 private:
  int threads_;
  int saved_threads_;
  unsigned saved_csr_;
};

// One thread for the OpenMP work of the calling thread while it lives, when `serial` (else
// nothing): for products and loops small enough to finish before a sleeping thread team
// could wake. With OMP_WAIT_POLICY=passive a parallel region costs 20–50 µs of wake-up on
// this project's 2-vCPU machines (measured: a vae step spent a third of its time there),
// against ~1 µs with spinning workers. The plan cache keys primitives by thread count, so a
// product run in this scope gets its own single-threaded primitive.
class SerialScope {
 public:
  explicit SerialScope(bool serial);
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  int saved_threads_ = 0;  // 0: nothing to restore
};

// Sets FTZ and DAZ in MXCSR on the calling thread and on every worker of its OpenMP team
// (MXCSR is per thread; libgomp keeps its workers, so it sticks for later regions).
void set_flush_denormals(int threads);

}  // namespace gm::nn
