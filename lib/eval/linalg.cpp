#include "eval/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace gm::eval {

namespace {
constexpr int kMaxSweeps = 100;  // convergence takes 6–12 sweeps in practice

void check_square(const std::vector<double>& a, int64_t n, const char* what) {
  if (n <= 0 || static_cast<int64_t>(a.size()) != n * n)
    fail(Status::invalid_argument, "{}: expected a {}×{} matrix, got {} values", what, n, n, a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!std::isfinite(a[i])) fail(Status::invalid_argument, "{}: entry {} is not finite", what, i);
}
}  // namespace

// Cyclic Jacobi: sweep over every pair p < q and annihilate A[p][q] with a plane rotation
// P (P_pp = P_qq = c, P_pq = s, P_qp = −s), A ← Pᵀ A P, V ← V P. With
//   θ = (A_qq − A_pp) / (2 A_pq),  t = sgn θ / (|θ| + √(θ² + 1)),  c = 1/√(t² + 1),  s = t·c
// t is the smaller root of t² + 2θt − 1 = 0, the rotation angle |φ| ≤ π/4 that keeps the
// method stable (Rutishauser). Each rotation lowers off(A)² = Σ_{p≠q} A_pq² by 2·A_pq².
SymmetricEigen symmetric_eigen(const std::vector<double>& a_in, int64_t n) {
  check_square(a_in, n, "symmetric_eigen");
  std::vector<double> a(a_in.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) a[i * n + j] = a[j * n + i] = a_in[i * n + j];
  std::vector<double> v(a.size(), 0.0);
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1.0;

  double fro2 = 0.0;
  for (double x : a) fro2 += x * x;
  const double tol2 = fro2 * 1e-30;  // stop at off(A) ≤ 1e-15·‖A‖_F: rounding level
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double off2 = 0.0;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) off2 += 2.0 * a[p * n + q] * a[p * n + q];
    if (off2 <= tol2) break;
    for (int64_t p = 0; p < n - 1; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        // Negligible against both diagonal entries: rotating would change nothing but the
        // rounding (Numerical Recipes' rule; it also makes the loop end at rounding level).
        const double g = 100.0 * std::fabs(apq);
        if (std::fabs(a[p * n + p]) + g == std::fabs(a[p * n + p]) &&
            std::fabs(a[q * n + q]) + g == std::fabs(a[q * n + q])) {
          a[p * n + q] = a[q * n + p] = 0.0;
          continue;
        }
        const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // columns: A ← A P
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {  // rows: A ← Pᵀ A
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = a[q * n + p] = 0.0;  // exactly, not to rounding
        for (int64_t k = 0; k < n; ++k) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }

  // Sort ascending, permuting the eigenvector columns with the values.
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return a[i * n + i] < a[j * n + j]; });
  SymmetricEigen out;
  out.values.resize(static_cast<std::size_t>(n));
  out.vectors.resize(a.size());
  for (int64_t j = 0; j < n; ++j) {
    out.values[j] = a[order[j] * n + order[j]];
    for (int64_t k = 0; k < n; ++k) out.vectors[k * n + j] = v[k * n + order[j]];
  }
  return out;
}

std::vector<double> sqrt_psd(const std::vector<double>& a, int64_t n) {
  const SymmetricEigen e = symmetric_eigen(a, n);
  std::vector<double> root(static_cast<std::size_t>(n)), s(a.size(), 0.0);
  for (int64_t j = 0; j < n; ++j) root[j] = std::sqrt(std::max(e.values[j], 0.0));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = i; k < n; ++k) {
      double sum = 0.0;
      for (int64_t j = 0; j < n; ++j) sum += e.vectors[i * n + j] * root[j] * e.vectors[k * n + j];
      s[i * n + k] = s[k * n + i] = sum;
    }
  return s;
}

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int64_t n) {
  std::vector<double> c(static_cast<std::size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      const double aik = a[i * n + k];
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  return c;
}

}  // namespace gm::eval
