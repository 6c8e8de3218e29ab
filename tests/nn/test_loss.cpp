#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/bce_row.hpp"
#include "nn/compute.hpp"
#include "nn/loss.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("bce_with_logits: closed forms, stability at large logits") {
  ComputeScope scope(2);
  // Row 0: l = 0 → σ = ½, −log ½ per pixel whatever x. Row 1: confident and right / wrong.
  const Vec l = {0, 0, 0, 100, -100, 100};
  const Vec x = {0, 1, 0.5f, 1, 0, 0};
  double per[2];
  Vec g(6);
  const double total = bce_with_logits(l.data(), x.data(), 2, 3, per, g.data(), 0.5f);
  CHECK(per[0] == doctest::Approx(3 * std::log(2.0)));
  CHECK(per[1] == doctest::Approx(100.0));  // log(1 + e^100) − 0 for the wrong pixel
  CHECK(total == doctest::Approx(per[0] + per[1]));
  CHECK(std::isfinite(per[1]));
  CHECK(g[0] == doctest::Approx(0.25f));   // ½·(½ − 0)
  CHECK(g[1] == doctest::Approx(-0.25f));  // ½·(½ − 1)
  CHECK(g[3] == doctest::Approx(0.0f));
  CHECK(g[5] == doctest::Approx(0.5f));
}

TEST_CASE("gaussian_nll and kl_std_normal: closed forms") {
  ComputeScope scope(2);
  const double half_log_2pi = 0.5 * std::log(2 * M_PI);
  const Vec x = {1, 2}, mu = {1, 0}, lv = {0, std::log(4.0f)};
  double per[1];
  // N(1; 1, 1) and N(2; 0, 4): ½log2π + 0 + 0, ½log2π + ½log4 + ½·4/4
  gaussian_nll(x.data(), mu.data(), lv.data(), 1, 2, per, nullptr, nullptr);
  CHECK(per[0] == doctest::Approx(2 * half_log_2pi + 0.5 * std::log(4.0) + 0.5));
  gaussian_nll(x.data(), mu.data(), nullptr, 1, 2, per, nullptr, nullptr);  // unit variance
  CHECK(per[0] == doctest::Approx(2 * half_log_2pi + 2.0));
  // KL(N(0,1)‖N(0,1)) = 0; KL(N(1,1)‖N(0,1)) = ½; KL(N(0,4)‖N(0,1)) = ½(4 − 1 − log 4)
  const Vec m2 = {0, 1, 0}, lv2 = {0, 0, std::log(4.0f)};
  double kl[3];
  const double total = kl_std_normal(m2.data(), lv2.data(), 3, 1, kl, nullptr, nullptr);
  CHECK(kl[0] == doctest::Approx(0.0));
  CHECK(kl[1] == doctest::Approx(0.5));
  CHECK(kl[2] == doctest::Approx(0.5 * (3.0 - std::log(4.0))));
  CHECK(total == doctest::Approx(kl[0] + kl[1] + kl[2]));
}

TEST_CASE("losses: finite-difference gradients") {
  ComputeScope scope(1);
  const int64_t B = 3, D = 5;
  std::vector<double> per(B);
  const float scale = 1.0f / B;
  {
    Vec l = randn(B * D, 1, 2.0f), g(l.size());
    const Vec x = randu(B * D, 2, 0, 1);
    auto loss = [&] { return scale * bce_with_logits(l.data(), x.data(), B, D, per.data(), nullptr); };
    bce_with_logits(l.data(), x.data(), B, D, per.data(), g.data(), scale);
    CHECK(grad_check(l.data(), g.data(), B * D, loss) < 1e-2);
  }
  {
    Vec mu = randn(B * D, 3), lv = randn(B * D, 4, 0.5f), gm(mu.size()), glv(lv.size());
    const Vec x = randn(B * D, 5);
    auto loss = [&] {
      return scale * gaussian_nll(x.data(), mu.data(), lv.data(), B, D, per.data(), nullptr, nullptr);
    };
    gaussian_nll(x.data(), mu.data(), lv.data(), B, D, per.data(), gm.data(), glv.data(), scale);
    CHECK(grad_check(mu.data(), gm.data(), B * D, loss) < 1e-2);
    CHECK(grad_check(lv.data(), glv.data(), B * D, loss) < 1e-2);
  }
  {
    Vec mu = randn(B * D, 6), lv = randn(B * D, 7, 0.5f), gm(mu.size()), glv(lv.size());
    auto loss = [&] { return scale * kl_std_normal(mu.data(), lv.data(), B, D, per.data(), nullptr, nullptr); };
    kl_std_normal(mu.data(), lv.data(), B, D, per.data(), gm.data(), glv.data(), scale);
    CHECK(grad_check(mu.data(), gm.data(), B * D, loss) < 1e-2);
    CHECK(grad_check(lv.data(), glv.data(), B * D, loss) < 1e-2);
  }
}

