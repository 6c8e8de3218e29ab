// What the ranks of a distributed fit agree on (docs/distributed.md): every rank holds the
// same model and the same data, takes its block of each global batch (dist::slice_of) and
// computes the gradient of its rows; one sum over the ranks per optimiser step then gives every
// rank the gradient of the whole batch, and every rank makes the same update.
//
// No rank may leave the sequence of collectives alone, or the others wait for it forever. So a
// failure on one rank (an exception inside guard) is kept, the rank still enters the next
// collective with a failure flag among the summed values, and there every rank throws: the
// failed one its own error, the others an error naming that rank.
#pragma once

#include <cstdint>
#include <exception>
#include <vector>

#include "core/distributed.hpp"
#include "core/error.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

class DataParallel {
 public:
  explicit DataParallel(const dist::Communicator& comm) : comm_(comm) {}

  int rank() const { return comm_.rank(); }
  int size() const { return comm_.size(); }
  const dist::Communicator& communicator() const { return comm_; }

  // Set by the training loop before each step: this rank computes `local` of the step's
  // `global` rows.
  void begin_step(int64_t local, int64_t global) {
    local_ = local;
    global_ = global;
  }
  int64_t local_rows() const { return local_; }
  int64_t global_rows() const { return global_; }

  // Runs f unless a failure is already pending; an exception f throws is kept for the next
  // collective instead of leaving.
  template <class F>
  void guard(F&& f) {
    if (pending_) return;
    try {
      f();
    } catch (...) {
      keep(std::current_exception());
    }
  }

  // The step's one MPI_Allreduce. Before: grads hold the gradient of this rank's MEAN loss
  // over its local rows (zero when it has none), loss its summed loss. After, on every rank:
  // the gradient of the mean loss over the global batch, and the global summed loss. Throws on
  // every rank when a rank failed. share ≥ 0 replaces the scale local / global (1: grads
  // already hold this rank's share of the global gradient).
  void reduce(const ParamSpan& grads, double& loss, float share = -1.0f);
  // Every rank's rows laid side by side: block (local rows × width floats) goes to rows
  // [offset, offset + local) of all (total rows × width), on every rank. One sum of the
  // zero-padded buffer (adding zeros is exact, so the result is bit-equal to the blocks).
  // Throws like agree.
  void all_rows(const float* block, int64_t local, int64_t offset, int64_t total, int64_t width, float* all);
  // A collective without data (the end of an epoch, of a fit): throws on every rank when a
  // rank failed.
  void agree();
  // Sums values over the ranks (doubles, as the validation loss); throws like agree.
  void sum(double* values, int64_t count);

 private:
  void keep(std::exception_ptr e);
  // The failure flags after the sum: throws when any rank failed.
  void raise_if_failed(const float* flags);

  const dist::Communicator& comm_;
  int64_t local_ = 0, global_ = 0;
  std::exception_ptr pending_;
  Status pending_status_ = Status::ok;
  std::vector<float> buffer_;
};

}  // namespace gm::nn
