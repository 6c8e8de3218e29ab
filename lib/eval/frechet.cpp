#include "eval/frechet.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "eval/linalg.hpp"

namespace gm::eval {

GaussianStats gaussian_stats(const float* x, int64_t n, int64_t dim) {
  if (n < 2 || dim <= 0)
    fail(Status::invalid_argument, "Fréchet distance: need at least 2 vectors of dimension ≥ 1, got {}×{}", n, dim);
  if (x == nullptr) fail(Status::invalid_argument, "Fréchet distance: features are null");
  for (int64_t i = 0; i < n * dim; ++i)
    if (!std::isfinite(x[i]))
      fail(Status::invalid_data, "Fréchet distance: feature {} of row {} is not finite", i % dim, i / dim);
  GaussianStats s;
  s.n = n;
  s.dim = dim;
  s.mean.assign(static_cast<std::size_t>(dim), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < dim; ++j) s.mean[j] += x[i * dim + j];
  for (double& m : s.mean) m /= static_cast<double>(n);
  // Centred copy in double: the two-pass covariance, without the cancellation of E[xxᵀ] − μμᵀ.
  std::vector<double> c(static_cast<std::size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < dim; ++j) c[i * dim + j] = x[i * dim + j] - s.mean[j];
  s.cov.assign(static_cast<std::size_t>(dim * dim), 0.0);
  const double inv = 1.0 / static_cast<double>(n - 1);
#pragma omp parallel for schedule(dynamic, 4) if (n * dim * dim >= (int64_t{1} << 20))
  for (int64_t j = 0; j < dim; ++j) {
    std::vector<double> row(static_cast<std::size_t>(dim - j), 0.0);  // Σ[j][j..dim)
    for (int64_t i = 0; i < n; ++i) {
      const double* r = c.data() + i * dim;
      const double cj = r[j];
      for (int64_t k = j; k < dim; ++k) row[k - j] += cj * r[k];
    }
    for (int64_t k = j; k < dim; ++k) s.cov[j * dim + k] = s.cov[k * dim + j] = row[k - j] * inv;
  }
  return s;
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  if (a.dim != b.dim || a.dim <= 0)
    fail(Status::invalid_argument, "Fréchet distance: feature dimensions differ ({} and {})", a.dim, b.dim);
  const int64_t F = a.dim;
  double mean_term = 0.0, trace = 0.0;
  for (int64_t j = 0; j < F; ++j) {
    const double d = a.mean[j] - b.mean[j];
    mean_term += d * d;
    trace += a.cov[j * F + j] + b.cov[j * F + j];
  }
  const std::vector<double> ra = sqrt_psd(a.cov, F);
  std::vector<double> m = matmul(matmul(ra, b.cov, F), ra, F);  // Σa^{1/2} Σb Σa^{1/2}
  const SymmetricEigen e = symmetric_eigen(m, F);
  double root_trace = 0.0;  // tr((Σa^{1/2} Σb Σa^{1/2})^{1/2})
  for (double l : e.values) root_trace += std::sqrt(std::max(l, 0.0));
  // Rounding can leave a tiny negative value for identical statistics; d² ≥ 0 by definition.
  return std::max(mean_term + trace - 2.0 * root_trace, 0.0);
}

double frechet_distance(const float* a, int64_t n, const float* b, int64_t m, int64_t dim) {
  return frechet_distance(gaussian_stats(a, n, dim), gaussian_stats(b, m, dim));
}

}  // namespace gm::eval
