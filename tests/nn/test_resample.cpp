#include <doctest/doctest.h>

#include <cstring>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/reference/reference.hpp"
#include "nn/resample.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("resample: hand-computed upsampling and pooling, and pooling undoes upsampling") {
  ComputeScope scope(1);
  const Vec x = {1, 2, 3, 4, 5, 6};  // (1, 1, 2, 3)
  Vec up(24);
  upsample_nearest2x_forward(x.data(), up.data(), 1, 1, 2, 3);
  CHECK(up == Vec{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6});
  Vec back(6);
  avg_pool2x2_forward(up.data(), back.data(), 1, 1, 4, 6);
  CHECK(back == x);

  const Vec img = {1, 3, 0, 8, 5, 7, 4, 4, 2, 2, -1, 1, 2, 2, 3, -3};  // (1, 1, 4, 4)
  Vec pooled(4);
  avg_pool2x2_forward(img.data(), pooled.data(), 1, 1, 4, 4);
  CHECK(pooled == Vec{4, 4, 2, 0});
  // Backward: the pool spreads a quarter of each gradient over its window; the upsampling
  // sums its four copies.
  Vec dimg(16);
  avg_pool2x2_backward(Vec{4, 8, -4, 1}.data(), dimg.data(), 1, 1, 4, 4);
  CHECK(dimg == Vec{1, 1, 2, 2, 1, 1, 2, 2, -1, -1, 0.25f, 0.25f, -1, -1, 0.25f, 0.25f});
  Vec dx(4);
  upsample_nearest2x_backward(img.data(), dx.data(), 1, 1, 2, 2);
  CHECK(dx == Vec{16, 16, 8, 0});

  Vec odd(6);
  CHECK_THROWS_AS(avg_pool2x2_forward(x.data(), odd.data(), 1, 1, 2, 3), gm::Error);
  CHECK_THROWS_AS(avg_pool2x2_backward(x.data(), odd.data(), 1, 1, 3, 2), gm::Error);
}

TEST_CASE("resample: the loops match the reference and are each other's adjoints") {
  struct Case {
    int64_t B, C, H, W;
  };
  // Non-square planes, one pixel, and two past 2^18 values (planes in parallel).
  for (const Case k : {Case{1, 1, 1, 1}, Case{2, 3, 2, 4}, Case{3, 2, 5, 3}, Case{4, 16, 8, 8}, Case{8, 32, 32, 32},
                       Case{2, 3, 128, 96}}) {
    CAPTURE(k.B);
    CAPTURE(k.C);
    CAPTURE(k.H);
    CAPTURE(k.W);
    ComputeScope scope(2);
    const int64_t n = k.B * k.C * k.H * k.W;
    const Vec x = randn(n, 1), dy = randn(4 * n, 2);
    Vec y(4 * n), y_ref(4 * n), dx(n), dx_ref(n);
    upsample_nearest2x_forward(x.data(), y.data(), k.B, k.C, k.H, k.W);
    upsample_nearest2x_backward(dy.data(), dx.data(), k.B, k.C, k.H, k.W);
    ref::upsample_nearest2x_forward(x.data(), y_ref.data(), k.B, k.C, k.H, k.W);
    ref::upsample_nearest2x_backward(dy.data(), dx_ref.data(), k.B, k.C, k.H, k.W);
    CHECK(y == y_ref);
    CHECK(rel_err(dx, dx_ref) < 1e-6);
    // ⟨up(x), dy⟩ = ⟨x, upᵀ(dy)⟩: backward is the forward's adjoint.
    CHECK(dot(dy, y.data()) == doctest::Approx(dot(x, dx.data())).epsilon(1e-5));

    // The pool on the upsampled size (always even).
    const int64_t H2 = 2 * k.H, W2 = 2 * k.W;
    const Vec p = randn(4 * n, 3), dp = randn(n, 4);
    Vec q(n), q_ref(n), dq(4 * n), dq_ref(4 * n);
    avg_pool2x2_forward(p.data(), q.data(), k.B, k.C, H2, W2);
    avg_pool2x2_backward(dp.data(), dq.data(), k.B, k.C, H2, W2);
    ref::avg_pool2x2_forward(p.data(), q_ref.data(), k.B, k.C, H2, W2);
    ref::avg_pool2x2_backward(dp.data(), dq_ref.data(), k.B, k.C, H2, W2);
    CHECK(rel_err(q, q_ref) < 1e-5);  // a float sum of 4 can cancel (1.1e-6 on one 1×1 plane)
    CHECK(dq == dq_ref);
    CHECK(dot(dp, q.data()) == doctest::Approx(dot(p, dq.data())).epsilon(1e-5));

    ComputeScope one(1);
    Vec y1(4 * n), q1(n);
    upsample_nearest2x_forward(x.data(), y1.data(), k.B, k.C, k.H, k.W);
    avg_pool2x2_forward(p.data(), q1.data(), k.B, k.C, H2, W2);
    CHECK(y1 == y);
    CHECK(std::memcmp(q1.data(), q.data(), q.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("resample: finite-difference gradients, and the transposed index fails") {
  ComputeScope scope(1);
  const int64_t B = 2, C = 2, H = 2, W = 4, n = B * C * H * W;
  Vec x = randn(n, 5);
  const Vec r_up = randn(4 * n, 6);
  Vec y(4 * n), dx(n);
  auto up_loss = [&] {
    upsample_nearest2x_forward(x.data(), y.data(), B, C, H, W);
    return dot(r_up, y.data());
  };
  upsample_nearest2x_backward(r_up.data(), dx.data(), B, C, H, W);
  CHECK(grad_check(x.data(), dx.data(), n, up_loss) < 1e-2);

  Vec p = randn(4 * n, 7);
  const Vec r_pool = randn(n, 8);
  Vec q(n), dp(4 * n);
  auto pool_loss = [&] {
    avg_pool2x2_forward(p.data(), q.data(), B, C, 2 * H, 2 * W);
    return dot(r_pool, q.data());
  };
  avg_pool2x2_backward(r_pool.data(), dp.data(), B, C, 2 * H, 2 * W);
  CHECK(grad_check(p.data(), dp.data(), 4 * n, pool_loss) < 1e-2);
  // The gradient of a pool read with its window misplaced (rows and columns swapped within
  // each plane) is O(1) off.
  Vec swapped(4 * n);
  for (int64_t q0 = 0; q0 < B * C; ++q0)
    for (int64_t h = 0; h < 2 * H; ++h)
      for (int64_t w = 0; w < 2 * W; ++w)
        swapped[(q0 * 2 * H + h) * 2 * W + w] = 0.25f * r_pool[(q0 * H + (w / 2) % H) * W + (h / 2) % W];
  CHECK(grad_check(p.data(), swapped.data(), 4 * n, pool_loss) > 0.1);
}
