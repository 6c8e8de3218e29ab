#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/instance_norm.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {
void set_affine(ParameterStore& store, const InstanceNorm& in, const Vec& gamma, const Vec& beta) {
  std::copy(gamma.begin(), gamma.end(), store.value(in.gamma()));
  std::copy(beta.begin(), beta.end(), store.value(in.beta()));
}
}  // namespace

TEST_CASE("instance_norm: hand-computed statistics and output, per image and channel") {
  ComputeScope scope(1);
  ParameterStore store;
  InstanceNorm in(store, "in", 2);
  CHECK(store.count() == 2);
  CHECK(store.entry(in.gamma()).name == "in.weight");
  CHECK(store.entry(in.beta()).name == "in.bias");
  set_affine(store, in, {1.0f, 2.0f}, {0.0f, 0.5f});
  // (B=2, C=2, S=2): image 0 = {1, 3}, {10, 14}; image 1 = {5, 5}, {-1, 1}.
  const Vec x = {1, 3, 10, 14, 5, 5, -1, 1};
  Vec y(8), mean(4), var(4);
  in.forward(x.data(), y.data(), mean.data(), var.data(), 2, 2);
  CHECK(mean == Vec{2, 12, 5, 0});
  CHECK(var == Vec{1, 4, 0, 1});  // biased: the mean of squared deviations
  const double eps = 1e-5, s1 = 1 / std::sqrt(1 + eps), s4 = 1 / std::sqrt(4 + eps);
  CHECK(y[0] == doctest::Approx(-s1));
  CHECK(y[1] == doctest::Approx(s1));
  CHECK(y[2] == doctest::Approx(2 * -2 * s4 + 0.5));
  CHECK(y[3] == doctest::Approx(2 * 2 * s4 + 0.5));
  CHECK(y[4] == 0.0f);  // a constant plane gives β exactly
  CHECK(y[5] == 0.0f);
  CHECK(y[6] == doctest::Approx(2 * -s1 + 0.5));
  CHECK(y[7] == doctest::Approx(2 * s1 + 0.5));

  // Without affine nothing is registered and γ = 1, β = 0.
  ParameterStore bare;
  InstanceNorm plain(bare, "in", 2, /*affine*/ false);
  CHECK(bare.count() == 0);
  CHECK_FALSE(plain.affine());
  plain.forward(x.data(), y.data(), nullptr, nullptr, 2, 2);  // statistics are optional
  CHECK(y[2] == doctest::Approx(-2 * s4));
  CHECK(y[6] == doctest::Approx(-s1));
  CHECK_THROWS(InstanceNorm(bare, "bad", 0));
}

TEST_CASE("instance_norm: S = 1 gives beta exactly and a zero input gradient") {
  ComputeScope scope(1);
  const int64_t B = 5, C = 3;
  ParameterStore store;
  InstanceNorm in(store, "in", C);
  const Vec beta = randn(C, 1);
  set_affine(store, in, randu(C, 2, 0.5f, 2.0f), beta);
  const Vec x = randn(B * C, 3, 100.0f), dy = randn(B * C, 4);
  Vec y(x.size()), mean(B * C), var(B * C), dx(x.size(), 7.0f);
  in.forward(x.data(), y.data(), mean.data(), var.data(), B, 1);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      REQUIRE(y[b * C + c] == beta[c]);
      REQUIRE(mean[b * C + c] == x[b * C + c]);
      REQUIRE(var[b * C + c] == 0.0f);
    }
  store.zero_grad();
  in.backward(x.data(), dy.data(), mean.data(), var.data(), dx.data(), B, 1);
  for (float v : dx) REQUIRE(v == 0.0f);
  // dβ = Σ_b dy, dγ = Σ dy·x̂ = 0.
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t b = 0; b < B; ++b) s += dy[b * C + c];
    CHECK(store.grad(in.beta())[c] == doctest::Approx(s));
    CHECK(store.grad(in.gamma())[c] == 0.0f);
  }
}

