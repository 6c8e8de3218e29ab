#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/frechet.hpp"
#include "eval/linalg.hpp"
#include "helpers.hpp"

using namespace gm::eval;

namespace {

using Mat = std::vector<double>;

Mat random_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  gm::Rng rng(seed, 3);
  Mat m(static_cast<std::size_t>(rows * cols));
  for (double& v : m) v = rng.normal();
  return m;
}

// XᵀX / rows: symmetric PSD, rank min(rows, n).
Mat gram(const Mat& x, int64_t rows, int64_t n) {
  Mat g(static_cast<std::size_t>(n * n), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) g[i * n + j] += x[r * n + i] * x[r * n + j] / rows;
  return g;
}

double max_abs_diff(const Mat& a, const Mat& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// An orthogonal matrix: the eigenvectors of a random symmetric one.
Mat random_rotation(int64_t n, uint64_t seed) {
  Mat s = random_matrix(n, n, seed);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) s[i * n + j] = s[j * n + i];
  return symmetric_eigen(s, n).vectors;
}

// R·diag(d)·Rᵀ
Mat rotate_diag(const Mat& r, const std::vector<double>& d, int64_t n) {
  Mat m(static_cast<std::size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < n; ++k) m[i * n + j] += r[i * n + k] * d[k] * r[j * n + k];
  return m;
}

GaussianStats stats(std::vector<double> mean, Mat cov) {
  GaussianStats s;
  s.n = 100;
  s.dim = static_cast<int64_t>(mean.size());
  s.mean = std::move(mean);
  s.cov = std::move(cov);
  return s;
}

}  // namespace

TEST_CASE("symmetric_eigen: 2×2 closed form, reconstruction and orthogonality") {
  // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, −1)/√2 and (1, 1)/√2.
  const SymmetricEigen e2 = symmetric_eigen({2, 1, 1, 2}, 2);
  CHECK(e2.values[0] == doctest::Approx(1.0));
  CHECK(e2.values[1] == doctest::Approx(3.0));
  CHECK(std::fabs(e2.vectors[0 * 2 + 1]) == doctest::Approx(std::sqrt(0.5)));
  CHECK(e2.vectors[0 * 2 + 1] * e2.vectors[1 * 2 + 1] > 0);  // (1, 1) direction for λ = 3

  const int64_t n = 40;
  Mat a = random_matrix(n, n, 1);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) a[i * n + j] = a[j * n + i];
  const SymmetricEigen e = symmetric_eigen(a, n);
  for (int64_t j = 1; j < n; ++j) CHECK(e.values[j - 1] <= e.values[j]);
  CHECK(max_abs_diff(rotate_diag(e.vectors, e.values, n), a) < 1e-11);
  Mat vtv(static_cast<std::size_t>(n * n), 0.0);  // VᵀV = I
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < n; ++k) vtv[i * n + j] += e.vectors[k * n + i] * e.vectors[k * n + j];
  Mat eye(static_cast<std::size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) eye[i * n + i] = 1.0;
  CHECK(max_abs_diff(vtv, eye) < 1e-12);

  CHECK_THROWS_AS(symmetric_eigen({1, 2, 3}, 2), gm::Error);
  CHECK_THROWS_AS(symmetric_eigen({1, NAN, NAN, 1}, 2), gm::Error);
}

TEST_CASE("sqrt_psd: the square root squared gives back the matrix, full rank or not") {
  for (int64_t rows : {200, 10}) {  // rank 30 and rank 10 of 30
    const int64_t n = 30;
    const Mat a = gram(random_matrix(rows, n, 2 + rows), rows, n);
    const Mat s = sqrt_psd(a, n);
    CHECK(max_abs_diff(matmul(s, s, n), a) < 1e-10);
    bool symmetric = true;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) symmetric = symmetric && s[i * n + j] == s[j * n + i];
    CHECK(symmetric);
  }
  const Mat diag = {4, 0, 0, 9};
  const Mat r = sqrt_psd(diag, 2);
  CHECK(r[0] == doctest::Approx(2.0));
  CHECK(r[3] == doctest::Approx(3.0));
}

