// Data-parallel fit over MPI (docs/distributed.md): the processes of one communicator each
// hold a copy of the model and sum their gradients (or counts) with one MPI_Allreduce.
// distributed.cpp is the only file of the project that includes mpi.h; built without MPI
// (meson -Dmpi=disabled, or Open MPI not found) it still compiles, and asking for a
// communicator throws Status::unsupported.
#pragma once

#include <cstdint>
#include <memory>

namespace gm::dist {

// True when the library was built with MPI.
bool built_with_mpi();

// One group of processes (MPI ranks 0..size-1) that trains one model. Every call below is a
// collective: every rank of the communicator must make it, in the same order, with the same
// counts.
class Communicator {
 public:
  // MPI_COMM_WORLD. Initialises MPI (MPI_Init_thread, MPI_THREAD_FUNNELED) when nobody has,
  // and then finalises it at exit. Throws unsupported without MPI.
  static std::shared_ptr<Communicator> world();
  // The caller's communicator: mpi_comm points to an MPI_Comm (its type differs between MPI
  // implementations, so the C ABI passes its address); nullptr = MPI_COMM_WORLD. Throws
  // unsupported without MPI, invalid_argument when MPI is not initialised.
  static std::shared_ptr<Communicator> from_mpi(const void* mpi_comm);

  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // In-place sums over the ranks (MPI_SUM; counts above INT_MAX go in pieces). Throws
  // internal when MPI reports an error.
  void sum(float* values, int64_t count) const;
  void sum(double* values, int64_t count) const;
  void sum(int64_t* values, int64_t count) const;
  // True on every rank when every rank passed the same value.
  bool same_everywhere(uint64_t value) const;

 private:
  struct Impl;
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, size_ = 1;
};

// This rank's rows [begin, end) of `count` rows split into `size` contiguous blocks, the
// first count % size blocks one row longer.
struct Slice {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
inline Slice slice_of(int64_t count, int rank, int size) {
  const int64_t q = count / size, r = count % size;
  const int64_t begin = rank * q + (rank < r ? rank : r);
  return {begin, begin + q + (rank < r ? 1 : 0)};
}

}  // namespace gm::dist