TEST_CASE("softmax_cross_entropy: closed forms, stability, bad labels") {
  ComputeScope scope(1);
  // Row 0: equal logits → −log ⅓; row 1: l = (0, log 3, 0) → softmax (⅕, ⅗, ⅕), label 0 costs log 5;
  // row 2: a logit of 1000 is still finite (log-sum-exp subtracts the max).
  const Vec l = {0, 0, 0, 0, std::log(3.0f), 0, 1000, 0, 0};
  const std::vector<int32_t> y = {1, 0, 1};
  double per[3];
  Vec g(9);
  const double total = softmax_cross_entropy(l.data(), y.data(), 3, 3, per, g.data(), 0.5f);
  CHECK(per[0] == doctest::Approx(std::log(3.0)));
  CHECK(per[1] == doctest::Approx(std::log(5.0)));
  CHECK(per[2] == doctest::Approx(1000.0));
  CHECK(total == doctest::Approx(per[0] + per[1] + per[2]));
  CHECK(g[0] == doctest::Approx(0.5f / 3));            // ½·(⅓ − 0)
  CHECK(g[1] == doctest::Approx(0.5f * (-2.0f / 3)));  // ½·(⅓ − 1)
  CHECK(g[3] == doctest::Approx(0.5f * (0.2f - 1)));
  CHECK(g[4] == doctest::Approx(0.5f * 0.6f));
  CHECK(g[6] == doctest::Approx(0.5f));
  CHECK(g[7] == doctest::Approx(-0.5f));
  for (float v : g) CHECK(std::isfinite(v));
  const std::vector<int32_t> bad = {0, 3, 0};
  CHECK_THROWS_AS(softmax_cross_entropy(l.data(), bad.data(), 3, 3, per, nullptr), gm::Error);
}

TEST_CASE("softmax_cross_entropy: finite-difference gradient") {
  ComputeScope scope(1);
  const int64_t B = 4, K = 7;
  std::vector<double> per(B);
  const std::vector<int32_t> y = {0, 6, 3, 3};
  Vec l = randn(B * K, 8, 2.0f), g(l.size());
  const float scale = 1.0f / B;
  auto loss = [&] { return scale * softmax_cross_entropy(l.data(), y.data(), B, K, per.data(), nullptr); };
  softmax_cross_entropy(l.data(), y.data(), B, K, per.data(), g.data(), scale);
  CHECK(grad_check(l.data(), g.data(), B * K, loss) < 1e-2);
  // Each row's gradient sums to zero: softmax sums to one, the one-hot too.
  for (int64_t b = 0; b < B; ++b) {
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += g[b * K + k];
    CHECK(std::fabs(s) < 1e-6);
  }
}

TEST_CASE("bce_row: the vectorised kernel matches libm in double") {
  // Logits over the whole useful range and beyond, both targets.
  const int64_t D = 1000;
  std::vector<float> l(D), x(D), g(D), g_ref(D);
  gm::Rng rng(3, 3);
  for (int64_t d = 0; d < D; ++d) {
    const double u = rng.uniform();
    l[d] = static_cast<float>(d < 900 ? 40.0 * (u - 0.5) : (d % 2 ? 1.0 : -1.0) * std::pow(10.0, 4.0 * u - 2.0));
    x[d] = static_cast<float>(rng.bernoulli(0.5));
  }
  l[0] = 0.0f;
  l[1] = -200.0f;
  l[2] = 200.0f;
  l[3] = 1e-30f;
  // Reference: the same formula through libm, in double.
  double ref = 0;
  for (int64_t d = 0; d < D; ++d) {
    const double v = l[d], e = std::exp(-std::fabs(v));
    ref += std::fmax(v, 0.0) - v * x[d] + std::log1p(e);
    g_ref[d] = static_cast<float>(0.5 * ((v >= 0 ? 1.0 : e) / (1.0 + e) - x[d]));
  }
  const double got = bce_row(l.data(), x.data(), D, g.data(), 0.5f);
  CHECK(got == doctest::Approx(ref).epsilon(1e-6));
  CHECK(bce_row(l.data(), x.data(), D, nullptr, 0.0f) == got);
  double per = 0;
  CHECK(bce_with_logits(l.data(), x.data(), 1, D, &per, nullptr) == got);  // the same kernel underneath
  for (int64_t d = 0; d < D; ++d) {
    INFO("logit " << l[d] << " target " << x[d]);
    CHECK(std::fabs(g[d] - g_ref[d]) <= 2e-7f);
    const double v = l[d];
    const double one = std::fmax(v, 0.0) - v * x[d] + std::log1p(std::exp(-std::fabs(v)));
    CHECK(bce_row(&l[d], &x[d], 1, nullptr, 0.0f) == doctest::Approx(one).epsilon(3e-7).scale(1e-30));
  }
}

// Far below the float range of e^x, and at NaN, exp_neg must not convert an out-of-range float
// to int (undefined behaviour that UBSan and the model-file fuzzer caught at x = -1e21: a
// hostile fvsbn file's logit; it also made the result NaN). The answer there is 0.
TEST_CASE("exp_neg: 0 far below the range, no out-of-range conversion") {
  for (float x : {-105.0f, -1e21f, -3.4e38f, -INFINITY, NAN}) {
    INFO("x = ", x);
    CHECK(gm::nn::exp_neg(x) == 0.0f);
  }
  CHECK(gm::nn::exp_neg(-87.5f) == doctest::Approx(std::exp(-87.5)).epsilon(1e-5));
  CHECK(gm::nn::exp_neg(-1.0f) == doctest::Approx(std::exp(-1.0)).epsilon(1e-6));
  std::vector<float> logits = {-1e21f, 1e21f, -3e38f, 3e38f}, x = {0, 1, 1, 0};
  CHECK(std::isfinite(gm::nn::bce_row(logits.data(), x.data(), 2, nullptr, 1.0f)));
}
