#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"
#include "nn/batch_norm.hpp"
#include "nn/compute.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("batch_norm: hand-computed statistics, output and running update") {
  ComputeScope scope(2);
  ParameterStore store;
  BatchNorm bn(store, "bn", 2, 1e-5f, 0.1f);
  store.value(bn.gamma())[1] = 2.0f;
  store.value(bn.beta())[1] = 0.5f;
  const Vec x = {1, 10, 3, 14};  // (B=2, C=2): channel 0 = {1, 3}, channel 1 = {10, 14}
  Vec y(4), mean(2), var(2);
  bn.forward_train(x.data(), y.data(), mean.data(), var.data(), 2, 1);
  CHECK(mean == Vec{2, 12});
  CHECK(var == Vec{1, 4});  // biased: mean of squared deviations
  const float s0 = 1.0f / std::sqrt(1.0f + 1e-5f), s1 = 1.0f / std::sqrt(4.0f + 1e-5f);
  CHECK(y[0] == doctest::Approx(-s0));
  CHECK(y[2] == doctest::Approx(s0));
  CHECK(y[1] == doctest::Approx(2.0f * -2.0f * s1 + 0.5f));
  CHECK(y[3] == doctest::Approx(2.0f * 2.0f * s1 + 0.5f));
  // running ← 0.9·running + 0.1·batch, the variance unbiased (n/(n−1) = 2).
  const float* rm = store.value(bn.running_mean());
  const float* rv = store.value(bn.running_var());
  CHECK(rm[0] == doctest::Approx(0.2f));
  CHECK(rm[1] == doctest::Approx(1.2f));
  CHECK(rv[0] == doctest::Approx(0.9f + 0.1f * 2.0f));
  CHECK(rv[1] == doctest::Approx(0.9f + 0.1f * 8.0f));
  // Running statistics are state: saved, never in the trainable buffer.
  CHECK(store.trainable_size() == 32);  // γ and β, 16-float aligned
  CHECK(store.tensors().size() == 4);
}

TEST_CASE("batch_norm: oneDNN matches the reference, (B, C) and (B, C, H·W)") {
  ComputeScope scope(2);
  struct Case {
    int64_t B, C, S;
  };
  for (const Case c : {Case{3, 1, 1}, Case{7, 5, 1}, Case{64, 33, 1}, Case{3, 4, 9}, Case{1, 3, 25}, Case{5, 16, 16}}) {
    CAPTURE(c.B);
    CAPTURE(c.C);
    CAPTURE(c.S);
    ParameterStore store;
    BatchNorm bn(store, "bn", c.C);
    const Vec gamma = randu(c.C, 1, 0.5f, 1.5f), beta = randn(c.C, 2);
    std::copy(gamma.begin(), gamma.end(), store.value(bn.gamma()));
    std::copy(beta.begin(), beta.end(), store.value(bn.beta()));
    const int64_t n = c.B * c.C * c.S;
    Vec x = randn(n, 3, 2.0f);
    for (auto& v : x) v += 1.5f;
    const Vec dy = randn(n, 4);
    Vec y(x.size()), y_ref(x.size()), mean(c.C), var(c.C), mean_ref(c.C), var_ref(c.C);
    bn.forward_train(x.data(), y.data(), mean.data(), var.data(), c.B, c.S);
    ref::batch_norm_forward_train(x.data(), gamma.data(), beta.data(), y_ref.data(), mean_ref.data(), var_ref.data(),
                                  c.B, c.C, c.S, bn.eps());
    CHECK(rel_err(mean, mean_ref) < 1e-5);
    CHECK(rel_err(var, var_ref) < 1e-5);
    CHECK(rel_err(y, y_ref) < 1e-4);

    Vec dx(x.size()), dx_ref(x.size()), dg_ref(c.C, 0.5f), db_ref(c.C, 0.5f);
    std::fill(store.grads(), store.grads() + store.trainable_size(), 0.5f);
    bn.backward(x.data(), dy.data(), mean.data(), var.data(), dx.data(), c.B, c.S);
    ref::batch_norm_backward(x.data(), gamma.data(), mean.data(), var.data(), dy.data(), dx_ref.data(), dg_ref.data(),
                             db_ref.data(), c.B, c.C, c.S, bn.eps());
    if (c.B * c.S > 1) CHECK(rel_err(dx, dx_ref) < 1e-4);
    CHECK(rel_err(store.grad(bn.gamma()), dg_ref.data(), dg_ref.size()) < 1e-4);
    CHECK(rel_err(store.grad(bn.beta()), db_ref.data(), db_ref.size()) < 1e-5);

    bn.forward_infer(x.data(), y.data(), c.B, c.S);
    ref::batch_norm_forward_infer(x.data(), gamma.data(), beta.data(), store.value(bn.running_mean()),
                                  store.value(bn.running_var()), y_ref.data(), c.B, c.C, c.S, bn.eps());
    CHECK(rel_err(y, y_ref) < 1e-5);
  }
}

TEST_CASE("batch_norm: finite-difference gradients of input, scale and shift") {
  ComputeScope scope(1);
  for (const int64_t S : {int64_t{1}, int64_t{6}}) {
    CAPTURE(S);
    const int64_t B = 4, C = 3;
    ParameterStore store;
    BatchNorm bn(store, "bn", C, 1e-5f, 0.0f);
    const Vec gamma = randu(C, 7, 0.5f, 1.5f), beta = randn(C, 8);
    std::copy(gamma.begin(), gamma.end(), store.value(bn.gamma()));
    std::copy(beta.begin(), beta.end(), store.value(bn.beta()));
    Vec x = randn(B * C * S, 9);
    const Vec r = randn(B * C * S, 10);
    Vec y(x.size()), dx(x.size()), mean(C), var(C);
    auto loss = [&] {
      bn.forward_train(x.data(), y.data(), mean.data(), var.data(), B, S);
      return dot(r, y.data());
    };
    loss();
    store.zero_grad();
    bn.backward(x.data(), r.data(), mean.data(), var.data(), dx.data(), B, S);
    // The output is invariant to shifting a channel, so dx sums to ~0 per channel: the
    // relative check still sees every term because 0.05·max|num| bounds the floor.
    CHECK(grad_check(x.data(), dx.data(), B * C * S, loss, 1e-2f) < 2e-2);
    CHECK(grad_check(store.value(bn.gamma()), store.grad(bn.gamma()), C, loss) < 1e-2);
    CHECK(grad_check(store.value(bn.beta()), store.grad(bn.beta()), C, loss) < 1e-2);
  }
}
