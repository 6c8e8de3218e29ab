#include <doctest/doctest.h>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/reference/reference.hpp"
#include "nn/spatial_mix.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("spatial_mix: starts as the identity, and M = P - I applies the permutation P") {
  ComputeScope scope(1);
  // A 3x3 plane rotated by 90 degrees counter-clockwise: out(i, j) = in(j, 2 - i).
  const int64_t B = 2, C = 2, S = 9;
  ParameterStore store;
  SpatialMix mix(store, "mix", C, S, 1);
  CHECK(store.entry(mix.weight()).name == "mix.weight");
  CHECK(store.entry(mix.weight()).shape == std::vector<int64_t>{1, S, S});
  mix.init_zero();
  const Vec x = randn(B * C * S, 1);
  Vec y(x.size());
  mix.forward(x.data(), y.data(), B);
  CHECK(y == x);
  float* M = store.value(mix.weight());
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      const int64_t p = i * 3 + j, q = j * 3 + (2 - i);
      M[p * S + q] += 1.0f;
      M[p * S + p] -= 1.0f;
    }
  mix.forward(x.data(), y.data(), B);
  for (int64_t r = 0; r < B * C; ++r)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 3; ++j)  // x_p + (x_q − x_p): exact up to one rounding
        REQUIRE(y[r * S + i * 3 + j] == doctest::Approx(x[r * S + j * 3 + (2 - i)]).epsilon(1e-6));
  CHECK_THROWS(SpatialMix(store, "bad", 6, S, 4));  // 4 groups do not divide 6 channels
  CHECK_THROWS(SpatialMix(store, "bad", 6, 0, 1));
}

TEST_CASE("spatial_mix: forward and backward against the reference loops, one group and several") {
  for (int64_t G : {1, 2, 4}) {
    CAPTURE(G);
    ComputeScope scope(2);
    const int64_t B = 3, C = 8, S = 49;
    ParameterStore store;
    SpatialMix mix(store, "mix", C, S, G);
    const Vec M = randn(G * S * S, 2, 0.2f);
    std::copy(M.begin(), M.end(), store.value(mix.weight()));
    const Vec x = randn(B * C * S, 3), dy = randn(B * C * S, 4);
    Vec y(x.size()), y_ref(x.size());
    mix.forward(x.data(), y.data(), B);
    ref::spatial_mix_forward(x.data(), M.data(), y_ref.data(), B, C, S, G);
    CHECK(rel_err(y, y_ref) < 1e-5);
    store.zero_grad();
    Vec dx(x.size()), dx_ref(x.size()), dM_ref(M.size(), 0.0f);
    mix.backward(x.data(), dy.data(), dx.data(), B);
    ref::spatial_mix_backward(x.data(), M.data(), dy.data(), dx_ref.data(), dM_ref.data(), B, C, S, G);
    CHECK(rel_err(dx, dx_ref) < 1e-5);
    CHECK(rel_err(store.grad(mix.weight()), dM_ref.data(), dM_ref.size()) < 1e-5);
    // Gradients add; weights = false leaves them alone and still writes dx.
    mix.backward(x.data(), dy.data(), nullptr, B);
    for (std::size_t i = 0; i < dM_ref.size(); ++i)
      REQUIRE(store.grad(mix.weight())[i] == doctest::Approx(2 * dM_ref[i]).epsilon(1e-4));
    Vec dx2(x.size());
    mix.backward(x.data(), dy.data(), dx2.data(), B, /*weights*/ false);
    CHECK(dx2 == dx);
    for (std::size_t i = 0; i < dM_ref.size(); ++i)
      REQUIRE(store.grad(mix.weight())[i] == doctest::Approx(2 * dM_ref[i]).epsilon(1e-4));
  }
}

TEST_CASE("spatial_mix: the reference's gradients against central differences") {
  const int64_t B = 2, C = 4, S = 5, G = 2;
  Vec M = randn(G * S * S, 5, 0.3f), x = randn(B * C * S, 6);
  const Vec r = randn(B * C * S, 7);
  Vec y(x.size()), dx(x.size()), dM(M.size(), 0.0f);
  auto loss = [&] {
    ref::spatial_mix_forward(x.data(), M.data(), y.data(), B, C, S, G);
    return dot(r, y.data());
  };
  ref::spatial_mix_backward(x.data(), M.data(), r.data(), dx.data(), dM.data(), B, C, S, G);
  CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss) < 2e-3);
  CHECK(grad_check(M.data(), dM.data(), static_cast<int64_t>(M.size()), loss) < 2e-3);
}
