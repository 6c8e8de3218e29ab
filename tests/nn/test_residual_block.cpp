// Reflection padding and CycleGAN's residual block against the reference kernels, their
// gradients against finite differences, and the block's forward from several threads.
#include <doctest/doctest.h>

#include <cstring>
#include <thread>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/reference/reference.hpp"
#include "nn/reflect_pad.hpp"
#include "nn/residual_block.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("reflect_pad: hand-computed 3x3 plane, the reference, the adjoint, the size limit") {
  ComputeScope scope(2);
  const Vec x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  Vec xp(25);
  reflect_pad_forward(x.data(), xp.data(), 1, 1, 3, 3, 1);
  // The edge is not repeated: row −1 is row 1, column −1 is column 1.
  CHECK(xp == Vec{5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 8, 7, 8, 9, 8, 5, 4, 5, 6, 5});
  // Adjoint by hand: padded rows (and columns) −1, 0, 1, 2, 3 read rows 1, 0, 1, 2, 1, so
  // the count of readers of (h, w) is [1, 3, 1]_h · [1, 3, 1]_w.
  Vec dx(9);
  reflect_pad_backward(Vec(25, 1.0f).data(), dx.data(), 1, 1, 3, 3, 1);
  CHECK(dx == Vec{1, 3, 1, 3, 9, 3, 1, 3, 1});

  struct Case {
    int64_t B, C, H, W, P;
  };
  // The last is past the parallel threshold.
  for (const Case k : {Case{2, 3, 5, 7, 1}, Case{1, 2, 4, 4, 3}, Case{3, 1, 28, 28, 3}, Case{2, 2, 2, 9, 1},
                       Case{1, 1, 6, 6, 0}, Case{16, 32, 30, 30, 1}}) {
    CAPTURE(k.H);
    CAPTURE(k.W);
    CAPTURE(k.P);
    const int64_t n = k.B * k.C * k.H * k.W, np = k.B * k.C * (k.H + 2 * k.P) * (k.W + 2 * k.P);
    const Vec in = randn(n, 1), r = randn(np, 2);
    Vec out(np), out_ref(np), back(n), back_ref(n);
    reflect_pad_forward(in.data(), out.data(), k.B, k.C, k.H, k.W, k.P);
    ref::reflect_pad_forward(in.data(), out_ref.data(), k.B, k.C, k.H, k.W, k.P);
    CHECK(out == out_ref);  // copies: exact
    reflect_pad_backward(r.data(), back.data(), k.B, k.C, k.H, k.W, k.P);
    ref::reflect_pad_backward(r.data(), back_ref.data(), k.B, k.C, k.H, k.W, k.P);
    CHECK(rel_err(back, back_ref) < 1e-6);
    // <pad(x), r> = <x, padᵀ(r)>
    CHECK(dot(r, out.data()) == doctest::Approx(dot(in, back.data())).epsilon(1e-5));
  }
  CHECK_THROWS(reflect_pad_forward(x.data(), xp.data(), 1, 1, 3, 3, 3));  // P must be < H and < W
  CHECK_THROWS(reflect_pad_backward(xp.data(), dx.data(), 1, 1, 3, 2, 2));
}

namespace {

struct Params {
  Vec w1, w2, g1, b1, g2, b2;  // γ, β empty without affine
};

// Random weights (and γ, β) written into the block's store.
Params randomise(ParameterStore& store, const ResidualBlock& blk, uint64_t seed) {
  const int64_t C = blk.channels();
  Params p;
  p.w1 = randn(C * C * 9, seed, 0.3f);
  p.w2 = randn(C * C * 9, seed + 1, 0.3f);
  std::copy(p.w1.begin(), p.w1.end(), store.value(blk.conv1().weight()));
  std::copy(p.w2.begin(), p.w2.end(), store.value(blk.conv2().weight()));
  if (blk.norm1().affine()) {
    p.g1 = randu(C, seed + 2, 0.5f, 1.5f);
    p.b1 = randn(C, seed + 3, 0.5f);
    p.g2 = randu(C, seed + 4, 0.5f, 1.5f);
    p.b2 = randn(C, seed + 5, 0.5f);
    std::copy(p.g1.begin(), p.g1.end(), store.value(blk.norm1().gamma()));
    std::copy(p.b1.begin(), p.b1.end(), store.value(blk.norm1().beta()));
    std::copy(p.g2.begin(), p.g2.end(), store.value(blk.norm2().gamma()));
    std::copy(p.b2.begin(), p.b2.end(), store.value(blk.norm2().beta()));
  }
  return p;
}

const float* or_null(const Vec& v) { return v.empty() ? nullptr : v.data(); }

// The block as a composition of reference kernels: y = x + IN₂(conv₂(pad(ReLU(IN₁(conv₁(pad(x))))))),
// and its backward from dy: dx and every parameter gradient.
struct RefBlock {
  int64_t B, C, H, W;
  bool reflect;
  Vec y, dx, dw1, dw2, dg1, db1, dg2, db2;

