// bce_row (bce_row.hpp) in two builds, picked once per process by CPUID: the baseline
// (SSE2) and AVX2 + FMA. Every header comes before the target pragma, so no inline function
// of a header is emitted for AVX2 here (the linker could otherwise pick that copy for all);
// the always_inline kernels are inlined into each build and compiled for its ISA.
#include <cstdint>

#include "nn/bce_row.hpp"

namespace gm::nn {

namespace {

constexpr int64_t kChunk = 256;

double bce_row_base(const float* l, const float* x, int64_t D, float* g, float scale) {
  alignas(64) float t[kChunk];
  double sum = 0.0;
  for (int64_t d0 = 0; d0 < D; d0 += kChunk) {
    const int64_t n = D - d0 < kChunk ? D - d0 : kChunk;
    bce_terms(l + d0, x + d0, n, t, g ? g + d0 : nullptr, scale);
    float part = 0.0f;
#pragma omp simd reduction(+ : part)
    for (int64_t i = 0; i < n; ++i) part += t[i];
    sum += part;
  }
  return sum;
}

#pragma GCC push_options
#pragma GCC target("avx2,fma")

double bce_row_avx2(const float* l, const float* x, int64_t D, float* g, float scale) {
  alignas(64) float t[kChunk];
  double sum = 0.0;
  for (int64_t d0 = 0; d0 < D; d0 += kChunk) {
    const int64_t n = D - d0 < kChunk ? D - d0 : kChunk;
    bce_terms(l + d0, x + d0, n, t, g ? g + d0 : nullptr, scale);
    float part = 0.0f;
#pragma omp simd reduction(+ : part)
    for (int64_t i = 0; i < n; ++i) part += t[i];
    sum += part;
  }
  return sum;
}

#pragma GCC pop_options

using RowFn = double (*)(const float*, const float*, int64_t, float*, float);

RowFn pick() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return bce_row_avx2;
  return bce_row_base;
}

}  // namespace

double bce_row(const float* l, const float* x, int64_t D, float* g, float scale) {
  static const RowFn fn = pick();
  return fn(l, x, D, g, scale);
}

}  // namespace gm::nn
