#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/reflect_pad.hpp"
#include "nn/sequential.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {
// deconv (BN, relu) → conv (BN, leaky) → flatten → dense (tanh) → dense (sigmoid): every
// layer kind, batch norm on both spatial kinds, every activation the GANs use.
void build(Sequential& net, ParameterStore& store) {
  StageSpec a;
  a.layer = Layer::deconv;
  a.name = "a";
  a.in = 2;
  a.out = 3;
  a.in_h = a.in_w = 3;
  a.kernel = 4;
  a.stride = 2;
  a.padding = 1;
  a.bias = false;
  a.batch_norm = true;
  a.act = Act::relu;
  net.add(store, a);
  StageSpec b;
  b.layer = Layer::conv;
  b.name = "b";
  b.in = 3;
  b.out = 4;
  b.in_h = b.in_w = 6;
  b.kernel = 3;
  b.stride = 2;
  b.padding = 1;
  b.batch_norm = true;
  b.act = Act::leaky_relu;
  net.add(store, b);
  StageSpec c;
  c.name = "c";
  c.in = 4 * 3 * 3;
  c.out = 5;
  c.act = Act::tanh;
  net.add(store, c);
  StageSpec d;
  d.name = "d";
  d.in = 5;
  d.out = 2;
  d.act = Act::sigmoid;
  net.add(store, d);
}
}  // namespace

TEST_CASE("sequential: shapes, spans and a chain that does not fit") {
  ComputeScope scope(1);
  ParameterStore store;
  Sequential net;
  build(net, store);
  CHECK(net.in_size() == 2 * 3 * 3);
  CHECK(net.out_size() == 2);
  CHECK(store.entry(net.first_param()).name == "a.weight");
  CHECK(store.entry(net.last_param()).name == "d.bias");
  StageSpec bad;
  bad.name = "e";
  bad.in = 3;
  bad.out = 1;
  CHECK_THROWS(net.add(store, bad));
}

TEST_CASE("sequential: finite-difference gradients of parameters and input, batch norm in training mode") {
  ComputeScope scope(1);
  ParameterStore store;
  Sequential net;
  build(net, store);
  gm::Rng rng(7, 0);
  float* all = store.values();
  const Vec init = randn(store.trainable_size(), 3, 0.5f);
  for (int64_t i = 0; i < store.trainable_size(); ++i) all[i] = init[static_cast<std::size_t>(i)];
  const int64_t B = 4;
  Vec x = randn(B * net.in_size(), 4);
  const Vec r = randn(B * net.out_size(), 5);
  SequentialWork work;
  auto loss = [&] { return dot(r, net.forward_train(x.data(), B, work)); };

  store.zero_grad();
  loss();
  Vec dy = r, dx(x.size());
  net.backward(x.data(), dy.data(), dx.data(), B, work);
  const Vec grads(store.grads(), store.grads() + store.trainable_size());
  CHECK(grad_check(store.values(), grads.data(), store.trainable_size(), loss, 2e-3f) < 0.05);
  CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss, 2e-3f) < 0.05);

  // Input gradient only: the same dx, and no weight gradient of any layer.
  store.zero_grad();
  loss();
  Vec dy2 = r, dx2(x.size());
  net.backward(x.data(), dy2.data(), dx2.data(), B, work, /*weights*/ false);
  CHECK(rel_err(dx2, dx) < 1e-6);
  for (std::size_t i = 0; i < net.size(); ++i) {
    const float* g = store.grad(net.weight(i));
    for (int64_t k = 0; k < store.size(net.weight(i)); ++k) REQUIRE(g[k] == 0.0f);
  }
}