  ref::Conv geometry() const {
    const int64_t p = reflect ? 1 : 0;
    return ref::Conv{B, C, C, H + 2 * p, W + 2 * p, 3, 1, reflect ? 0 : 1};
  }
  Vec pad(const Vec& v) const {
    if (!reflect) return v;
    Vec out(static_cast<std::size_t>(B * C * (H + 2) * (W + 2)));
    ref::reflect_pad_forward(v.data(), out.data(), B, C, H, W, 1);
    return out;
  }
  Vec unpad(const Vec& v) const {
    if (!reflect) return v;
    Vec out(static_cast<std::size_t>(B * C * H * W));
    ref::reflect_pad_backward(v.data(), out.data(), B, C, H, W, 1);
    return out;
  }

  void run(const Params& p, const Vec& x, const Vec& dy, float eps) {
    const int64_t n = B * C * H * W, S = H * W;
    const ref::Conv g = geometry();
    Vec z1(n), n1(n), h(n), z2(n), n2(n), m1(B * C), v1(B * C), m2(B * C), v2(B * C);
    const Vec p1 = pad(x);
    ref::conv2d_forward(g, p1.data(), p.w1.data(), nullptr, z1.data());
    ref::instance_norm_forward(z1.data(), or_null(p.g1), or_null(p.b1), n1.data(), m1.data(), v1.data(), B, C, S, eps);
    ref::activation_forward(Act::relu, 0, n1.data(), h.data(), n);
    const Vec p2 = pad(h);
    ref::conv2d_forward(g, p2.data(), p.w2.data(), nullptr, z2.data());
    ref::instance_norm_forward(z2.data(), or_null(p.g2), or_null(p.b2), n2.data(), m2.data(), v2.data(), B, C, S, eps);
    y.resize(n);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] + n2[i];

    dw1.assign(p.w1.size(), 0.0f);
    dw2.assign(p.w2.size(), 0.0f);
    for (Vec* v : {&dg1, &db1, &dg2, &db2}) v->assign(C, 0.0f);
    Vec dz2(n), dn1(n), dz1(n), dp2(p2.size()), dp1(p1.size());
    ref::instance_norm_backward(z2.data(), or_null(p.g2), m2.data(), v2.data(), dy.data(), dz2.data(), dg2.data(),
                                db2.data(), B, C, S, eps);
    ref::conv2d_backward(g, p2.data(), p.w2.data(), dz2.data(), dp2.data(), dw2.data(), nullptr);
    const Vec dh = unpad(dp2);
    ref::activation_backward(Act::relu, 0, n1.data(), dh.data(), dn1.data(), n);
    ref::instance_norm_backward(z1.data(), or_null(p.g1), m1.data(), v1.data(), dn1.data(), dz1.data(), dg1.data(),
                                db1.data(), B, C, S, eps);
    ref::conv2d_backward(g, p1.data(), p.w1.data(), dz1.data(), dp1.data(), dw1.data(), nullptr);
    dx = unpad(dp1);
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
  }
};

}  // namespace