TEST_CASE("instance_norm: the loops match the reference, S = 1 to 28x28, affine or not") {
  struct Case {
    int64_t B, C, S;
    float offset, scale;  // x = offset + scale·N(0, 1)
  };
  // The last two are past the parallel threshold (2^18 values); (2, 3, 49) with a mean far
  // from 0 against its spread tests the shifted one-pass variance.
  for (const Case k : {Case{1, 1, 1, 0, 1}, Case{4, 3, 1, 1.5f, 2}, Case{2, 3, 5, 1.5f, 2}, Case{3, 4, 49, 0, 1},
                       Case{2, 3, 49, 100, 0.1f}, Case{1, 16, 17, -3, 0.5f}, Case{4, 5, 784, 1.5f, 2},
                       Case{64, 64, 49, 0.5f, 1}, Case{8, 32, 1024, 1.5f, 2}}) {
    for (const bool affine : {true, false}) {
      CAPTURE(k.B);
      CAPTURE(k.C);
      CAPTURE(k.S);
      CAPTURE(affine);
      ComputeScope scope(2);
      ParameterStore store;
      InstanceNorm in(store, "in", k.C, affine);
      const Vec gamma = affine ? randu(k.C, 1, 0.5f, 1.5f) : Vec(k.C, 1.0f), beta = affine ? randn(k.C, 2) : Vec(k.C);
      if (affine) set_affine(store, in, gamma, beta);
      const int64_t n = k.B * k.C * k.S, R = k.B * k.C;
      Vec x = randn(n, 3, k.scale);
      for (auto& v : x) v += k.offset;
      const Vec dy = randn(n, 4);
      Vec y(n), y_ref(n), mean(R), var(R), mean_ref(R), var_ref(R);
      in.forward(x.data(), y.data(), mean.data(), var.data(), k.B, k.S);
      ref::instance_norm_forward(x.data(), affine ? gamma.data() : nullptr, affine ? beta.data() : nullptr,
                                 y_ref.data(), mean_ref.data(), var_ref.data(), k.B, k.C, k.S, in.eps());
      CHECK(rel_err(mean, mean_ref) < 1e-5);
      CHECK(rel_err(var, var_ref) < 2e-5);
      CHECK(rel_err(y, y_ref) < 2e-5);

      Vec dx(n), dx_ref(n), dg_ref(k.C, 0.5f), db_ref(k.C, 0.5f);
      std::fill(store.grads(), store.grads() + store.trainable_size(), 0.5f);
      in.backward(x.data(), dy.data(), mean.data(), var.data(), dx.data(), k.B, k.S);
      ref::instance_norm_backward(x.data(), affine ? gamma.data() : nullptr, mean_ref.data(), var_ref.data(), dy.data(),
                                  dx_ref.data(), dg_ref.data(), db_ref.data(), k.B, k.C, k.S, in.eps());
      CHECK(rel_err(dx, dx_ref) < 1e-4);
      if (affine) {  // added to the 0.5 already there
        CHECK(rel_err(store.grad(in.gamma()), dg_ref.data(), dg_ref.size()) < 1e-4);
        CHECK(rel_err(store.grad(in.beta()), db_ref.data(), db_ref.size()) < 1e-5);
      }

      // One thread gives the same bits as two (rows and channels are each one thread's).
      ComputeScope one(1);
      Vec y1(n), dx1(n);
      in.forward(x.data(), y1.data(), nullptr, nullptr, k.B, k.S);
      in.backward(x.data(), dy.data(), mean.data(), var.data(), dx1.data(), k.B, k.S);
      CHECK(std::memcmp(y1.data(), y.data(), n * sizeof(float)) == 0);
      CHECK(std::memcmp(dx1.data(), dx.data(), n * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("instance_norm: finite-difference gradients of input, scale and shift") {
  ComputeScope scope(1);
  for (const int64_t S : {int64_t{1}, int64_t{6}, int64_t{25}}) {
    CAPTURE(S);
    const int64_t B = 3, C = 2;
    ParameterStore store;
    InstanceNorm in(store, "in", C);
    set_affine(store, in, randu(C, 7, 0.5f, 1.5f), randn(C, 8));
    Vec x = randn(B * C * S, 9);
    const Vec r = randn(B * C * S, 10);
    Vec y(x.size()), dx(x.size()), mean(B * C), var(B * C);
    auto loss = [&] {
      in.forward(x.data(), y.data(), mean.data(), var.data(), B, S);
      return dot(r, y.data());
    };
    loss();
    store.zero_grad();
    in.backward(x.data(), r.data(), mean.data(), var.data(), dx.data(), B, S);
    // dx sums to 0 over each plane (the output ignores a shift of it); the 0.05·max|num|
    // floor of grad_check keeps the small entries from dominating.
    CHECK(grad_check(x.data(), dx.data(), B * C * S, loss, 1e-2f) < 2e-2);
    CHECK(grad_check(store.value(in.gamma()), store.grad(in.gamma()), C, loss) < 1e-2);
    CHECK(grad_check(store.value(in.beta()), store.grad(in.beta()), C, loss) < 1e-2);
  }
}
