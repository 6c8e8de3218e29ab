#include "eval/knn_metrics.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/compute.hpp"
#include "nn/gemm.hpp"

namespace gm::eval {

namespace {
constexpr int64_t kBlock = 256;  // rows of the left set per product

std::vector<float> squared_norms(const float* x, int64_t n, int64_t dim) {
  std::vector<float> s(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double acc = 0.0;
    for (int64_t j = 0; j < dim; ++j) acc += static_cast<double>(x[i * dim + j]) * x[i * dim + j];
    s[i] = static_cast<float>(acc);
  }
  return s;
}

// For each block of rows of a: d2 (rows, nb) = ‖a_i‖² + ‖b_j‖² − 2 a_i·b_j (clamped at 0,
// which rounding can cross), then row(i0, i, d2 row) for every row of the block.
template <typename Row>
void for_distance_rows(const float* a, int64_t na, const float* b, int64_t nb, int64_t dim, Row&& row) {
  const nn::Gemm dot(false, true);  // a_block · bᵀ, b read as a transposed view
  const std::vector<float> sa = squared_norms(a, na, dim), sb = squared_norms(b, nb, dim);
  std::vector<float> d2(static_cast<std::size_t>(std::min(kBlock, na) * nb));
  for (int64_t i0 = 0; i0 < na; i0 += kBlock) {
    const int64_t rows = std::min(kBlock, na - i0);
    dot.run(rows, nb, dim, a + i0 * dim, dim, b, dim, d2.data(), nb);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      float* d = d2.data() + r * nb;
      for (int64_t j = 0; j < nb; ++j) d[j] = std::max(sa[i0 + r] + sb[j] - 2.0f * d[j], 0.0f);
      row(i0 + r, d);
    }
  }
}

void check(const float* x, int64_t n, int64_t dim, int64_t k, const char* what) {
  if (x == nullptr || dim <= 0 || k < 1 || n <= k)
    fail(Status::invalid_argument, "precision/recall: the {} set needs more than k = {} vectors, got {}×{}", what, k, n,
         dim);
}
}  // namespace

std::vector<float> knn_radii2(const float* x, int64_t n, int64_t dim, int64_t k, int threads) {
  check(x, n, dim, k, "feature");
  nn::ComputeScope scope(threads);
  std::vector<float> r2(static_cast<std::size_t>(n));
  // The (k+1)-th smallest distance of a row counts the point itself (distance ~0) first.
  for_distance_rows(x, n, x, n, dim, [&](int64_t i, float* d) {
    d[i] = -1.0f;  // the point itself: certainly the smallest, whatever rounding left there
    std::nth_element(d, d + k, d + n);
    r2[i] = d[k];
  });
  return r2;
}

KnnMetrics knn_metrics(const float* real, int64_t n, const float* fake, int64_t m, int64_t dim, int64_t k,
                       int threads) {
  check(real, n, dim, k, "real");
  check(fake, m, dim, k, "generated");
  nn::ComputeScope scope(threads);
  const std::vector<float> real_r2 = knn_radii2(real, n, dim, k, threads);
  const std::vector<float> fake_r2 = knn_radii2(fake, m, dim, k, threads);
  // Rows = generated points: inside some real ball (precision), how many (density).
  std::vector<int64_t> balls(static_cast<std::size_t>(m), 0);
  for_distance_rows(fake, m, real, n, dim, [&](int64_t j, const float* d) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) count += d[i] <= real_r2[i];
    balls[j] = count;
  });
  // Rows = real points: inside some generated ball (recall), own ball holds a sample (coverage).
  std::vector<uint8_t> recalled(static_cast<std::size_t>(n), 0), covered(static_cast<std::size_t>(n), 0);
  for_distance_rows(real, n, fake, m, dim, [&](int64_t i, const float* d) {
    float nearest = d[0];
    bool inside = false;
    for (int64_t j = 0; j < m; ++j) {
      inside = inside || d[j] <= fake_r2[j];
      nearest = std::min(nearest, d[j]);
    }
    recalled[i] = inside;
    covered[i] = nearest <= real_r2[i];
  });
  KnnMetrics r;
  for (int64_t c : balls) {
    r.precision += c > 0;
    r.density += static_cast<double>(c);
  }
  r.precision /= static_cast<double>(m);
  r.density /= static_cast<double>(k * m);
  for (int64_t i = 0; i < n; ++i) {
    r.recall += recalled[i];
    r.coverage += covered[i];
  }
  r.recall /= static_cast<double>(n);
  r.coverage /= static_cast<double>(n);
  return r;
}

}  // namespace gm::eval