TEST_CASE("frechet_distance: closed forms for commuting covariances") {
  // 1-D: (μ1 − μ2)² + (σ1 − σ2)².
  CHECK(frechet_distance(stats({1.0}, {4.0}), stats({-2.0}, {9.0})) == doctest::Approx(9.0 + 1.0));
  // Diagonal: |μ1 − μ2|² + Σ (√a − √b)².
  const int64_t n = 16;
  gm::Rng rng(5, 0);
  std::vector<double> m1(n), m2(n), a(n), b(n);
  double expected = 0;
  for (int64_t i = 0; i < n; ++i) {
    m1[i] = rng.normal();
    m2[i] = rng.normal();
    a[i] = 0.1 + 3 * rng.uniform();
    b[i] = 0.1 + 3 * rng.uniform();
    expected += (m1[i] - m2[i]) * (m1[i] - m2[i]) + std::pow(std::sqrt(a[i]) - std::sqrt(b[i]), 2);
  }
  Mat da(n * n, 0.0), db(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    da[i * n + i] = a[i];
    db[i * n + i] = b[i];
  }
  CHECK(frechet_distance(stats(m1, da), stats(m2, db)) == doctest::Approx(expected).epsilon(1e-10));
  // The same covariances in a rotated basis: the distance is basis-free.
  const Mat r = random_rotation(n, 6);
  std::vector<double> rm1(n, 0.0), rm2(n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      rm1[i] += r[i * n + k] * m1[k];
      rm2[i] += r[i * n + k] * m2[k];
    }
  CHECK(frechet_distance(stats(rm1, rotate_diag(r, a, n)), stats(rm2, rotate_diag(r, b, n))) ==
        doctest::Approx(expected).epsilon(1e-9));
}

TEST_CASE("frechet_distance: symmetric, zero for identical sets, sample statistics") {
  const int64_t n = 500, F = 12;
  std::vector<float> x(n * F), y(n * F);
  gm::Rng rng(9, 0);
  for (int64_t i = 0; i < n * F; ++i) {
    x[i] = static_cast<float>(rng.normal());
    y[i] = static_cast<float>(0.5 + 2.0 * rng.normal() * ((i % F) < 4 ? 1.0 : 0.3) + 0.2 * x[i]);
  }
  const double dxy = frechet_distance(x.data(), n, y.data(), n, F);
  const double dyx = frechet_distance(y.data(), n, x.data(), n, F);
  CHECK(dxy > 1.0);
  CHECK(dxy == doctest::Approx(dyx).epsilon(1e-10));
  CHECK(frechet_distance(x.data(), n, x.data(), n, F) < 1e-9);

  // mean (1, 1), unbiased covariance diag(4/3, 4/3) of the corners of a 2×2 square.
  const std::vector<float> corners = {0, 0, 2, 0, 0, 2, 2, 2};
  const GaussianStats s = gaussian_stats(corners.data(), 4, 2);
  CHECK(s.mean[0] == doctest::Approx(1.0));
  CHECK(s.cov[0] == doctest::Approx(4.0 / 3));
  CHECK(s.cov[1] == doctest::Approx(0.0));
  CHECK(s.cov[3] == doctest::Approx(4.0 / 3));

  CHECK(evaltest::catch_error([&] { gaussian_stats(x.data(), 1, F); }).status == gm::Status::invalid_argument);
  x[5] = NAN;
  CHECK(evaltest::catch_error([&] { gaussian_stats(x.data(), n, F); }).status == gm::Status::invalid_data);
  CHECK(evaltest::catch_error([&] { frechet_distance(s, gaussian_stats(y.data(), n, F)); }).status ==
        gm::Status::invalid_argument);
}
