// Small dense symmetric linear algebra in double precision, for the Fréchet distance's
// matrix square roots (F ≤ a few hundred). No LAPACK: the cyclic Jacobi method is a page of
// code, unconditionally convergent (quadratically once the off-diagonal is small) and
// accurate to a few ulps of ‖A‖ in every eigenvalue (Golub & Van Loan, §8.5).
// Matrices are row-major n×n std::vector<double>.
#pragma once

#include <cstdint>
#include <vector>

namespace gm::eval {

struct SymmetricEigen {
  std::vector<double> values;   // (n), ascending
  std::vector<double> vectors;  // (n, n), column j is the unit eigenvector of values[j]
};

// A = V·diag(λ)·Vᵀ for symmetric A (only the upper triangle is read; the result is that of
// (A + Aᵀ)/2 when A is not exactly symmetric). Throws invalid_argument on a size mismatch or
// a non-finite entry.
SymmetricEigen symmetric_eigen(const std::vector<double>& a, int64_t n);

// The positive semi-definite square root S = V·diag(√max(λ, 0))·Vᵀ (S·S = A for PSD A; the
// small negative eigenvalues rounding leaves in a rank-deficient covariance are clamped).
std::vector<double> sqrt_psd(const std::vector<double>& a, int64_t n);

// C = A·B for n×n matrices.
std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int64_t n);

}  // namespace gm::eval