TEST_CASE("sequential: inference uses running statistics and matches training after they converge") {
  ComputeScope scope(1);
  ParameterStore store;
  Sequential net;
  build(net, store);
  const Vec init = randn(store.trainable_size(), 8, 0.5f);
  std::copy(init.begin(), init.end(), store.values());
  const int64_t B = 8;
  const Vec x = randn(B * net.in_size(), 9);
  SequentialWork train_work, infer_work;
  // The same batch many times: the running statistics converge to its batch statistics
  // (up to the unbiased variance factor n/(n−1), small for n = B·H·W per channel).
  for (int i = 0; i < 200; ++i) net.forward_train(x.data(), B, train_work);
  const float* yt = net.forward_train(x.data(), B, train_work);
  const Vec y_train(yt, yt + B * net.out_size());
  const float* yi = net.forward_infer(x.data(), B, infer_work);
  const Vec y_infer(yi, yi + B * net.out_size());
  CHECK(rel_err(y_infer, y_train) < 0.05);
}

namespace {
StageSpec spatial(Layer layer, const char* name, int64_t in, int64_t out, int64_t side, int64_t kernel, int64_t stride,
                  int64_t padding, Act act) {
  StageSpec s;
  s.layer = layer;
  s.name = name;
  s.in = in;
  s.out = out;
  s.in_h = s.in_w = side;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  s.act = act;
  return s;
}

// CycleGAN's generator scaled to one 8×8 channel: c7s1-4 (reflection 3, instance norm with
// γ, β, ReLU), d8 (3×3 stride 2, instance norm without, ReLU), two residual blocks (one
// reflection-padded with γ, β, one zero-padded without), u4 (4×4 stride-2 deconvolution,
// instance norm, ReLU), c7s1-1 (reflection 3, tanh).
void build_generator(Sequential& net, ParameterStore& store) {
  StageSpec s = spatial(Layer::conv, "g0", 1, 4, 8, 7, 1, 3, Act::relu);
  s.reflect = true;
  s.instance_norm = true;
  net.add(store, s);
  s = spatial(Layer::conv, "g1", 4, 8, 8, 3, 2, 1, Act::relu);
  s.bias = false;
  s.instance_norm = true;
  s.affine = false;
  net.add(store, s);
  s = spatial(Layer::residual, "g2", 8, 8, 4, 0, 1, 0, Act::none);
  s.reflect = true;
  net.add(store, s);
  s.name = "g3";
  s.reflect = false;
  s.affine = false;
  net.add(store, s);
  s = spatial(Layer::deconv, "g4", 8, 4, 4, 4, 2, 1, Act::relu);
  s.bias = false;
  s.instance_norm = true;
  net.add(store, s);
  s = spatial(Layer::conv, "g5", 4, 1, 8, 7, 1, 3, Act::tanh);
  s.reflect = true;
  net.add(store, s);
}

// A PatchGAN discriminator on 8×8: C4 (4×4 stride 2, LeakyReLU 0.2, no norm), C8 (4×4
// stride 2, instance norm, LeakyReLU), a 3×3 convolution to one logit per 2×2 patch.
void build_patchgan(Sequential& net, ParameterStore& store) {
  net.add(store, spatial(Layer::conv, "d0", 1, 4, 8, 4, 2, 1, Act::leaky_relu));
  StageSpec s = spatial(Layer::conv, "d1", 4, 8, 4, 4, 2, 1, Act::leaky_relu);
  s.instance_norm = true;
  s.affine = false;
  net.add(store, s);
  net.add(store, spatial(Layer::conv, "d2", 8, 1, 2, 3, 1, 1, Act::none));
}

void randomise(ParameterStore& store, uint64_t seed) {
  const Vec init = randn(store.trainable_size(), seed, 0.5f);
  std::copy(init.begin(), init.end(), store.values());
}
}  // namespace

