// The AVX2 + FMA build of the nade kernels (nade_kernels.inl). Every header comes before
// the target pragma, so no inline function of a shared header is compiled for AVX2 (the
// linker could otherwise keep that copy for the baseline build too).
#include <cmath>
#include <cstring>

#include "models/nade_kernels.hpp"

#if defined(__x86_64__) || defined(__i386__)

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace gm::nade {

namespace avx2 {
#include "models/nade_kernels.inl"
}  // namespace avx2

}  // namespace gm::nade

#pragma GCC pop_options

namespace gm::nade {

// Outside the target region: taking the addresses needs no AVX2.
const Kernels* avx2_kernels() {
  static const Kernels k{"avx2+fma", avx2::forward, avx2::backward, avx2::draw, avx2::sigmoid};
  return &k;
}

}  // namespace gm::nade

#endif
