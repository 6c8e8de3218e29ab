#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/knn_metrics.hpp"

using namespace gm::eval;

namespace {
std::vector<float> gaussian_cloud(int64_t n, int64_t dim, float shift, uint64_t seed) {
  gm::Rng rng(seed, 0);
  std::vector<float> x(static_cast<std::size_t>(n * dim));
  for (float& v : x) v = shift + static_cast<float>(rng.normal());
  return x;
}
}  // namespace

TEST_CASE("knn radii and metrics: a 1-D hand case") {
  // Real points 0, 1, 2, 3: every nearest neighbour is at distance 1 (k = 1).
  const std::vector<float> real = {0, 1, 2, 3}, fake = {0.5f, 10, 10.5f};
  const std::vector<float> r2 = knn_radii2(real.data(), 4, 1, 1);
  for (float r : r2) CHECK(r == doctest::Approx(1.0f));
  CHECK(knn_radii2(real.data(), 4, 1, 2)[0] == doctest::Approx(4.0f));  // 0's 2nd neighbour is 2
  // Fake radii (k = 1): 0.5 → 9.5, 10 → 0.5, 10.5 → 0.5. Only 0.5 lies in a real ball;
  // every real point lies within 9.5 of 0.5.
  // Density: 0.5 lies in the balls of 0 and 1, so 2 / (k·M) = 2/3; coverage: the balls of
  // 0 and 1 hold a sample, 2 of 4.
  const KnnMetrics pr = knn_metrics(real.data(), 4, fake.data(), 3, 1, 1);
  CHECK(pr.precision == doctest::Approx(1.0 / 3));
  CHECK(pr.recall == doctest::Approx(1.0));
  CHECK(pr.density == doctest::Approx(2.0 / 3));
  CHECK(pr.coverage == doctest::Approx(0.5));
}

TEST_CASE("knn metrics: identical sets, far sets, a collapsed set, a fresh sample") {
  const int64_t n = 600, dim = 8;
  const std::vector<float> real = gaussian_cloud(n, dim, 0.0f, 1);
  // Identical: every point in its own ball; each ball holds its centre and k neighbours, so
  // density = N(k + 1) / (kN) (up to boundary points that rounding moves out).
  KnnMetrics pr = knn_metrics(real.data(), n, real.data(), n, dim);
  CHECK(pr.precision == 1.0);
  CHECK(pr.recall == 1.0);
  CHECK(pr.coverage == 1.0);
  CHECK(pr.density == doctest::Approx(4.0 / 3).epsilon(0.01));
  const std::vector<float> far = gaussian_cloud(n, dim, 50.0f, 2);
  pr = knn_metrics(real.data(), n, far.data(), n, dim);
  CHECK(pr.precision == 0.0);
  CHECK(pr.recall == 0.0);
  CHECK(pr.density == 0.0);
  CHECK(pr.coverage == 0.0);
  // Mode collapse: every generated point is a copy of one of 30 real points.
  std::vector<float> collapsed(static_cast<std::size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < dim; ++j) collapsed[i * dim + j] = real[(i % 30) * dim + j];
  pr = knn_metrics(real.data(), n, collapsed.data(), n, dim);
  MESSAGE("collapsed: precision " << pr.precision << ", recall " << pr.recall << ", coverage " << pr.coverage);
  CHECK(pr.precision == 1.0);
  CHECK(pr.recall < 0.2);
  CHECK(pr.coverage < 0.2);
  // A fresh sample of the same distribution: both high.
  const std::vector<float> same = gaussian_cloud(n, dim, 0.0f, 3);
  pr = knn_metrics(real.data(), n, same.data(), n, dim);
  MESSAGE("fresh sample: precision " << pr.precision << ", recall " << pr.recall << ", density " << pr.density
                                     << ", coverage " << pr.coverage);
  CHECK(pr.precision > 0.6);
  CHECK(pr.recall > 0.6);
  CHECK(pr.density > 0.6);
  CHECK(pr.coverage > 0.6);
  CHECK_THROWS_AS(knn_metrics(real.data(), 3, same.data(), n, dim), gm::Error);
}
