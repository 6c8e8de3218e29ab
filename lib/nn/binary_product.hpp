// The matrix product whose left operand is binary (every value 0 or 1), as binarised images are:
//
//   Y = bias + X · Wt      X (n, K) binary, Wt (K, N), Y (n, N)
//   row r of Y = bias + Σ_{j : x_rj = 1} Wt[j, :]
//
// is additions of the rows of Wt where x is 1 and nothing else. With `strictly_lower` (fvsbn:
// logit i reads only pixels j < i) the rows that reach no column of a block are skipped too.
//
// Where it pays (bench/nn/bench_binary.cpp, 31% ones as in binarised Fashion-MNIST): not on
// sparsity alone. A dense oneDNN product reuses every loaded weight from registers many
// times; these additions use each loaded row once, so at 31% density they run at 0.7× the
// dense product (a vae's 784 → 400 layer), and the weight gradient Xᵀ·Δ built the same way
// only matched oneDNN (it was dropped). Sparsity and the triangle together win: fvsbn's
// 784 → 784 forward runs 1.5× (two threads) to 2× (one thread) faster than the dense product.
//
// Layout is row-major throughout, with explicit row strides (ld*). Wt is the *input-major*
// weight matrix: Wt[j, i] is the weight from input j to output i, so the rows added are
// contiguous.
//
// Work is split over OpenMP threads by blocks of 64 output columns; every element is summed
// by one thread in a fixed order (j ascending), so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

namespace gm::nn {

// The columns at which each row of a binary matrix is 1, in ascending order (a CSR index
// without values).
class BinaryRows {
 public:
  // Indexes X (n, K) with row stride ldx. Any nonzero counts as 1: callers check that the
  // data are binary before (the models refuse other data with a status of their own).
  void assign(const float* x, int64_t n, int64_t k, int64_t ldx);

  int64_t rows() const { return static_cast<int64_t>(start_.size()) - 1; }
  int64_t cols() const { return cols_; }
  const int32_t* begin(int64_t r) const { return index_.data() + start_[static_cast<std::size_t>(r)]; }
  const int32_t* end(int64_t r) const { return index_.data() + start_[static_cast<std::size_t>(r) + 1]; }

 private:
  std::vector<int32_t> index_;
  std::vector<int64_t> start_{0};
  int64_t cols_ = 0;
};

// Y (n, N) = bias + X · Wt. bias (N) may be null (then 0). With strictly_lower (K = N and
// Wt[j, i] = 0 for i ≤ j, which the caller guarantees), rows of Wt that can only reach
// columns on or below the diagonal are skipped.
void binary_matmul(const BinaryRows& x, const float* wt, int64_t ldw, int64_t N, const float* bias, float* y,
                   int64_t ldy, bool strictly_lower = false);

}  // namespace gm::nn