TEST_CASE("sequential: a generator with instance norm and residual blocks matches its hand composition") {
  ComputeScope scope(1);
  ParameterStore store;
  Sequential net;
  build_generator(net, store);
  std::vector<std::string> names;
  for (int32_t i = 0; i < store.count(); ++i) names.push_back(store.entry(gm::nn::ParamId{i}).name);
  CHECK(names == std::vector<std::string>{"g0.weight", "g0.bias", "g0.in.weight", "g0.in.bias", "g1.weight",
                                          "g2.conv1.weight", "g2.in1.weight", "g2.in1.bias", "g2.conv2.weight",
                                          "g2.in2.weight", "g2.in2.bias", "g3.conv1.weight", "g3.conv2.weight",
                                          "g4.weight", "g4.in.weight", "g4.in.bias", "g5.weight", "g5.bias"});
  CHECK(store.entry(net.first_param()).name == "g0.weight");
  CHECK(store.entry(net.last_param()).name == "g5.bias");
  CHECK(net.in_size() == 64);
  CHECK(net.out_size() == 64);
  CHECK(net.residual(2) != nullptr);
  CHECK(net.instance_norm(1) != nullptr);
  CHECK(store.entry(net.weight(2)).name == "g2.conv1.weight");
  CHECK_FALSE(net.bias(2).valid());
  gm::Rng rng(3, 0);
  net.init_default(rng);
  randomise(store, 4);

  // The same layers, one by one, on a store of their own with the values copied by name.
  ParameterStore hs;
  Conv2d c0(hs, "g0", ConvSpec{1, 4, 7, 1, 0, true});
  InstanceNorm n0(hs, "g0.in", 4);
  Conv2d c1(hs, "g1", ConvSpec{4, 8, 3, 2, 1, false});
  InstanceNorm n1(hs, "g1.in", 8, false);
  ResidualBlock r2(hs, "g2", 8, true, true);
  ResidualBlock r3(hs, "g3", 8, false, false);
  ConvTranspose2d c4(hs, "g4", ConvSpec{8, 4, 4, 2, 1, false});
  InstanceNorm n4(hs, "g4.in", 4);
  Conv2d c5(hs, "g5", ConvSpec{4, 1, 7, 1, 0, true});
  for (int32_t i = 0; i < hs.count(); ++i) {
    const auto& e = hs.entry(gm::nn::ParamId{i});
    std::copy_n(store.value(store.find(e.name)), e.size, hs.value(gm::nn::ParamId{i}));
  }
  const int64_t B = 3;
  const Vec x = randn(B * 64, 5);
  Vec p(B * 4 * 14 * 14), a(B * 4 * 64), b(B * 4 * 64), c(B * 8 * 16), d(B * 8 * 16), e(B * 8 * 16);
  Vec y(B * 64);
  ResidualWork w2, w3;
  reflect_pad_forward(x.data(), p.data(), B, 1, 8, 8, 3);
  c0.forward(p.data(), a.data(), B, 14, 14);
  n0.forward(a.data(), b.data(), nullptr, nullptr, B, 64);
  relu_inplace(b.data(), B * 4 * 64);
  c1.forward(b.data(), c.data(), B, 8, 8);
  n1.forward(c.data(), d.data(), nullptr, nullptr, B, 16);
  relu_inplace(d.data(), B * 8 * 16);
  r2.forward(d.data(), e.data(), B, 4, 4, w2);
  r3.forward(e.data(), c.data(), B, 4, 4, w3);
  c4.forward(c.data(), a.data(), B, 4, 4);
  n4.forward(a.data(), b.data(), nullptr, nullptr, B, 64);
  relu_inplace(b.data(), B * 4 * 64);
  reflect_pad_forward(b.data(), p.data(), B, 4, 8, 8, 3);
  c5.forward(p.data(), y.data(), B, 14, 14);
  Activation(Act::tanh).forward(y.data(), y.data(), B * 64);

  SequentialWork work;
  const float* out = net.forward_train(x.data(), B, work);
  CHECK(rel_err(out, y.data(), y.size()) < 1e-6);
  // Instance norm keeps no running statistics: inference is the same pass.
  SequentialWork infer;
  CHECK(std::equal(out, out + B * 64, net.forward_infer(x.data(), B, infer)));
}

TEST_CASE("sequential: stage_tensors lists what add registers, every kind of stage") {
  ComputeScope scope(1);
  for (const int chain : {0, 1, 2}) {
    CAPTURE(chain);
    ParameterStore store;
    Sequential net;
    if (chain == 0)
      build(net, store);
    else if (chain == 1)
      build_generator(net, store);
    else
      build_patchgan(net, store);
    std::vector<std::pair<std::string, std::vector<int64_t>>> planned, registered;
    for (std::size_t i = 0; i < net.size(); ++i)
      for (auto& t : stage_tensors(net.spec(i))) planned.push_back(t);
    for (const gm::TensorRef& t : store.tensors()) registered.push_back({t.name, t.shape});
    CHECK(planned == registered);
  }
}

