#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/equalized_lr.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("equalized_lr: He's constant, the paper's initialisation, the plain layer's tensors") {
  ComputeScope scope(1);
  CHECK(he_scale(9) == doctest::Approx(std::sqrt(2.0) / 3));
  CHECK(he_scale(512, 1.0f) == doctest::Approx(1 / std::sqrt(512.0)));
  CHECK_THROWS_AS(he_scale(0), gm::Error);
  CHECK_THROWS_AS(he_scale(4, 0.0f), gm::Error);

  ParameterStore store;
  EqualizedConv2d conv(store, "c", ConvSpec{16, 32, 3, 1, 1, true});
  EqualizedConv2d up(store, "u", ConvSpec{8, 4, 4, 1, 0, false}, /*transposed*/ true);
  EqualizedLinear fc(store, "fc", 128, 10, true, 1.0f);
  CHECK(conv.scale() == doctest::Approx(std::sqrt(2.0 / (16 * 9))));
  CHECK(up.scale() == doctest::Approx(std::sqrt(2.0 / (8 * 16))));  // Ci·K², as the official code
  CHECK(fc.scale() == doctest::Approx(1 / std::sqrt(128.0)));
  // The same tensors, names and layouts as the plain layers: (Co, Ci, K, K), (Ci, Co, K, K), (O, I).
  CHECK(store.entry(conv.weight()).name == "c.weight");
  CHECK(store.entry(conv.weight()).shape == std::vector<int64_t>{32, 16, 3, 3});
  CHECK(store.entry(conv.bias()).name == "c.bias");
  CHECK(store.entry(up.weight()).shape == std::vector<int64_t>{8, 4, 4, 4});
  CHECK_FALSE(up.bias().valid());
  CHECK(store.entry(fc.weight()).shape == std::vector<int64_t>{10, 128});

  gm::Rng rng(1, 0);
  std::fill(store.values(), store.values() + store.trainable_size(), 5.0f);
  conv.init(rng);
  fc.init(rng);
  const float* w = store.value(conv.weight());
  const int64_t n = store.size(conv.weight());
  double s = 0, q = 0;
  for (int64_t i = 0; i < n; ++i) {
    s += w[i];
    q += double(w[i]) * w[i];
  }
  CHECK(std::fabs(s / n) < 0.05);        // N(0, 1): 4608 draws, mean within 3.4 s.e.
  CHECK(std::fabs(q / n - 1.0) < 0.07);  // variance 1 within 3.4 s.e. (√(2/4608))
  for (int64_t o = 0; o < 32; ++o) REQUIRE(store.value(conv.bias())[o] == 0.0f);
  for (int64_t o = 0; o < 10; ++o) REQUIRE(store.value(fc.bias())[o] == 0.0f);
}

namespace {
// The oracle: the reference layer with explicitly scaled weights ŵ = c·w. Its weight gradient
// is ∂L/∂ŵ; the stored weights' must be c times that.
struct Oracle {
  Vec y, dx, dw, db;
};

void check_against(const Oracle& o, const Vec& y, const Vec& dx, const float* dw, const float* db, float c,
                   float prefill) {
  CHECK(rel_err(y, o.y) < 1e-5);
  CHECK(rel_err(dx, o.dx) < 1e-5);
  Vec expect_dw(o.dw.size()), got_dw(o.dw.size());
  for (std::size_t i = 0; i < o.dw.size(); ++i) {
    expect_dw[i] = c * o.dw[i];
    got_dw[i] = dw[i] - prefill;  // backward adds
  }
  CHECK(rel_err(got_dw, expect_dw) < 1e-5);
  if (db) {
    Vec got_db(o.db.size());
    for (std::size_t i = 0; i < o.db.size(); ++i) got_db[i] = db[i] - prefill;
    CHECK(rel_err(got_db, o.db) < 1e-5);  // unscaled
  }
}
}  // namespace

