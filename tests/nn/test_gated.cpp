// The gated activation and the PixelCNN masks (lib/nn/gated.hpp, lib/nn/masked_conv2d.hpp).
#include <doctest/doctest.h>

#include <cmath>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/gated.hpp"
#include "nn/masked_conv2d.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("gated activation: hand-computed values and the reference loops") {
  // One example, F = 1, S = 3: y = tanh(a) σ(g).
  const Vec x = {0.0f, 1.0f, -2.0f, 5.0f, 0.0f, -1.0f};
  Vec y(3);
  gated_forward(x.data(), y.data(), 1, 1, 3);
  CHECK(y[0] == doctest::Approx(0.0).epsilon(1e-7));
  CHECK(y[1] == doctest::Approx(std::tanh(1.0) * 0.5).epsilon(1e-6));
  CHECK(y[2] == doctest::Approx(std::tanh(-2.0) / (1.0 + std::exp(1.0))).epsilon(1e-6));

  ComputeScope scope(2);
  for (const auto& [B, F, S] : {std::array<int64_t, 3>{3, 5, 7}, {64, 16, 100}}) {
    Vec big = randn(B * 2 * F * S, 11, 3.0f);
    big[0] = 60.0f;  // saturated ends
    big[1] = -60.0f;
    big[static_cast<std::size_t>(F * S)] = -100.0f;
    Vec yy(B * F * S), yr(yy.size());
    gated_forward(big.data(), yy.data(), B, F, S);
    ref::gated_forward(big.data(), yr.data(), B, F, S);
    CHECK(rel_err(yy, yr) < 1e-6);
    const Vec dy = randn(B * F * S, 12);
    Vec dx(big.size()), dxr(big.size());
    gated_backward(big.data(), dy.data(), dx.data(), B, F, S);
    ref::gated_backward(big.data(), dy.data(), dxr.data(), B, F, S);
    CHECK(rel_err(dx, dxr) < 1e-5);
  }
}

TEST_CASE("gated activation: finite-difference gradient") {
  const int64_t B = 2, F = 3, S = 4;
  Vec x = randn(B * 2 * F * S, 13, 1.5f);
  const Vec r = randn(B * F * S, 14);
  Vec y(r.size()), dx(x.size());
  auto loss = [&] {
    gated_forward(x.data(), y.data(), B, F, S);
    return dot(r, y.data());
  };
  gated_backward(x.data(), r.data(), dx.data(), B, F, S);
  CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss, 1e-3f) < 1e-2);
}

TEST_CASE("causal masks: taps after the output's, and the R < G < B channel rule at it") {
  // A 3×3 kernel centred at (1, 1), 3 → 3 channels in 3 groups (an RGB image in, one map per
  // channel out): mask A lets output channel o see input channels c < o at the centre.
  const ConvSpec spec{3, 3, 3, 1, 1, false};
  const ChannelGroups rgb{3, 1};
  const std::vector<float> a = causal_mask(spec, 1, 1, Mask::A, rgb, rgb);
  const std::vector<float> b = causal_mask(spec, 1, 1, Mask::B, rgb, rgb);
  auto at = [](const std::vector<float>& m, int o, int c, int u, int v) { return m[((o * 3 + c) * 3 + u) * 3 + v]; };
  for (int o = 0; o < 3; ++o)
    for (int c = 0; c < 3; ++c) {
      CHECK(at(a, o, c, 0, 2) == 1.0f);  // the row above: all of it
      CHECK(at(a, o, c, 1, 0) == 1.0f);  // left of the centre
      CHECK(at(a, o, c, 1, 2) == 0.0f);  // right of it
      CHECK(at(a, o, c, 2, 0) == 0.0f);  // the row below
      CHECK(at(a, o, c, 1, 1) == (c < o ? 1.0f : 0.0f));
      CHECK(at(b, o, c, 1, 1) == (c <= o ? 1.0f : 0.0f));
    }
  // Gated pre-activations (2F maps, halves share the groups): F = 6 in 3 groups of 2.
  const ChannelGroups gated{3, 2}, maps{3, 1};
  CHECK(gated.of(1, 12) == 0);
  CHECK(gated.of(7, 12) == 0);
  CHECK(gated.of(11, 12) == 2);
  CHECK(maps.of(5, 6) == 2);
  // One group: mask B at the centre is all ones, mask A all zeros.
  const ConvSpec h{4, 8, 0, 1, 0, true, 1, 2, 0, 0, 1, 0};
  const std::vector<float> one_b = causal_mask(h, 0, 1, Mask::B, {}, {1, 2});
  const std::vector<float> one_a = causal_mask(h, 0, 1, Mask::A, {}, {1, 2});
  for (std::size_t i = 0; i < one_b.size(); ++i) {
    CHECK(one_b[i] == 1.0f);
    CHECK(one_a[i] == (i % 2 == 0 ? 1.0f : 0.0f));
  }
}

TEST_CASE("masked conv2d: masked weights start and stay zero; the output never reads a masked input") {
  ComputeScope scope(1);
  ParameterStore store;
  const ConvSpec spec{3, 6, 0, 1, 0, true, 1, 3, 0, 0, 2, 0};  // 1×3, the output at the last tap
  MaskedConv2d conv(store, "h", spec, causal_mask(spec, 0, 2, Mask::A, {3, 1}, {3, 2}));
  gm::Rng rng(1, 0);
  conv.init(rng);
  const float* w = store.value(conv.conv().weight());
  for (std::size_t i = 0; i < conv.mask().size(); ++i)
    if (conv.mask()[i] == 0.0f) CHECK(w[i] == 0.0f);
  // Gradients of masked weights are zero, so Adam never moves them.
  const int64_t B = 2, H = 2, W = 4;
  const Vec x = randn(B * 3 * H * W, 3), dy = randn(B * 6 * H * W, 4);
  Vec y(dy.size()), dx(x.size());
  store.zero_grad();
  conv.forward(x.data(), y.data(), B, H, W);
  conv.backward(x.data(), dy.data(), dx.data(), B, H, W);
  const float* g = store.grad(conv.conv().weight());
  for (std::size_t i = 0; i < conv.mask().size(); ++i)
    if (conv.mask()[i] == 0.0f) CHECK(g[i] == 0.0f);
  // Causality: changing input (b, c, i, j) changes no output (b, o, i', j') that precedes it
  // in the (pixel raster, channel group) order, with o's group = o / 2 (halves = 2, F = 3).
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t j = 0; j < W; ++j) {
      Vec xp = x;
      xp[((1 * 3 + c) * H + 1) * W + j] += 1.0f;
      Vec yp(y.size());
      conv.forward(xp.data(), yp.data(), B, H, W);
      for (int64_t o = 0; o < 6; ++o)
        for (int64_t jj = 0; jj < W; ++jj) {
          const bool before = jj < j || (jj == j && (o % 3) <= c);
          const int64_t k = ((1 * 6 + o) * H + 1) * W + jj;
          if (before) CHECK(yp[k] == y[k]);
        }
    }
}
