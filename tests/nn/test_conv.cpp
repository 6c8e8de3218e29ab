#include <doctest/doctest.h>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/conv2d.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("conv2d: hand-computed 2×2 box filter") {
  ComputeScope scope(2);
  ParameterStore store;
  Conv2d conv(store, "c", {1, 1, 2, 1, 0, true});
  std::fill_n(store.value(conv.weight()), 4, 1.0f);
  store.value(conv.bias())[0] = 0.5f;
  const Vec x = {1, 2, 3, 4, 5, 6, 7, 8, 9};  // (1, 1, 3, 3)
  Vec y(4);
  REQUIRE(conv.out_size(3) == 2);
  conv.forward(x.data(), y.data(), 1, 3, 3);
  CHECK(y == Vec{12.5f, 16.5f, 24.5f, 28.5f});
  // Each input pixel's gradient counts the windows that cover it.
  Vec dx(9);
  const Vec dy = {1, 1, 1, 1};
  store.zero_grad();
  conv.backward(x.data(), dy.data(), dx.data(), 1, 3, 3);
  CHECK(dx == Vec{1, 2, 1, 2, 4, 2, 1, 2, 1});
  const float* dw = store.grad(conv.weight());  // Σ of each tap's 2×2 input window
  CHECK(Vec(dw, dw + 4) == Vec{12, 16, 24, 28});
  CHECK(store.grad(conv.bias())[0] == 4.0f);
}

TEST_CASE("conv_transpose2d: hand-computed stride-2 upsampling") {
  ComputeScope scope(2);
  ParameterStore store;
  ConvTranspose2d up(store, "u", {1, 1, 2, 2, 0, false});
  const Vec w = {1, 2, 3, 4};
  std::copy(w.begin(), w.end(), store.value(up.weight()));
  REQUIRE(up.out_size(2) == 4);      // (2 − 1)·2 − 0 + 2
  const Vec x = {1, 10, 100, 1000};  // (1, 1, 2, 2)
  Vec y(16);
  up.forward(x.data(), y.data(), 1, 2, 2);
  // Every input pixel stamps x·w into its own 2×2 block.
  const Vec expect = {1, 2, 10, 20, 3, 4, 30, 40, 100, 200, 1000, 2000, 300, 400, 3000, 4000};
  CHECK(y == expect);
}