TEST_CASE("equalized_lr: conv, transposed conv and linear against the reference with weights c·w") {
  ComputeScope scope(2);
  struct Case {
    int64_t B, Ci, Co, H, W, K, S, P;
    bool bias, transposed;
  };
  // 1×1 (toRGB / fromRGB), 3×3 at 4×4 and 8×6, one input channel (the direct loops), a 4×4
  // transposed conv on a 1×1 latent (the first block), a stride-2 transposed conv.
  for (const Case& k : {Case{3, 8, 3, 4, 4, 1, 1, 0, true, false}, Case{2, 16, 16, 4, 4, 3, 1, 1, true, false},
                        Case{2, 5, 7, 8, 6, 3, 1, 1, false, false}, Case{2, 1, 4, 8, 8, 3, 1, 1, true, false},
                        Case{4, 32, 16, 1, 1, 4, 1, 0, true, true}, Case{2, 6, 3, 3, 5, 4, 2, 1, true, true}}) {
    CAPTURE(k.Ci);
    CAPTURE(k.Co);
    CAPTURE(k.K);
    CAPTURE(k.transposed);
    ParameterStore store;
    EqualizedConv2d conv(store, "c", ConvSpec{k.Ci, k.Co, k.K, k.S, k.P, k.bias}, k.transposed);
    gm::Rng rng(2, 0);
    conv.init(rng);
    if (k.bias) {  // a bias that is not zero, to see it is added unscaled
      const Vec b = randn(k.Co, 3);
      std::copy(b.begin(), b.end(), store.value(conv.bias()));
    }
    const gm::nn::ref::Conv g{k.B, k.Ci, k.Co, k.H, k.W, k.K, k.S, k.P};
    const int64_t OH = g.out_h(k.transposed), OW = g.out_w(k.transposed);
    REQUIRE(conv.out_height(k.H) == OH);
    const float c = conv.scale();
    const int64_t nw = store.size(conv.weight());
    Vec w_hat(store.value(conv.weight()), store.value(conv.weight()) + nw);
    for (auto& v : w_hat) v *= c;
    const float* b = k.bias ? store.value(conv.bias()) : nullptr;
    const Vec x = randn(k.B * k.Ci * k.H * k.W, 4), dy = randn(k.B * k.Co * OH * OW, 5);

    Oracle o{Vec(dy.size()), Vec(x.size()), Vec(nw), Vec(k.Co)};
    if (k.transposed) {
      ref::conv_transpose2d_forward(g, x.data(), w_hat.data(), b, o.y.data());
      ref::conv_transpose2d_backward(g, x.data(), w_hat.data(), dy.data(), o.dx.data(), o.dw.data(), o.db.data());
    } else {
      ref::conv2d_forward(g, x.data(), w_hat.data(), b, o.y.data());
      ref::conv2d_backward(g, x.data(), w_hat.data(), dy.data(), o.dx.data(), o.dw.data(), o.db.data());
    }
    Vec y(dy.size()), dx(x.size()), dx_only(x.size());
    std::fill(store.grads(), store.grads() + store.trainable_size(), 0.25f);
    conv.forward(x.data(), y.data(), k.B, k.H, k.W);
    conv.backward(x.data(), dy.data(), dx.data(), k.B, k.H, k.W);
    check_against(o, y, dx, store.grad(conv.weight()), k.bias ? store.grad(conv.bias()) : nullptr, c, 0.25f);
    conv.backward_data(dy.data(), dx_only.data(), k.B, k.H, k.W);
    CHECK(dx_only == dx);
  }

  for (const bool bias : {true, false}) {
    const int64_t B = 5, I = 24, O = 7;
    ParameterStore store;
    EqualizedLinear fc(store, "fc", I, O, bias);
    gm::Rng rng(6, 0);
    fc.init(rng);
    if (bias) {
      const Vec b = randn(O, 7);
      std::copy(b.begin(), b.end(), store.value(fc.bias()));
    }
    const float c = fc.scale();
    Vec w_hat(store.value(fc.weight()), store.value(fc.weight()) + I * O);
    for (auto& v : w_hat) v *= c;
    const Vec x = randn(B * I, 8), dy = randn(B * O, 9);
    Oracle o{Vec(B * O), Vec(B * I), Vec(I * O), Vec(O)};
    const float* b = bias ? store.value(fc.bias()) : nullptr;
    ref::linear_forward(x.data(), w_hat.data(), b, o.y.data(), B, I, O);
    ref::linear_backward(x.data(), w_hat.data(), dy.data(), o.dx.data(), o.dw.data(), o.db.data(), B, I, O);
    Vec y(B * O), dx(B * I), dx_only(B * I);
    std::fill(store.grads(), store.grads() + store.trainable_size(), 0.25f);
    fc.forward(x.data(), y.data(), B);
    fc.backward(x.data(), dy.data(), dx.data(), B);
    check_against(o, y, dx, store.grad(fc.weight()), bias ? store.grad(fc.bias()) : nullptr, c, 0.25f);
    fc.backward_data(dy.data(), dx_only.data(), B);
    CHECK(dx_only == dx);
  }
}

