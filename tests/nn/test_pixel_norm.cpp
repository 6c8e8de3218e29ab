#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/pixel_norm.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("pixel_norm: hand-computed pixels, unit mean square per pixel, scale invariance") {
  ComputeScope scope(1);
  // (B=1, C=2, S=3): pixel 0 = (3, 4), pixel 1 = (1, −1), pixel 2 = (0, 0).
  const Vec x = {3, 1, 0, 4, -1, 0};
  Vec y(6);
  pixel_norm_forward(x.data(), y.data(), 1, 2, 3);
  const double r0 = 1 / std::sqrt(12.5 + 1e-8), r1 = 1 / std::sqrt(1 + 1e-8);
  CHECK(y[0] == doctest::Approx(3 * r0));
  CHECK(y[3] == doctest::Approx(4 * r0));
  CHECK(y[1] == doctest::Approx(r1));
  CHECK(y[4] == doctest::Approx(-r1));
  CHECK(y[2] == 0.0f);  // ε keeps a zero pixel finite
  CHECK(y[5] == 0.0f);

  // Every pixel leaves with mean_c y² = 1 (up to ε), whatever the input's scale, and a
  // positive rescaling of a pixel's features does not change the output.
  const int64_t B = 2, C = 5, S = 7;
  const Vec a = randn(B * C * S, 1, 3.0f);
  Vec ya(a.size()), big(a), yb(a.size());
  for (auto& v : big) v *= 1000.0f;
  pixel_norm_forward(a.data(), ya.data(), B, C, S);
  pixel_norm_forward(big.data(), yb.data(), B, C, S);
  CHECK(rel_err(yb, ya) < 1e-6);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = 0; p < S; ++p) {
      double q = 0;
      for (int64_t c = 0; c < C; ++c) q += double(ya[(b * C + c) * S + p]) * ya[(b * C + c) * S + p];
      CHECK(q / C == doctest::Approx(1.0).epsilon(1e-6));
    }
  // In place gives the same values.
  Vec inplace = a;
  pixel_norm_forward(inplace.data(), inplace.data(), B, C, S);
  CHECK(inplace == ya);
  CHECK_THROWS(pixel_norm_forward(a.data(), ya.data(), B, 0, S));
}

TEST_CASE("pixel_norm: the loops match the reference, one pixel to past the parallel threshold") {
  struct Case {
    int64_t B, C, S;
  };
  // S = 1 is ProGAN's latent normalisation; 300 pixels cross a 256-pixel block; the last two
  // are past 2^18 values (parallel blocks).
  for (const Case k : {Case{1, 1, 1}, Case{3, 512, 1}, Case{2, 3, 5}, Case{4, 16, 16}, Case{2, 7, 300},
                       Case{16, 128, 256}, Case{1, 8, 64 * 64 * 9}}) {
    CAPTURE(k.B);
    CAPTURE(k.C);
    CAPTURE(k.S);
    ComputeScope scope(2);
    const int64_t n = k.B * k.C * k.S;
    const Vec x = randn(n, 2, 2.0f), dy = randn(n, 3);
    Vec y(n), y_ref(n), dx(n), dx_ref(n);
    pixel_norm_forward(x.data(), y.data(), k.B, k.C, k.S);
    pixel_norm_backward(x.data(), dy.data(), dx.data(), k.B, k.C, k.S);
    ref::pixel_norm_forward(x.data(), y_ref.data(), k.B, k.C, k.S, kPixelNormEps);
    if (k.C <= 128) {  // the reference's backward is O(C²) per pixel
      ref::pixel_norm_backward(x.data(), dy.data(), dx_ref.data(), k.B, k.C, k.S, kPixelNormEps);
      // Measured against the terms dx is the difference of (r·dy and its projection onto y):
      // at C = 1 the layer is sign(x) and dx = ε/(x² + ε)^{3/2}·dy ≈ 1e-8, all cancellation.
      double diff = 0, scale = 1e-30;
      for (int64_t i = 0; i < n; ++i) {
        double q = 0;  // the pixel's mean square, for r
        const int64_t b = i / (k.C * k.S), p = i % k.S;
        for (int64_t c = 0; c < k.C; ++c) q += double(x[(b * k.C + c) * k.S + p]) * x[(b * k.C + c) * k.S + p];
        scale = std::max({scale, std::fabs(double(dx_ref[i])), std::fabs(dy[i]) / std::sqrt(q / k.C + 1e-8)});
        diff = std::max(diff, std::fabs(double(dx[i]) - dx_ref[i]));
      }
      CHECK(diff / scale < 2e-5);
    }
    CHECK(rel_err(y, y_ref) < 2e-5);

    // One thread gives the same bits as two (each pixel is one block's).
    ComputeScope one(1);
    Vec y1(n), dx1(n);
    pixel_norm_forward(x.data(), y1.data(), k.B, k.C, k.S);
    pixel_norm_backward(x.data(), dy.data(), dx1.data(), k.B, k.C, k.S);
    CHECK(std::memcmp(y1.data(), y.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(dx1.data(), dx.data(), n * sizeof(float)) == 0);
  }
}

TEST_CASE("pixel_norm: finite-difference input gradient, and a gradient without the projection fails") {
  ComputeScope scope(1);
  for (const int64_t S : {int64_t{1}, int64_t{6}}) {
    CAPTURE(S);
    const int64_t B = 2, C = 4, n = B * C * S;
    Vec x = randn(n, 4);
    const Vec r = randn(n, 5);
    Vec y(n), dx(n);
    auto loss = [&] {
      pixel_norm_forward(x.data(), y.data(), B, C, S);
      return dot(r, y.data());
    };
    pixel_norm_backward(x.data(), r.data(), dx.data(), B, C, S);
    CHECK(grad_check(x.data(), dx.data(), n, loss) < 1e-2);
    // dx in place over dy gives the same values.
    Vec inplace = r;
    pixel_norm_backward(x.data(), inplace.data(), inplace.data(), B, C, S);
    CHECK(inplace == dx);
    // The check has teeth: r·dy alone (the term through r dropped) is O(1) off.
    Vec naive(n);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t p = 0; p < S; ++p) {
        double q = 0;
        for (int64_t c = 0; c < C; ++c) q += double(x[(b * C + c) * S + p]) * x[(b * C + c) * S + p];
        for (int64_t c = 0; c < C; ++c)
          naive[(b * C + c) * S + p] = float(r[(b * C + c) * S + p] / std::sqrt(q / C + 1e-8));
      }
    CHECK(grad_check(x.data(), naive.data(), n, loss) > 0.1);
  }
}
