#include "nn/compute.hpp"

#include <omp.h>
#include <xmmintrin.h>

#include "core/engine.hpp"

namespace gm::nn {

namespace {
// MXCSR bit 15 = flush to zero (denormal results become 0), bit 6 = denormals are zero
// (denormal inputs read as 0). Denormals cost nothing measurable on Zen 3 but are slow
// on many other x86 cores; nothing in training needs them (docs/design.md, "The hardware").
constexpr unsigned kFtzDaz = 0x8040u;
}  // namespace

void set_flush_denormals(int threads) {
  _mm_setcsr(_mm_getcsr() | kFtzDaz);
#pragma omp parallel num_threads(threads)
  { _mm_setcsr(_mm_getcsr() | kFtzDaz); }
}

ComputeScope::ComputeScope(int threads)
    : threads_(resolve_threads(threads)), saved_threads_(omp_get_max_threads()), saved_csr_(_mm_getcsr()) {
  omp_set_num_threads(threads_);
  set_flush_denormals(threads_);
}

SerialScope::SerialScope(bool serial) {
  if (serial && omp_get_max_threads() > 1) {
    saved_threads_ = omp_get_max_threads();
    omp_set_num_threads(1);
  }
}

SerialScope::~SerialScope() {
  if (saved_threads_ > 0) omp_set_num_threads(saved_threads_);
}

ComputeScope::~ComputeScope() {
  omp_set_num_threads(saved_threads_);
  _mm_setcsr(saved_csr_);
}

}  // namespace gm::nn
