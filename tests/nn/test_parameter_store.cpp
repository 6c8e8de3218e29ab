#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/conv2d.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("parameter store: one aligned flat layout, names, shapes, spans") {
  ParameterStore store;
  const ParamId w = store.add("fc.weight", {3, 5});
  const ParamId s = store.add_state("bn.running_mean", {4});
  const ParamId b = store.add("fc.bias", {3});
  CHECK(store.count() == 3);
  CHECK(store.entry(w).offset == 0);
  CHECK(store.entry(b).offset == 16);  // 15 floats rounded up to a cache line
  CHECK(store.trainable_size() == 32);
  CHECK(store.parameter_count() == 18);
  CHECK(reinterpret_cast<uintptr_t>(store.value(b)) % 64 == 0);
  CHECK(store.find("fc.bias").index == b.index);
  CHECK_THROWS_AS(store.find("nope"), gm::Error);
  CHECK_THROWS_AS(store.add("fc.bias", {1}), gm::Error);
  CHECK_THROWS_AS(store.add("bad", {0}), gm::Error);
  CHECK_THROWS_AS(store.grad(s), gm::Error);

  store.value(w)[14] = 7.0f;  // registration after writes keeps values
  const ParamId late = store.add("late", {100});
  CHECK(store.value(w)[14] == 7.0f);
  const auto refs = store.tensors();
  REQUIRE(refs.size() == 4);
  CHECK(refs[0].name == "fc.weight");
  CHECK(refs[0].shape == std::vector<int64_t>{3, 5});
  CHECK(refs[1].name == "bn.running_mean");
  CHECK(static_cast<const float*>(refs[0].data)[14] == 7.0f);

  const ParamSpan tail = store.span(b, late);
  CHECK(tail.value == store.value(b));
  CHECK(tail.count == 16 + 112);
  std::fill(store.grads(), store.grads() + store.trainable_size(), 1.0f);
  store.zero_grad(tail);
  CHECK(store.grad(w)[0] == 1.0f);
  CHECK(store.grad(late)[99] == 0.0f);
  store.zero_grad();
  CHECK(store.grad(w)[0] == 0.0f);
}

TEST_CASE("initialisers: bounds, moments, fans and determinism") {
  CHECK(fans({8, 3, 5, 5}).in == 75);
  CHECK(fans({8, 3, 5, 5}).out == 200);
  CHECK(fans({4, 6}).in == 6);
  const int64_t n = 20000;
  Vec a(n), b(n);
  gm::Rng r1(42, 0), r2(42, 0);
  init_xavier_uniform(a.data(), n, {100, 300}, r1);
  init_xavier_uniform(b.data(), n, {100, 300}, r2);
  CHECK(std::memcmp(a.data(), b.data(), n * 4) == 0);
  const float bound = std::sqrt(6.0f / 400.0f);
  double s2 = 0;
  int outside = 0;
  for (float v : a) {
    outside += std::fabs(v) > bound;
    s2 += double(v) * v;
  }
  CHECK(outside == 0);
  CHECK(s2 / n == doctest::Approx(bound * bound / 3).epsilon(0.03));  // Var U(±a) = a²/3
  init_kaiming_normal(a.data(), n, {50, 10}, r1);
  double m = 0, q = 0;
  for (float v : a) {
    m += v;
    q += double(v) * v;
  }
  CHECK(m / n == doctest::Approx(0.0).epsilon(0.01));
  CHECK(q / n == doctest::Approx(2.0 / 50).epsilon(0.03));
  init_normal(a.data(), n, r1, 3.0f, 0.02f);
  m = 0;
  for (float v : a) m += v;
  CHECK(m / n == doctest::Approx(3.0).epsilon(1e-3));
  init_uniform(a.data(), n, r1, -1.0f, 2.0f);
  CHECK(*std::min_element(a.begin(), a.end()) >= -1.0f);
  CHECK(*std::max_element(a.begin(), a.end()) < 2.0f);
  init_constant(a.data(), n, 0.5f);
  CHECK(a[n - 1] == 0.5f);
  init_zeros(a.data(), n);
  CHECK(a[0] == 0.0f);
}

TEST_CASE("determinism: the same seed gives bit-identical parameters and outputs") {
  ComputeScope scope(2);
  auto run = [](uint64_t seed, Vec& params, Vec& out) {
    ParameterStore store;
    Conv2d conv(store, "c", {3, 4, 3, 2, 1, true});
    Linear fc(store, "fc", 4 * 4 * 4, 10);
    gm::Rng rng(seed, 0);
    conv.init(rng);
    fc.init(rng);
    params.assign(store.values(), store.values() + store.trainable_size());
    const Vec x = randn(5 * 3 * 8 * 8, 99);
    Vec h(5 * 4 * 4 * 4);
    out.resize(5 * 10);
    conv.forward(x.data(), h.data(), 5, 8, 8);
    fc.forward(h.data(), out.data(), 5);
  };
  Vec p1, y1, p2, y2, p3, y3;
  run(7, p1, y1);
  run(7, p2, y2);
  run(8, p3, y3);
  CHECK(std::memcmp(p1.data(), p2.data(), p1.size() * 4) == 0);
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * 4) == 0);
  CHECK(p1 != p3);
}
