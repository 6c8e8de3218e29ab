// nn::TextEncoder: a hand-computed forward, finite-difference gradients of every parameter
// (table, score vector, output layer), and the bad-id error.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/text_encoder.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("text encoder: forward by hand (two words, learned weights, empty slot, empty row)") {
  ComputeScope scope(1);
  // T = 3 slots of K = 2 ids, N = 4 buckets, H = 2, O = 2 with W = I, b = 0.
  ParameterStore store;
  TextEncoder enc(store, "t", 3, 2, 4, 2, 2);
  float* E = store.value(enc.first());
  const float table[8] = {1, 0, 0, 1, 2, 2, -1, 3};  // rows 0..3
  std::copy(table, table + 8, E);
  float* u = store.value(store.find("t.score"));
  u[0] = 1.0f;
  u[1] = 0.0f;
  float* W = store.value(store.find("t.out.weight"));
  W[0] = 1, W[1] = 0, W[2] = 0, W[3] = 1;
  store.value(store.find("t.out.bias"))[0] = 0.0f;
  store.value(store.find("t.out.bias"))[1] = 0.0f;
  // Row 0: word 1 = ids {1, 2} → (E0 + E1)/√2 = (1, 1)/√2; slot 2 empty; word 3 = id {3} → (2, 2).
  // Row 1: no words.
  const float ids[12] = {1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
  float y[4];
  TextEncoderWork w;
  enc.forward(ids, y, 2, w);
  const double e1 = 1.0 / std::sqrt(2.0), a1 = e1 * 1.0, a3 = 2.0;  // scores u·e
  const double p1 = std::exp(a1) / (std::exp(a1) + std::exp(a3)), p3 = 1.0 - p1;
  CHECK(w.alpha[0] == doctest::Approx(p1));
  CHECK(w.alpha[1] == 0.0f);
  CHECK(w.alpha[2] == doctest::Approx(p3));
  CHECK(y[0] == doctest::Approx(p1 * e1 + p3 * 2.0));
  CHECK(y[1] == doctest::Approx(p1 * e1 + p3 * 2.0));
  CHECK(y[2] == 0.0f);
  CHECK(y[3] == 0.0f);
  // A bigger score takes the weight: the word the encoder has learned to read dominates.
  u[0] = 10.0f;
  enc.forward(ids, y, 2, w);
  CHECK(w.alpha[2] > 0.9999f);
  // Ids out of range or fractional are invalid_argument.
  float bad[6] = {5, 0, 0, 0, 0, 0};
  CHECK_THROWS_AS(enc.forward(bad, y, 1, w), gm::Error);
  bad[0] = 1.5f;
  CHECK_THROWS_AS(enc.forward(bad, y, 1, w), gm::Error);
}

TEST_CASE("text encoder: finite-difference gradients of table, score and output layer") {
  ComputeScope scope(1);
  const int64_t B = 3, T = 4, K = 3, N = 7, H = 5, O = 4;
  ParameterStore store;
  TextEncoder enc(store, "t", T, K, N, H, O);
  gm::Rng rng(11, 0);
  enc.init(rng);
  // u = 0 after init: give it a value so the softmax's gradient is exercised.
  const Vec u0 = randn(H, 12, 0.7f);
  std::copy(u0.begin(), u0.end(), store.value(store.find("t.score")));
  // Rows: repeated ids inside a word, a shared id between words, an empty slot, a one-word row.
  const float ids[B * T * K] = {1, 2, 2, 3, 0, 0, 0, 0, 0, 7, 1, 4,  //
                                5, 6, 0, 5, 0, 0, 2, 3, 4, 1, 0, 0,  //
                                0, 0, 0, 6, 6, 6, 0, 0, 0, 0, 0, 0};
  const Vec r = randn(B * O, 13);
  Vec y(static_cast<std::size_t>(B * O));
  TextEncoderWork w;
  auto loss = [&] {
    TextEncoderWork fresh;
    enc.forward(ids, y.data(), B, fresh);
    return dot(r, y.data());
  };
  store.zero_grad();
  enc.forward(ids, y.data(), B, w);
  enc.backward(ids, r.data(), B, w);
  const double table = grad_check(store.value(enc.first()), store.grad(enc.first()), N * H, loss);
  const double score = grad_check(store.value(store.find("t.score")), store.grad(store.find("t.score")), H, loss);
  const double weight =
      grad_check(store.value(store.find("t.out.weight")), store.grad(store.find("t.out.weight")), O * H, loss);
  const double bias = grad_check(store.value(enc.last()), store.grad(enc.last()), O, loss);
  CAPTURE(table);
  CAPTURE(score);
  CAPTURE(weight);
  CAPTURE(bias);
  CHECK(table < 1e-2);
  CHECK(score < 1e-2);
  CHECK(weight < 1e-2);
  CHECK(bias < 1e-2);
  // The gradients are not trivially zero (a check that cannot fail would pass on zeros).
  double g2 = 0;
  for (int64_t i = 0; i < H; ++i) g2 += std::fabs(store.grad(store.find("t.score"))[i]);
  CHECK(g2 > 1e-3);
  // Backward adds: a second backward doubles every gradient.
  const float before = store.grad(enc.first())[0];
  enc.backward(ids, r.data(), B, w);
  CHECK(store.grad(enc.first())[0] == doctest::Approx(2.0f * before));
}
