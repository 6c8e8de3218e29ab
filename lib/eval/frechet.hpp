// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian
// N(μ, Σ) fitted to it (Heusel et al. 2017, "GANs trained by a two time-scale update rule
// converge to a local Nash equilibrium" — FID, with Inception features; here the features of
// a small Fashion-MNIST classifier, eval/classifier.hpp). The Fréchet (2-Wasserstein)
// distance between two Gaussians (Dowson & Landau 1982):
//   d² = |μa − μb|² + tr(Σa + Σb − 2 (Σa^{1/2} Σb Σa^{1/2})^{1/2})
// Σa^{1/2} Σb Σa^{1/2} is symmetric PSD and similar to Σa·Σb, so its square root's trace is
// Σ_i √λ_i(Σa^{1/2} Σb Σa^{1/2}) — two symmetric eigen-decompositions, no general sqrtm.
// Everything is in double; the features may be float.
//
// d² is reported (as FID is): 0 for identical statistics, in squared feature units. It is
// biased upwards for small sets (the sample covariances are noisy), so compare figures
// computed with the same n.
#pragma once

#include <cstdint>
#include <vector>

namespace gm::eval {

struct GaussianStats {
  int64_t n = 0, dim = 0;
  std::vector<double> mean;  // (dim)
  std::vector<double> cov;   // (dim, dim), unbiased: divided by n − 1 (numpy.cov's default)
};

// x (n, dim) row-major, n ≥ 2. Throws invalid_argument for n < 2 and invalid_data for a
// non-finite value. Parallel over covariance rows (OpenMP), each summed in row order: the
// result does not depend on the thread count.
GaussianStats gaussian_stats(const float* x, int64_t n, int64_t dim);

// d² above. Throws invalid_argument if the dimensions differ.
double frechet_distance(const GaussianStats& a, const GaussianStats& b);
double frechet_distance(const float* a, int64_t n, const float* b, int64_t m, int64_t dim);

}  // namespace gm::eval
