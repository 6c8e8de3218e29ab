#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"
#include "nn/activation.hpp"
#include "nn/compute.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {
struct Kind {
  Act act;
  float alpha;
  const char* name;
};
const Kind kinds[] = {{Act::relu, 0, "relu"},
                      {Act::leaky_relu, 0.2f, "leaky_relu"},
                      {Act::sigmoid, 0, "sigmoid"},
                      {Act::tanh, 0, "tanh"},
                      {Act::softplus, 0, "softplus"}};
}  // namespace

TEST_CASE("activations: hand-computed values and derivatives") {
  ComputeScope scope(2);
  const Vec x = {-2, 0.5f, 3};
  Vec y(3), dx(3);
  const Vec dy = {1, 1, 1};
  Activation leaky(Act::leaky_relu, 0.2f);
  leaky.forward(x.data(), y.data(), 3);
  CHECK(y[0] == doctest::Approx(-0.4f));
  CHECK(y[2] == 3.0f);
  leaky.backward(nullptr, y.data(), dy.data(), dx.data(), 3);
  CHECK(dx == Vec{0.2f, 1, 1});
  Activation sig(Act::sigmoid);
  sig.forward(x.data(), y.data(), 3);
  CHECK(y[1] == doctest::Approx(1.0 / (1.0 + std::exp(-0.5))));
  sig.backward(nullptr, y.data(), dy.data(), dx.data(), 3);
  CHECK(dx[1] == doctest::Approx(y[1] * (1 - y[1])));
  Activation sp(Act::softplus);
  sp.forward(x.data(), y.data(), 3);
  CHECK(y[2] == doctest::Approx(std::log1p(std::exp(3.0))));
  sp.backward(x.data(), nullptr, dy.data(), dx.data(), 3);
  CHECK(dx[0] == doctest::Approx(1.0 / (1.0 + std::exp(2.0))));
  CHECK_THROWS(Activation(Act::leaky_relu, -0.1f));
}

TEST_CASE("activations: oneDNN matches the reference, in place too") {
  ComputeScope scope(2);
  for (const Kind& k : kinds) {
    for (const int64_t n : {int64_t{1}, int64_t{37}, int64_t{4099}}) {
      CAPTURE(k.name);
      CAPTURE(n);
      Activation f(k.act, k.alpha);
      const Vec x = randn(n, 20, 3.0f), dy = randn(n, 21);
      Vec y(x.size()), y_ref(x.size()), dx(x.size()), dx_ref(x.size());
      f.forward(x.data(), y.data(), n);
      ref::activation_forward(k.act, k.alpha, x.data(), y_ref.data(), n);
      CHECK(rel_err(y, y_ref) < 1e-5);
      f.backward(x.data(), y.data(), dy.data(), dx.data(), n);
      ref::activation_backward(k.act, k.alpha, x.data(), dy.data(), dx_ref.data(), n);
      CHECK(rel_err(dx, dx_ref) < 1e-5);
      if (f.uses_output()) {  // forward over its input, backward over dy: both in place
        Vec z = x, g = dy;
        f.forward(z.data(), z.data(), n);
        f.backward(nullptr, z.data(), g.data(), g.data(), n);
        CHECK(z == y);
        CHECK(g == dx);
      }
    }
  }
}

TEST_CASE("activations: finite-difference gradients") {
  ComputeScope scope(1);
  for (const Kind& k : kinds) {
    CAPTURE(k.name);
    Activation f(k.act, k.alpha);
    const int64_t n = 24;
    Vec x = randn(n, 30, 2.0f);
    for (auto& v : x)  // keep ReLU's kink out of the ±eps stencil
      if (std::fabs(v) < 0.05f) v = 0.3f;
    const Vec r = randn(n, 31);
    Vec y(x.size()), dx(x.size());
    auto loss = [&] {
      f.forward(x.data(), y.data(), n);
      return dot(r, y.data());
    };
    loss();
    f.backward(x.data(), y.data(), r.data(), dx.data(), n);
    CHECK(grad_check(x.data(), dx.data(), n, loss) < 1e-2);
  }
}

TEST_CASE("relu loops match the reference, above and below the parallel threshold") {
  ComputeScope scope(2);
  for (const int64_t n : {int64_t{1}, int64_t{4099}, int64_t{1} << 19}) {
    CAPTURE(n);
    const Vec x = randn(n, 30, 3.0f), dy = randn(n, 31);
    Vec y = x, y_ref(x.size()), g = dy, g_ref(x.size());
    relu_inplace(y.data(), n);
    ref::activation_forward(Act::relu, 0, x.data(), y_ref.data(), n);
    CHECK(y == y_ref);
    relu_backward_inplace(y.data(), g.data(), n);
    ref::activation_backward(Act::relu, 0, x.data(), dy.data(), g_ref.data(), n);
    CHECK(g == g_ref);
  }
}