TEST_CASE("equalized_lr: c = 1 is the plain layer bit for bit") {
  ComputeScope scope(1);
  // fan_in 4 at gain 2: c = 1 exactly, so the scaled copy is the input itself.
  ParameterStore eq_store, plain_store;
  EqualizedConv2d eq(eq_store, "c", ConvSpec{1, 3, 2, 1, 0, true}, false, 2.0f);
  Conv2d plain(plain_store, "c", ConvSpec{1, 3, 2, 1, 0, true});
  REQUIRE(eq.scale() == 1.0f);
  const Vec params = randn(eq_store.trainable_size(), 1);
  std::copy(params.begin(), params.end(), eq_store.values());
  std::copy(params.begin(), params.end(), plain_store.values());
  const Vec x = randn(2 * 5 * 5, 2), dy = randn(2 * 3 * 4 * 4, 3);
  Vec y1(dy.size()), y2(dy.size()), dx1(x.size()), dx2(x.size());
  eq.forward(x.data(), y1.data(), 2, 5, 5);
  plain.forward(x.data(), y2.data(), 2, 5, 5);
  eq_store.zero_grad();
  plain_store.zero_grad();
  eq.backward(x.data(), dy.data(), dx1.data(), 2, 5, 5);
  plain.backward(x.data(), dy.data(), dx2.data(), 2, 5, 5);
  CHECK(y1 == y2);
  CHECK(dx1 == dx2);
  CHECK(std::equal(eq_store.grads(), eq_store.grads() + eq_store.trainable_size(), plain_store.grads()));
}

TEST_CASE("equalized_lr: finite-difference gradients of stored weights, bias and input") {
  ComputeScope scope(1);
  for (const bool transposed : {false, true}) {
    CAPTURE(transposed);
    const int64_t B = 2, Ci = 3, Co = 2, H = 4, W = 3;
    ParameterStore store;
    EqualizedConv2d conv(store, "c", ConvSpec{Ci, Co, 3, 1, 1, true}, transposed);
    gm::Rng rng(3, 0);
    conv.init(rng);
    const Vec b0 = randn(Co, 4);
    std::copy(b0.begin(), b0.end(), store.value(conv.bias()));
    const int64_t OH = conv.out_height(H), OW = conv.out_width(W);
    Vec x = randn(B * Ci * H * W, 5);
    const Vec r = randn(B * Co * OH * OW, 6);
    Vec y(r.size()), dx(x.size());
    auto loss = [&] {
      conv.forward(x.data(), y.data(), B, H, W);
      return dot(r, y.data());
    };
    store.zero_grad();
    conv.backward(x.data(), r.data(), dx.data(), B, H, W);
    const ParamId w = conv.weight();
    CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss) < 1e-2);
    CHECK(grad_check(store.value(w), store.grad(w), store.size(w), loss) < 1e-2);
    CHECK(grad_check(store.value(conv.bias()), store.grad(conv.bias()), Co, loss) < 1e-2);
    // The check has teeth: the gradient w.r.t. the effective weights (c·w), i.e. without the
    // factor c = √(2/27) ≈ 0.27, is O(1) off; so is the input gradient without it.
    Vec unscaled(store.grad(w), store.grad(w) + store.size(w)), dx_unscaled(dx);
    for (auto& v : unscaled) v /= conv.scale();
    for (auto& v : dx_unscaled) v /= conv.scale();
    CHECK(grad_check(store.value(w), unscaled.data(), store.size(w), loss) > 0.5);
    CHECK(grad_check(x.data(), dx_unscaled.data(), static_cast<int64_t>(x.size()), loss) > 0.5);
  }

  const int64_t B = 3, I = 5, O = 4;
  ParameterStore store;
  EqualizedLinear fc(store, "fc", I, O);
  gm::Rng rng(7, 0);
  fc.init(rng);
  Vec x = randn(B * I, 8);
  const Vec r = randn(B * O, 9);
  Vec y(B * O), dx(B * I);
  auto loss = [&] {
    fc.forward(x.data(), y.data(), B);
    return dot(r, y.data());
  };
  store.zero_grad();
  fc.backward(x.data(), r.data(), dx.data(), B);
  CHECK(grad_check(x.data(), dx.data(), B * I, loss) < 1e-2);
  CHECK(grad_check(store.value(fc.weight()), store.grad(fc.weight()), I * O, loss) < 1e-2);
  CHECK(grad_check(store.value(fc.bias()), store.grad(fc.bias()), O, loss) < 1e-2);
}
