// C (M, N) = op(A) (M, K) · op(B) (K, N)  [+ bias (N), broadcast over rows]  [+ C]
//
// The one matrix product under every dense layer, on oneDNN matmul. A transposed operand
// is a strided *view* (strides {1, ld}) — no copy — which oneDNN runs at full speed; this
// is how Linear gets forward, backward-data and backward-weights from one primitive kind.
// With accumulate, C += ... is fused into the product as a sum post-op (how gradients are
// added rather than overwritten).
//
// Row-major throughout: element (i, j) of a non-transposed A is A[i·lda + j]; of a
// transposed A (stored K × M) it is A[j·lda + i].
//
// run() is const and thread-safe: primitives are cached per shape (see detail/plan_cache).
#pragma once

#include <cstdint>
#include <memory>

namespace gm::nn {

namespace detail {
class PlanCache;
}

class Gemm {
 public:
  explicit Gemm(bool trans_a = false, bool trans_b = false, bool accumulate = false);
  ~Gemm();
  Gemm(Gemm&&) noexcept;
  Gemm& operator=(Gemm&&) noexcept;

  void run(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
           int64_t ldc, const float* bias = nullptr) const;

 private:
  bool trans_a_, trans_b_, accumulate_;
  std::unique_ptr<detail::PlanCache> cache_;
};

}  // namespace gm::nn
