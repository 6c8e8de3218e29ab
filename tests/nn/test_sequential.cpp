#include <doctest/doctest.h>

#include "helpers.hpp"
#include "nn/compute.hpp"
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