TEST_CASE("residual_block: forward and backward match the composition of reference kernels") {
  ComputeScope scope(2);
  struct Case {
    int64_t B, C, H, W;
  };
  for (const Case k : {Case{2, 3, 5, 4}, Case{4, 8, 7, 7}, Case{1, 2, 2, 2}}) {
    for (const bool reflect : {true, false})
      for (const bool affine : {true, false}) {
        CAPTURE(k.C);
        CAPTURE(k.H);
        CAPTURE(reflect);
        CAPTURE(affine);
        ParameterStore store;
        ResidualBlock blk(store, "res", k.C, affine, reflect);
        CHECK(store.count() == (affine ? 6 : 2));
        CHECK(store.entry(blk.first_param()).name == "res.conv1.weight");
        CHECK(store.entry(blk.last_param()).name == (affine ? "res.in2.bias" : "res.conv2.weight"));
        const Params p = randomise(store, blk, 11);
        const int64_t n = k.B * k.C * k.H * k.W;
        const Vec x = randn(n, 12), dy = randn(n, 13);
        RefBlock rb{k.B, k.C, k.H, k.W, reflect, {}, {}, {}, {}, {}, {}, {}, {}};
        rb.run(p, x, dy, blk.norm1().eps());

        ResidualWork work;
        Vec y(n), dx(n);
        blk.forward(x.data(), y.data(), k.B, k.H, k.W, work);
        CHECK(rel_err(y, rb.y) < 1e-4);
        store.zero_grad();
        blk.backward(x.data(), dy.data(), dx.data(), k.B, k.H, k.W, work);
        CHECK(rel_err(dx, rb.dx) < 1e-4);
        CHECK(rel_err(store.grad(blk.conv1().weight()), rb.dw1.data(), rb.dw1.size()) < 1e-4);
        CHECK(rel_err(store.grad(blk.conv2().weight()), rb.dw2.data(), rb.dw2.size()) < 1e-4);
        if (affine) {
          CHECK(rel_err(store.grad(blk.norm1().gamma()), rb.dg1.data(), rb.dg1.size()) < 1e-4);
          CHECK(rel_err(store.grad(blk.norm1().beta()), rb.db1.data(), rb.db1.size()) < 1e-4);
          CHECK(rel_err(store.grad(blk.norm2().gamma()), rb.dg2.data(), rb.dg2.size()) < 1e-4);
          CHECK(rel_err(store.grad(blk.norm2().beta()), rb.db2.data(), rb.db2.size()) < 1e-4);
        }

        // weights = false: the same dx, no convolution weight gradient; and no dx at all.
        store.zero_grad();
        Vec dx2(n);
        blk.backward(x.data(), dy.data(), dx2.data(), k.B, k.H, k.W, work, /*weights*/ false);
        CHECK(std::memcmp(dx2.data(), dx.data(), n * sizeof(float)) == 0);
        for (const ParamId w : {blk.conv1().weight(), blk.conv2().weight()})
          for (int64_t i = 0; i < store.size(w); ++i) REQUIRE(store.grad(w)[i] == 0.0f);
        store.zero_grad();
        blk.backward(x.data(), dy.data(), nullptr, k.B, k.H, k.W, work);
        CHECK(rel_err(store.grad(blk.conv1().weight()), rb.dw1.data(), rb.dw1.size()) < 1e-4);
      }
  }
}

TEST_CASE("residual_block: finite-difference gradients of the input and of weights") {
  ComputeScope scope(1);
  for (const bool reflect : {true, false}) {
    CAPTURE(reflect);
    const int64_t B = 2, C = 2, H = 4, W = 3, n = B * C * H * W;
    ParameterStore store;
    ResidualBlock blk(store, "res", C, true, reflect);
    randomise(store, blk, 21);
    Vec x = randn(n, 22);
    const Vec r = randn(n, 23);
    ResidualWork work;
    Vec y(n), dx(n);
    auto loss = [&] {
      blk.forward(x.data(), y.data(), B, H, W, work);
      return dot(r, y.data());
    };
    loss();
    store.zero_grad();
    blk.backward(x.data(), r.data(), dx.data(), B, H, W, work);
    // The step: a ReLU input sits within 2e-3 of its kink often enough that a step that size
    // crossed one (worst element 0.09 off); at 1e-4 float rounding shows (0.05); 5e-4 is clean.
    const float eps = 5e-4f;
    CHECK(grad_check(x.data(), dx.data(), n, loss, eps) < 0.02);
    for (const ParamId id : {blk.conv1().weight(), blk.conv2().weight()})
      CHECK(grad_check(store.value(id), store.grad(id), 12, loss, eps) < 0.02);  // the first 12 taps
    for (const ParamId id : {blk.norm1().gamma(), blk.norm1().beta(), blk.norm2().gamma(), blk.norm2().beta()})
      CHECK(grad_check(store.value(id), store.grad(id), C, loss, eps) < 0.02);
  }
}

TEST_CASE("residual_block: forward from 4 threads, a work each, equals the single-thread result") {
  const int64_t B = 4, C = 8, H = 7, W = 7, n = B * C * H * W;
  ParameterStore store;
  ResidualBlock blk(store, "res", C);
  randomise(store, blk, 31);
  std::vector<Vec> inputs, expected;
  {
    ComputeScope scope(1);
    ResidualWork work;
    for (int t = 0; t < 4; ++t) {
      inputs.push_back(randn(n, 40 + t));
      expected.emplace_back(n);
      blk.forward(inputs.back().data(), expected.back().data(), B, H, W, work);
    }
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      ComputeScope scope(1);
      ResidualWork work;
      Vec y(n);
      for (int rep = 0; rep < 20; ++rep) {
        blk.forward(inputs[static_cast<std::size_t>(t)].data(), y.data(), B, H, W, work);
        if (std::memcmp(y.data(), expected[static_cast<std::size_t>(t)].data(), n * sizeof(float)) != 0)
          ++mismatches[static_cast<std::size_t>(t)];
      }
    });
  for (auto& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}
