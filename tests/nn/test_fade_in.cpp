#include <doctest/doctest.h>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/fade_in.hpp"
#include "nn/resample.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("fade_in: alpha·new + (1 − alpha)·upsampled old, exactly, on a hand-made input") {
  ComputeScope scope(1);
  // ProGAN's generator growing from 2×2 to 4×4 (one image, one channel): the old path's image
  // is upsampled and blended with the new block's. Values and α = 0.25 are exact in binary, so
  // the expected outputs are exact too: 0.25·new + 0.75·old.
  const Vec old_img = {4, -8, 2, 16};  // 2×2
  const Vec fresh = {0, 4, 8, 12, -4, 0, 4, 8, 16, 0, 0, -16, 1, 2, 3, 4};
  Vec up(16), y(16);
  upsample_nearest2x_forward(old_img.data(), up.data(), 1, 1, 2, 2);
  fade_in_forward(0.25f, fresh.data(), up.data(), y.data(), 16);
  const Vec expect = {3,     4,    -4,     -3,  // 0.75·{4, 4, −8, −8} + 0.25·{0, 4, 8, 12}
                      2,     3,    -5,     -4,  //                     + 0.25·{−4, 0, 4, 8}
                      5.5f,  1.5f, 12,     8,   // 0.75·{2, 2, 16, 16} + 0.25·{16, 0, 0, −16}
                      1.75f, 2,    12.75f, 13};
  CHECK(y == expect);
  for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == 0.25f * fresh[i] + 0.75f * up[i]);

  // The ends of the schedule: α = 1 is the new path, α = 0 the old one, bit for bit.
  fade_in_forward(1.0f, fresh.data(), up.data(), y.data(), 16);
  CHECK(y == fresh);
  fade_in_forward(0.0f, fresh.data(), up.data(), y.data(), 16);
  CHECK(y == up);

  // Backward: α·dy to the new path, (1 − α)·dy to the old one (then summed over each 2×2
  // block by the upsampling's backward).
  const Vec dy = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  Vec d_fresh(16), d_up(16), d_old(4);
  fade_in_backward(0.25f, dy.data(), d_fresh.data(), d_up.data(), 16);
  for (std::size_t i = 0; i < dy.size(); ++i) {
    REQUIRE(d_fresh[i] == 0.25f * dy[i]);
    REQUIRE(d_up[i] == 0.75f * dy[i]);
  }
  upsample_nearest2x_backward(d_up.data(), d_old.data(), 1, 1, 2, 2);
  CHECK(d_old == Vec{0.75f * 14, 0.75f * 22, 0.75f * 46, 0.75f * 54});

  CHECK_THROWS_AS(fade_in_forward(1.5f, fresh.data(), up.data(), y.data(), 16), gm::Error);
  CHECK_THROWS_AS(fade_in_backward(-0.1f, dy.data(), d_fresh.data(), nullptr, 16), gm::Error);
}

TEST_CASE("fade_in: backward in place over dy, one side only, and finite differences") {
  ComputeScope scope(2);
  const int64_t n = (1 << 18) + 5;  // past the parallel threshold
  const float alpha = 0.3f;
  const Vec dy = randn(n, 1);
  Vec d_fresh(n), d_old(n);
  fade_in_backward(alpha, dy.data(), d_fresh.data(), d_old.data(), n);
  Vec a = dy, b(n);  // d_fresh over dy
  fade_in_backward(alpha, a.data(), a.data(), b.data(), n);
  CHECK(a == d_fresh);
  CHECK(b == d_old);
  Vec c(n), d = dy;  // d_old over dy
  fade_in_backward(alpha, d.data(), c.data(), d.data(), n);
  CHECK(c == d_fresh);
  CHECK(d == d_old);
  Vec only(n);
  fade_in_backward(alpha, dy.data(), nullptr, only.data(), n);
  CHECK(only == d_old);

  ComputeScope one(1);
  const int64_t m = 12;
  Vec fresh = randn(m, 2), old = randn(m, 3);
  const Vec r = randn(m, 4);
  Vec y(m), gf(m), go(m);
  auto loss = [&] {
    fade_in_forward(alpha, fresh.data(), old.data(), y.data(), m);
    return dot(r, y.data());
  };
  fade_in_backward(alpha, r.data(), gf.data(), go.data(), m);
  CHECK(grad_check(fresh.data(), gf.data(), m, loss) < 1e-2);
  CHECK(grad_check(old.data(), go.data(), m, loss) < 1e-2);
  CHECK(grad_check(old.data(), gf.data(), m, loss) > 0.1);  // the two sides swapped
}
