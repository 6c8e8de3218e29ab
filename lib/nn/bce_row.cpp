// bce_row (bce_row.hpp), compiled for AVX2 and baseline x86-64 and picked at load time
// (target_clones); the always_inline kernels of the header are inlined into each clone and
// compiled for its ISA. The clones differ in the last bits of the partial sums (8 or 4
// lanes); each is deterministic. (An AVX-512 clone would change those bits again, and the
// term is a few percent of any step: not worth moving every recorded figure.)
#include "nn/bce_row.hpp"

namespace gm::nn {

namespace {
constexpr int64_t kChunk = 256;
}  // namespace

__attribute__((target_clones("avx2", "default"))) double bce_row(const float* l, const float* x, int64_t D, float* g,
                                                                 float scale) {
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

}  // namespace gm::nn