TEST_CASE("sequential: finite-difference gradients of a residual generator and a PatchGAN discriminator") {
  ComputeScope scope(1);
  for (const bool generator : {true, false}) {
    CAPTURE(generator);
    ParameterStore store;
    Sequential net;
    if (generator)
      build_generator(net, store);
    else
      build_patchgan(net, store);
    randomise(store, 6);
    // The last 7×7 convolution sums 196 taps: scaled to N(0, 0.05²) so that tanh is not
    // saturated (a saturated output leaves gradients at the level of float noise).
    if (generator) {
      float* w = store.value(net.weight(5));
      for (int64_t k = 0; k < store.size(net.weight(5)); ++k) w[k] *= 0.1f;
    }
    const int64_t B = 2;
    Vec x = randn(B * net.in_size(), 7);
    const Vec r = randn(B * net.out_size(), 8);
    SequentialWork work;
    auto loss = [&] { return dot(r, net.forward_train(x.data(), B, work)); };

    store.zero_grad();
    loss();
    Vec dy = r, dx(x.size());
    net.backward(x.data(), dy.data(), dx.data(), B, work);
    const Vec grads(store.grads(), store.grads() + store.trainable_size());
    // Steps: six float stages put ~3e-3 of noise on a numerical input gradient at 2.5e-4
    // (against a largest entry of 0.6), and a step of 1e-3 on a weight crosses some ReLU's
    // kink (worst entry 0.08 off): 5e-4 for the weights, 1e-3 for the input. Since the first
    // layer runs on the direct one-channel loops (nn/direct_conv.hpp: the same sums in another
    // order) the input's worst entry is 0.053 off in the ASan build (below 0.05 in release) and
    // 0.070 at a step of 5e-4 (noise): the input check allows 0.08. A wrong gradient is O(1).
    CHECK(grad_check(store.values(), grads.data(), store.trainable_size(), loss, 5e-4f) < 0.05);
    CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss, 1e-3f) < 0.08);

    // Input gradient only: the same dx, and no weight gradient of any layer (nor of a
    // residual block's second convolution).
    store.zero_grad();
    loss();
    Vec dy2 = r, dx2(x.size());
    net.backward(x.data(), dy2.data(), dx2.data(), B, work, /*weights*/ false);
    CHECK(rel_err(dx2, dx) < 1e-6);
    for (std::size_t i = 0; i < net.size(); ++i) {
      std::vector<ParamId> ws = {net.weight(i)};
      if (net.residual(i)) ws.push_back(net.residual(i)->conv2().weight());
      for (const ParamId w : ws)
        for (int64_t k = 0; k < store.size(w); ++k) REQUIRE(store.grad(w)[k] == 0.0f);
    }
  }
}

TEST_CASE("sequential: instance norm, reflection and residual stages refuse what has no meaning") {
  ComputeScope scope(1);
  auto refuses = [](StageSpec s) {
    ParameterStore store;
    Sequential net;
    CHECK_THROWS_AS(net.add(store, s), gm::Error);
  };
  StageSpec conv = spatial(Layer::conv, "c", 2, 3, 4, 3, 1, 1, Act::relu);
  StageSpec s = conv;
  s.batch_norm = s.instance_norm = true;
  refuses(s);
  s = conv;
  s.layer = Layer::dense;
  s.instance_norm = true;
  refuses(s);
  s = conv;
  s.layer = Layer::deconv;
  s.reflect = true;
  refuses(s);
  s = conv;
  s.reflect = true;
  s.padding = 4;  // not < 4
  refuses(s);
  s = spatial(Layer::residual, "r", 2, 3, 4, 0, 1, 0, Act::none);  // 2 → 3 channels
  refuses(s);
  s.out = 2;
  s.instance_norm = true;
  refuses(s);
  s.instance_norm = false;
  s.in_h = s.in_w = 1;
  s.reflect = true;  // a 1×1 input has nothing to reflect
  refuses(s);
}
