// The project's one use of MPI (distributed.hpp). Only MPI's C interface: MPI_Allreduce on
// MPI_FLOAT, MPI_DOUBLE and MPI_INT64_T, and MPI_MAX for the equality check.
#include "core/distributed.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>

#include "core/error.hpp"
#include "gm_build_config.h"

#if GM_HAVE_MPI
// The C interface only: Open MPI's C++ bindings header does not compile warning-free.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace gm::dist {

bool built_with_mpi() { return GM_HAVE_MPI != 0; }

#if GM_HAVE_MPI

struct Communicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
};

namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail(Status::internal, "MPI {} failed: {}", what, text);
}

template <typename T>
void allreduce(MPI_Comm comm, T* values, int64_t count, MPI_Datatype type, MPI_Op op) {
  if (count < 0) fail(Status::internal, "MPI_Allreduce of {} values", count);
  for (int64_t at = 0; at < count; at += INT_MAX) {
    const int n = static_cast<int>(std::min<int64_t>(INT_MAX, count - at));
    check(MPI_Allreduce(MPI_IN_PLACE, values + at, n, type, op, comm), "MPI_Allreduce");
  }
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  check(MPI_Comm_rank(impl_->comm, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(impl_->comm, &size_), "MPI_Comm_size");
}

Communicator::~Communicator() = default;

std::shared_ptr<Communicator> Communicator::world() {
  static std::mutex mutex;
  const std::lock_guard<std::mutex> lock(mutex);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) fail(Status::invalid_argument, "MPI has been finalised in this process: a distributed fit needs it");
  if (!initialized) {
    // Funneled: only the thread that called fit makes MPI calls (OpenMP threads never do).
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit(finalize_at_exit);
  }
  auto impl = std::make_unique<Impl>();
  impl->comm = MPI_COMM_WORLD;
  return std::shared_ptr<Communicator>(new Communicator(std::move(impl)));
}

std::shared_ptr<Communicator> Communicator::from_mpi(const void* mpi_comm) {
  if (mpi_comm == nullptr) return world();
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    fail(Status::invalid_argument,
         "a communicator was given but MPI is {}: call MPI_Init before the fit and MPI_Finalize after it",
         finalized ? "finalised" : "not initialised");
  auto impl = std::make_unique<Impl>();
  impl->comm = *static_cast<const MPI_Comm*>(mpi_comm);
  if (impl->comm == MPI_COMM_NULL) fail(Status::invalid_argument, "the communicator is MPI_COMM_NULL");
  return std::shared_ptr<Communicator>(new Communicator(std::move(impl)));
}

void Communicator::sum(float* values, int64_t count) const {
  allreduce(impl_->comm, values, count, MPI_FLOAT, MPI_SUM);
}
void Communicator::sum(double* values, int64_t count) const {
  allreduce(impl_->comm, values, count, MPI_DOUBLE, MPI_SUM);
}
void Communicator::sum(int64_t* values, int64_t count) const {
  allreduce(impl_->comm, values, count, MPI_INT64_T, MPI_SUM);
}

bool Communicator::same_everywhere(uint64_t value) const {
  // max(v) and max(~v) = ~min(v) in one call: equal everywhere iff max == min.
  uint64_t v[2] = {value, ~value};
  allreduce(impl_->comm, v, 2, MPI_UINT64_T, MPI_MAX);
  return v[0] == ~v[1];
}

#else  // without MPI: a communicator cannot be made, so the members below are never called

struct Communicator::Impl {};

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

namespace {
[[noreturn]] void no_mpi() {
  fail(Status::unsupported,
       "this genmodels was built without MPI: install libopenmpi-dev and reconfigure (meson setup --reconfigure "
       "-Dmpi=enabled) for a distributed fit (docs/distributed.md)");
}
}  // namespace

std::shared_ptr<Communicator> Communicator::world() { no_mpi(); }
std::shared_ptr<Communicator> Communicator::from_mpi(const void*) { no_mpi(); }
void Communicator::sum(float*, int64_t) const {}
void Communicator::sum(double*, int64_t) const {}
void Communicator::sum(int64_t*, int64_t) const {}
bool Communicator::same_everywhere(uint64_t) const { return true; }

#endif

}  // namespace gm::dist
