// The baseline x86-64 build of the nade kernels, and the choice between it and the AVX2 +
// FMA build (nade_kernels_avx2.cpp) by CPUID, made once per process.
#include "models/nade_kernels.hpp"

#include <cmath>
#include <cstring>

namespace gm::nade {

namespace generic {
#include "models/nade_kernels.inl"
}  // namespace generic

#if defined(__x86_64__) || defined(__i386__)
const Kernels* avx2_kernels();  // nade_kernels_avx2.cpp
#endif

const Kernels& generic_kernels() {
  static const Kernels k{"generic", generic::forward, generic::backward, generic::draw, generic::sigmoid};
  return k;
}

const Kernels& kernels() {
  static const Kernels* const best = [] {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return avx2_kernels();
#endif
    return &generic_kernels();
  }();
  return *best;
}

}  // namespace gm::nade
