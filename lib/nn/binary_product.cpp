#include "nn/binary_product.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace gm::nn {

namespace {

// 64 output columns a block: four AVX-512 registers (eight AVX2 ones) of accumulators, and a
// block of Wt (K × 64 floats, 200 KB at K = 784) that stays in L2 while every row of the batch
// passes over it.
constexpr int64_t kBlock = 64;
// Below this many additions a product takes microseconds: not worth waking the OpenMP team.
constexpr int64_t kParallelMin = 1 << 16;

// 16 floats at any 4-byte-aligned address. GCC lowers the operations to whatever the clone
// being compiled has (one zmm, two ymm or four xmm registers).
typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));

inline const V16& at(const float* p) { return *reinterpret_cast<const V16*>(p); }
inline V16& at(float* p) { return *reinterpret_cast<V16*>(p); }

// clang does not honour aligned(4) on the vector typedef: it emitted aligned AVX-512 moves
// on 4-byte-aligned rows, and the clang fuzz build crashed
// (fuzz/crashes/roundtrip/fvsbn-log-prob-segv-binary-product). The library is built with
// GCC (whose code for this form was measured and is kept bit for bit); under clang every
// block takes the plain loop below, which its vectoriser handles without the typedef.
#if defined(__clang__)
constexpr bool kVectorBlocks = false;
#else
constexpr bool kVectorBlocks = true;
#endif

__attribute__((target_clones("avx512f", "avx2", "default"))) void forward_block(const BinaryRows& x, const float* wt,
                                                                                int64_t ldw, const float* bias,
                                                                                float* y, int64_t ldy, int64_t c0,
                                                                                int64_t w, bool strictly_lower) {
  // Rows j that can reach the block: all, or, strictly lower, those with j < c0 + w (row j
  // reaches only the columns i > j). The index lists ascend, so the first row past it ends a list.
  const int64_t limit = strictly_lower ? c0 + w : std::numeric_limits<int64_t>::max();
  const int64_t n = x.rows();
  if (kVectorBlocks && w == kBlock) {
    V16 b[4] = {};
    if (bias != nullptr)
      for (int k = 0; k < 4; ++k) b[k] = at(bias + c0 + 16 * k);
    for (int64_t r = 0; r < n; ++r) {
      V16 a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3];
      for (const int32_t* p = x.begin(r); p != x.end(r) && *p < limit; ++p) {
        const float* row = wt + *p * ldw + c0;
        a0 += at(row);
        a1 += at(row + 16);
        a2 += at(row + 32);
        a3 += at(row + 48);
      }
      float* out = y + r * ldy + c0;
      at(out) = a0;
      at(out + 16) = a1;
      at(out + 32) = a2;
      at(out + 48) = a3;
    }
    return;
  }
  for (int64_t r = 0; r < n; ++r) {  // the last, narrower block (every block under clang)
    float* out = y + r * ldy + c0;
    for (int64_t c = 0; c < w; ++c) out[c] = bias != nullptr ? bias[c0 + c] : 0.0f;
    for (const int32_t* p = x.begin(r); p != x.end(r) && *p < limit; ++p) {
      const float* row = wt + *p * ldw + c0;
#pragma omp simd
      for (int64_t c = 0; c < w; ++c) out[c] += row[c];
    }
  }
}

void check(const char* who, const BinaryRows& x, int64_t N, int64_t ld_in, int64_t ld_out, bool strictly_lower) {
  if (N < 0 || ld_in < N || ld_out < N)
    fail(Status::invalid_argument, "{}: N = {} with row strides {} and {} (each must be at least N)", who, N, ld_in,
         ld_out);
  if (strictly_lower && x.cols() != N)
    fail(Status::invalid_argument, "{}: a strictly lower product needs K = N, got K = {}, N = {}", who, x.cols(), N);
}

}  // namespace

void BinaryRows::assign(const float* x, int64_t n, int64_t k, int64_t ldx) {
  if (n < 0 || k < 0 || ldx < k || k > std::numeric_limits<int32_t>::max())
    fail(Status::invalid_argument, "BinaryRows: n = {}, k = {}, ldx = {}", n, k, ldx);
  cols_ = k;
  index_.resize(static_cast<std::size_t>(n * k));
  start_.resize(static_cast<std::size_t>(n + 1));
  int64_t count = 0;
  for (int64_t r = 0; r < n; ++r) {
    const float* row = x + r * ldx;
    int32_t* out = index_.data();
    for (int64_t j = 0; j < k; ++j) {  // branch-free compaction: write always, advance on a one
      out[count] = static_cast<int32_t>(j);
      count += row[j] != 0.0f;
    }
    start_[static_cast<std::size_t>(r + 1)] = count;
  }
}

void binary_matmul(const BinaryRows& x, const float* wt, int64_t ldw, int64_t N, const float* bias, float* y,
                   int64_t ldy, bool strictly_lower) {
  check("binary_matmul", x, N, ldw, ldy, strictly_lower);
  const int64_t blocks = (N + kBlock - 1) / kBlock;
  const int64_t work = (x.rows() > 0 ? x.end(x.rows() - 1) - x.begin(0) : 0) * N;
#pragma omp parallel for schedule(dynamic, 1) if (work >= kParallelMin)
  for (int64_t b = 0; b < blocks; ++b)
    forward_block(x, wt, ldw, bias, y, ldy, b * kBlock, std::min(kBlock, N - b * kBlock), strictly_lower);
}

}  // namespace gm::nn