namespace {
struct Case {
  int64_t B, Ci, Co, H, W, K, S, P;
  bool bias;
  int64_t KH = 0, KW = 0, PT = -1, PB = -1, PL = -1, PR = -1;  // rectangular / one-sided (ConvSpec)
  ConvSpec spec() const { return {Ci, Co, K, S, P, bias, KH, KW, PT, PB, PL, PR}; }
  gm::nn::ref::Conv geometry() const { return {B, Ci, Co, H, W, K, S, P, KH, KW, PT, PB, PL, PR}; }
};

void compare_with_reference(bool transposed, const Case& c) {
  CAPTURE(transposed);
  CAPTURE(c.B);
  CAPTURE(c.Ci);
  CAPTURE(c.Co);
  CAPTURE(c.H);
  CAPTURE(c.W);
  CAPTURE(c.K);
  CAPTURE(c.S);
  CAPTURE(c.P);
  CAPTURE(c.KH);
  CAPTURE(c.KW);
  ParameterStore store;
  const ConvSpec spec = c.spec();
  Conv2d conv = transposed ? ConvTranspose2d(store, "c", spec) : Conv2d(store, "c", spec);
  gm::Rng rng(5, 0);
  conv.init(rng);
  const ref::Conv g = c.geometry();
  const int64_t OH = g.out_h(transposed), OW = g.out_w(transposed);
  REQUIRE(conv.out_height(c.H) == OH);
  REQUIRE(conv.out_width(c.W) == OW);
  const Vec x = randn(c.B * c.Ci * c.H * c.W, 1), dy = randn(c.B * c.Co * OH * OW, 2);
  const float* w = store.value(conv.weight());
  const float* b = c.bias ? store.value(conv.bias()) : nullptr;
  Vec y(dy.size()), y_ref(dy.size()), dx(x.size()), dx_ref(x.size());
  Vec dw_ref(static_cast<std::size_t>(store.size(conv.weight())), 0.25f);
  Vec db_ref(static_cast<std::size_t>(c.Co), 0.25f);
  std::fill(store.grads(), store.grads() + store.trainable_size(), 0.25f);
  conv.forward(x.data(), y.data(), c.B, c.H, c.W);
  conv.backward(x.data(), dy.data(), dx.data(), c.B, c.H, c.W);
  float* dbr = c.bias ? db_ref.data() : nullptr;
  if (transposed) {
    ref::conv_transpose2d_forward(g, x.data(), w, b, y_ref.data());
    ref::conv_transpose2d_backward(g, x.data(), w, dy.data(), dx_ref.data(), dw_ref.data(), dbr);
  } else {
    ref::conv2d_forward(g, x.data(), w, b, y_ref.data());
    ref::conv2d_backward(g, x.data(), w, dy.data(), dx_ref.data(), dw_ref.data(), dbr);
  }
  CHECK(rel_err(y, y_ref) < 1e-5);
  CHECK(rel_err(dx, dx_ref) < 1e-5);
  CHECK(rel_err(store.grad(conv.weight()), dw_ref.data(), dw_ref.size()) < 1e-5);
  if (c.bias) CHECK(rel_err(store.grad(conv.bias()), db_ref.data(), db_ref.size()) < 1e-5);
}

void check_gradients(bool transposed, const Case& c) {
  CAPTURE(transposed);
  ComputeScope scope(1);
  ParameterStore store;
  const ConvSpec spec = c.spec();
  Conv2d conv = transposed ? ConvTranspose2d(store, "c", spec) : Conv2d(store, "c", spec);
  gm::Rng rng(6, 0);
  conv.init(rng);
  const int64_t OH = conv.out_height(c.H), OW = conv.out_width(c.W);
  Vec x = randn(c.B * c.Ci * c.H * c.W, 3);
  const Vec r = randn(c.B * c.Co * OH * OW, 4);
  Vec y(r.size()), dx(x.size());
  auto loss = [&] {
    conv.forward(x.data(), y.data(), c.B, c.H, c.W);
    return dot(r, y.data());
  };
  store.zero_grad();
  conv.backward(x.data(), r.data(), dx.data(), c.B, c.H, c.W);
  CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss) < 1e-2);
  CHECK(grad_check(store.value(conv.weight()), store.grad(conv.weight()), store.size(conv.weight()), loss) < 1e-2);
  CHECK(grad_check(store.value(conv.bias()), store.grad(conv.bias()), c.Co, loss) < 1e-2);
}
}  // namespace

TEST_CASE("conv2d and conv_transpose2d: oneDNN matches the reference loops") {
  ComputeScope scope(2);
  const Case cases[] = {
      {1, 1, 1, 5, 5, 3, 1, 0, true},   // batch 1, one channel
      {2, 3, 5, 7, 6, 3, 1, 1, true},   // odd sizes, non-square image, padding
      {3, 4, 6, 8, 8, 4, 2, 1, false},  // DCGAN's k=4 s=2 p=1
      {2, 5, 3, 9, 7, 3, 2, 0, true},   // stride 2 without padding, odd image
      {1, 16, 8, 4, 4, 1, 1, 0, true},  // 1×1 kernel
      // PixelCNN's causal convolutions: a (K/2+1)×K vertical kernel padded only on top, a
      // 1×(K/2+1) horizontal one padded only on the left, the first layer's (K/2)×K.
      {2, 3, 6, 6, 5, 0, 1, 0, true, 2, 3, 1, 0, 1, 1},
      {2, 17, 32, 7, 7, 0, 1, 0, true, 4, 7, 3, 0, 3, 3},  // blocked layouts (>= 16 channels)
      {3, 4, 8, 5, 6, 0, 1, 0, true, 1, 2, 0, 0, 1, 0},
      {1, 2, 4, 6, 6, 0, 1, 0, false, 3, 7, 2, 0, 3, 3},
      {2, 3, 2, 5, 4, 0, 2, 0, true, 3, 2, 2, 1, 0, 1},  // stride 2, every side different
      // One channel on a side: the direct loops (nn/direct_conv.hpp), not oneDNN.
      {3, 1, 32, 13, 11, 7, 1, 0, false},                // an image's first 7×7 layer
      {3, 32, 1, 13, 11, 7, 1, 0, true},                 // its last, with bias
      {2, 1, 8, 12, 12, 4, 2, 1, true},                  // a discriminator's first, stride 2
      {2, 20, 1, 6, 5, 4, 1, 1, true},                   // a PatchGAN's score map
      {2, 3, 1, 7, 9, 3, 3, 2, true},                    // stride 3, padding 2
      {2, 1, 3, 6, 5, 0, 1, 0, true, 2, 3, 1, 0, 1, 1},  // PixelCNN's causal first layer
      {1, 2, 1, 5, 6, 0, 2, 0, true, 3, 2, 2, 1, 0, 1},  // stride 2, every side different
  };
  for (const Case& c : cases) {
    compare_with_reference(false, c);
    compare_with_reference(true, c);
  }
}

