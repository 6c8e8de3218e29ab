// k-nearest-neighbour manifold metrics on feature vectors: the Fréchet distance mixes
// fidelity and diversity into one number; these separate them. Each set's manifold is
// estimated as the union of balls B(x, NND_k(x)) around its points, NND_k(x) being the
// distance from x to its k-th nearest neighbour within the same set.
//
// Improved precision and recall (Kynkäänniemi et al. 2019), real X (N), generated Y (M):
//   precision = (1/M) Σ_j [Y_j inside some real ball]     (are the samples realistic?)
//   recall    = (1/N) Σ_i [X_i inside some generated ball] (is every mode covered?)
// A collapsed generator keeps precision and loses recall; blurry samples the other way.
// Precision is fragile: one real outlier has a large ball, and a generator whose samples
// land there scores high (measured: uniform noise gets precision 0.60 — docs/eval.md).
//
// Density and coverage (Naeem et al. 2020) use only the real balls, which fixes that:
//   density  = 1/(kM) Σ_j #{i : Y_j ∈ B(X_i, NND_k(X_i))}   (≈ 1 for Y ~ X; can exceed 1)
//   coverage = (1/N) Σ_i [some Y_j ∈ B(X_i, NND_k(X_i))]   (≈ 1 − 2^{−k} for Y ~ X)
//
// Cost: four n×m distance products (a oneDNN matmul, ‖a‖² + ‖b‖² − 2a·b in float, in row
// blocks so memory stays at 256 rows × the other set) and one selection per row.
#pragma once

#include <cstdint>
#include <vector>

namespace gm::eval {

struct KnnMetrics {
  double precision = 0.0, recall = 0.0;  // Kynkäänniemi et al. 2019
  double density = 0.0, coverage = 0.0;  // Naeem et al. 2020
};

// The squared distance from each of the n rows of x (n, dim) to its k-th nearest other row.
// Requires n > k ≥ 1.
std::vector<float> knn_radii2(const float* x, int64_t n, int64_t dim, int64_t k, int threads = 0);

// real (n, dim), fake (m, dim); n, m > k. The papers use k = 3 (precision / recall) and
// k = 5 (density / coverage); one k serves all four here.
KnnMetrics knn_metrics(const float* real, int64_t n, const float* fake, int64_t m, int64_t dim, int64_t k = 3,
                       int threads = 0);

}  // namespace gm::eval
