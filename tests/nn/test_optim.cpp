#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/optim.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {
struct One {  // a store with one trainable scalar... and its alignment padding
  ParameterStore store;
  ParamId p = store.add("p", {1});
  float& value() { return store.value(p)[0]; }
  float& grad() { return store.grad(p)[0]; }
};
}  // namespace

TEST_CASE("adam: two steps by hand, L2 and decoupled weight decay") {
  ComputeScope scope(2);
  One a;
  a.value() = 1.0f;
  Adam adam(a.store.span(), {0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, false});
  a.grad() = 0.5f;
  adam.step();
  // t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε).
  CHECK(a.value() == doctest::Approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-6));
  a.grad() = 0.25f;
  adam.step();
  const double m = 0.9 * 0.05 + 0.1 * 0.25, v = 0.999 * 0.00025 + 0.001 * 0.0625;
  const double step = 0.1 * (m / (1 - 0.81)) / (std::sqrt(v) / std::sqrt(1 - 0.998001) + 1e-8);
  CHECK(a.value() == doctest::Approx(1.0 - 0.1 - step).epsilon(1e-5));

  One l2, w;
  l2.value() = w.value() = 2.0f;
  l2.grad() = w.grad() = 0.5f;
  Adam adam_l2(l2.store.span(), {0.1f, 0.9f, 0.999f, 1e-8f, 0.1f, false});
  Adam adamw(w.store.span(), {0.1f, 0.9f, 0.999f, 1e-8f, 0.1f, true});
  adam_l2.step();
  adamw.step();
  // L2: g = 0.5 + 0.1·2 = 0.7 and the first step is still lr·sign(g).
  CHECK(l2.value() == doctest::Approx(2.0 - 0.1).epsilon(1e-6));
  // Decoupled: θ·(1 − lr·wd) − lr·sign(∇).
  CHECK(w.value() == doctest::Approx(2.0 * (1 - 0.01) - 0.1).epsilon(1e-6));
}

TEST_CASE("sgd: momentum, nesterov and weight decay by hand") {
  ComputeScope scope(2);
  One s;
  s.value() = 1.0f;
  Sgd sgd(s.store.span(), {0.1f, 0.9f, 0.0f, false});
  s.grad() = 1.0f;
  sgd.step();  // u = 1, θ = 0.9
  CHECK(s.value() == doctest::Approx(0.9f));
  sgd.step();  // u = 0.9 + 1 = 1.9, θ = 0.9 − 0.19
  CHECK(s.value() == doctest::Approx(0.71f));

  One n;
  n.value() = 1.0f;
  Sgd nesterov(n.store.span(), {0.1f, 0.9f, 0.5f, true});
  n.grad() = 1.0f;
  nesterov.step();  // g = 1 + 0.5 = 1.5, u = 1.5, θ = 1 − 0.1·(1.5 + 1.35)
  CHECK(n.value() == doctest::Approx(1.0f - 0.285f));

  One plain;
  plain.value() = 1.0f;
  Sgd gd(plain.store.span(), {0.5f, 0.0f, 0.0f, false});
  plain.grad() = 0.5f;
  gd.step();
  CHECK(plain.value() == 0.75f);
}

TEST_CASE("adam minimises a quadratic to its optimum") {
  ComputeScope scope(2);
  // f(θ) = ½ Σ a_i (θ_i − c_i)², minimum at θ = c, over 40 scalars in two tensors.
  ParameterStore store;
  const ParamId p = store.add("p", {5, 7});
  const ParamId q = store.add("q", {5});
  const Vec a = randu(40, 1, 0.5f, 5.0f), c = randn(40, 2, 3.0f);
  Adam adam(store.span(), {0.05f});
  auto at = [&](int i) -> float* { return i < 35 ? store.value(p) + i : store.value(q) + (i - 35); };
  auto grad = [&](int i) -> float* { return i < 35 ? store.grad(p) + i : store.grad(q) + (i - 35); };
  for (int t = 0; t < 3000; ++t) {
    if (t == 2000) adam.set_lr(0.002f);
    store.zero_grad();
    for (int i = 0; i < 40; ++i) *grad(i) = a[i] * (*at(i) - c[i]);
    adam.step();
  }
  double worst = 0;
  for (int i = 0; i < 40; ++i) worst = std::max(worst, std::fabs(double(*at(i)) - c[i]));
  CHECK(worst < 1e-2);
  CHECK(adam.steps() == 3000);
}

TEST_CASE("adam: SIMD lanes and the scalar tail compute the same update") {
  ComputeScope scope(1);
  // 7 identical parameters: lanes 0–3 take the vector path, 4–6 the tail.
  Vec value(7, 0.3f), grad(7, -0.2f);
  Adam adam(ParamSpan{value.data(), grad.data(), 7}, {0.01f, 0.9f, 0.999f, 1e-8f, 0.05f, true});
  for (int t = 0; t < 5; ++t) adam.step();
  for (int i = 1; i < 7; ++i) CHECK(value[static_cast<std::size_t>(i)] == value[0]);
  CHECK(value[0] > 0.3f);
}

TEST_CASE("adam: step_if_finite_and_zero_grad is step() then zeroed gradients, or nothing at all") {
  for (const int64_t n : {int64_t{100}, int64_t{100000}}) {  // below and above the threaded size
    for (int threads : {1, 2}) {
      ComputeScope scope(threads);
      CAPTURE(n);
      CAPTURE(threads);
      ParameterStore a, b;
      const ParamId pa = a.add("w", {n}), pb = b.add("w", {n});
      const Vec init = randn(n, 1), g1 = randn(n, 2), g2 = randn(n, 3);
      std::copy(init.begin(), init.end(), a.value(pa));
      std::copy(init.begin(), init.end(), b.value(pb));
      Adam reference(a.span(), {0.01f});
      Adam fused(b.span(), {0.01f});
      for (const Vec* g : {&g1, &g2}) {
        std::copy(g->begin(), g->end(), a.grad(pa));
        std::copy(g->begin(), g->end(), b.grad(pb));
        reference.step();
        CHECK(fused.step_if_finite_and_zero_grad());
        CHECK(std::equal(a.value(pa), a.value(pa) + n, b.value(pb)));
        CHECK(std::all_of(b.grad(pb), b.grad(pb) + n, [](float v) { return v == 0.0f; }));
      }
      // A NaN or an infinity anywhere: nothing moves, not even the step count.
      for (const float bad : {std::nanf(""), INFINITY}) {
        const Vec before(b.value(pb), b.value(pb) + n);
        std::copy(g1.begin(), g1.end(), b.grad(pb));
        b.grad(pb)[n - 1 - n / 3] = bad;
        CHECK_FALSE(fused.step_if_finite_and_zero_grad());
        CHECK(std::equal(before.begin(), before.end(), b.value(pb)));
        CHECK(b.grad(pb)[0] == g1[0]);  // the gradients are left as they were
        CHECK(fused.steps() == 2);
      }
      // And the moments did not move: the next good step still matches the reference.
      std::copy(g1.begin(), g1.end(), a.grad(pa));
      std::copy(g1.begin(), g1.end(), b.grad(pb));
      reference.step();
      CHECK(fused.step_if_finite_and_zero_grad());
      CHECK(std::equal(a.value(pa), a.value(pa) + n, b.value(pb)));
    }
  }
}