TEST_CASE("conv2d and conv_transpose2d: finite-difference gradients") {
  check_gradients(false, {2, 2, 3, 5, 4, 3, 2, 1, true});
  check_gradients(true, {2, 3, 2, 3, 4, 4, 2, 1, true});
  check_gradients(false, {2, 2, 3, 5, 4, 0, 1, 0, true, 2, 3, 1, 0, 1, 1});  // causal vertical
  check_gradients(false, {2, 3, 2, 4, 5, 0, 1, 0, true, 1, 2, 0, 0, 1, 0});  // causal horizontal
  check_gradients(true, {2, 3, 2, 3, 4, 0, 2, 0, true, 3, 2, 2, 1, 0, 1});
  check_gradients(false, {2, 1, 3, 6, 5, 3, 2, 1, true});  // direct loops: one input channel
  check_gradients(false, {2, 3, 1, 6, 5, 4, 1, 2, true});  // one output channel
}

TEST_CASE("conv2d: rectangular kernels and one-sided padding") {
  ComputeScope scope(1);
  ParameterStore store;
  // A 2×3 kernel padded 1 on top, 1 left and right, 0 below: output row i reads rows i−1, i.
  ConvSpec spec{1, 1, 0, 1, 0, false, 2, 3, 1, 0, 1, 1};
  Conv2d conv(store, "c", spec);
  CHECK(conv.out_height(4) == 4);
  CHECK(conv.out_width(5) == 5);
  CHECK(store.entry(conv.weight()).shape == std::vector<int64_t>{1, 1, 2, 3});
  CHECK_THROWS(conv.out_size(4));  // not square: out_height / out_width say which axis
  spec.pad_top = 2;                // padding must stay below the kernel on each side
  CHECK_THROWS(Conv2d(store, "bad", spec));

  // A second face of the same weights without the top padding: the window form the
  // PixelCNN sampler uses. Its output row 0 equals row 1 of the padded face.
  gm::Rng rng(3, 0);
  conv.init(rng);
  ConvSpec window = conv.spec();
  window.pad_top = 0;
  const Conv2d face(conv, window);
  CHECK(face.weight().index == conv.weight().index);
  const Vec x = randn(2 * 4 * 5, 7);  // (2, 1, 4, 5)
  Vec y(2 * 4 * 5), rows(2 * 5);
  conv.forward(x.data(), y.data(), 2, 4, 5);
  Vec top2(2 * 2 * 5);  // rows 0 and 1 of each example
  for (int b = 0; b < 2; ++b) std::copy_n(x.begin() + b * 20, 10, top2.begin() + b * 10);
  REQUIRE(face.out_height(2) == 1);
  face.forward(top2.data(), rows.data(), 2, 2, 5);
  for (int b = 0; b < 2; ++b)
    for (int j = 0; j < 5; ++j) CHECK(rows[b * 5 + j] == doctest::Approx(y[b * 20 + 5 + j]).epsilon(1e-6));
  ConvSpec other = window;
  other.kernel_w = 1;
  CHECK_THROWS(Conv2d(conv, other));  // another kernel is not a face of these weights
}
