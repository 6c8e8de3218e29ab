#include <doctest/doctest.h>

#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/detail/plan_cache.hpp"
#include "nn/gemm.hpp"
#include "nn/linear.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("linear: hand-computed forward and backward, gradients add") {
  ComputeScope scope(2);
  ParameterStore store;
  Linear fc(store, "fc", 2, 3);
  const Vec W = {1, 0, 0, 1, 1, 1};  // (3, 2)
  const Vec b = {0.5f, -1, 0};
  std::copy(W.begin(), W.end(), store.value(fc.weight()));
  std::copy(b.begin(), b.end(), store.value(fc.bias()));
  const Vec x = {1, 2};
  Vec y(3), dx(2);
  fc.forward(x.data(), y.data(), 1);
  CHECK(y == Vec{1.5f, 1.0f, 3.0f});
  const Vec dy = {1, 1, 1};
  store.zero_grad();
  fc.backward(x.data(), dy.data(), dx.data(), 1);
  CHECK(dx == Vec{2, 2});  // dy · W
  fc.backward(x.data(), dy.data(), nullptr, 1);
  const float* dW = store.grad(fc.weight());
  for (int o = 0; o < 3; ++o) {  // 2 × dyᵀx
    CHECK(dW[o * 2] == 2.0f);
    CHECK(dW[o * 2 + 1] == 4.0f);
    CHECK(store.grad(fc.bias())[o] == 2.0f);
  }
}

TEST_CASE("linear: oneDNN matches the reference loops") {
  ComputeScope scope(2);
  struct Case {
    int64_t B, I, O;
    bool bias;
  };
  for (const Case c : {Case{1, 1, 1, true}, Case{1, 7, 3, false}, Case{5, 13, 17, true}, Case{64, 100, 33, true},
                       Case{3, 512, 9, true}, Case{33, 9, 256, false}}) {
    CAPTURE(c.B);
    CAPTURE(c.I);
    CAPTURE(c.O);
    ParameterStore store;
    Linear fc(store, "fc", c.I, c.O, c.bias);
    gm::Rng rng(7, 0);
    fc.init(rng);
    const Vec x = randn(c.B * c.I, 1), dy = randn(c.B * c.O, 2);
    const float* W = store.value(fc.weight());
    const float* b = c.bias ? store.value(fc.bias()) : nullptr;
    Vec y(dy.size()), y_ref(dy.size()), dx(x.size()), dx_ref(x.size());
    fc.forward(x.data(), y.data(), c.B);
    ref::linear_forward(x.data(), W, b, y_ref.data(), c.B, c.I, c.O);
    CHECK(rel_err(y, y_ref) < 1e-5);

    Vec dW_ref(static_cast<std::size_t>(c.I * c.O), 0.5f), db_ref(static_cast<std::size_t>(c.O), 0.5f);
    std::fill(store.grads(), store.grads() + store.trainable_size(), 0.5f);  // backward adds
    fc.backward(x.data(), dy.data(), dx.data(), c.B);
    ref::linear_backward(x.data(), W, dy.data(), dx_ref.data(), dW_ref.data(), c.bias ? db_ref.data() : nullptr, c.B,
                         c.I, c.O);
    CHECK(rel_err(dx, dx_ref) < 1e-5);
    CHECK(rel_err(store.grad(fc.weight()), dW_ref.data(), dW_ref.size()) < 1e-5);
    if (c.bias) CHECK(rel_err(store.grad(fc.bias()), db_ref.data(), db_ref.size()) < 1e-5);
  }
}

TEST_CASE("linear: finite-difference gradients of input, weight and bias") {
  ComputeScope scope(1);
  const int64_t B = 3, I = 5, O = 4;
  ParameterStore store;
  Linear fc(store, "fc", I, O);
  gm::Rng rng(3, 0);
  fc.init(rng);
  Vec x = randn(B * I, 4);
  const Vec r = randn(B * O, 5);
  Vec y(r.size()), dx(x.size());
  auto loss = [&] {
    fc.forward(x.data(), y.data(), B);
    return dot(r, y.data());
  };
  store.zero_grad();
  fc.backward(x.data(), r.data(), dx.data(), B);
  CHECK(grad_check(x.data(), dx.data(), B * I, loss) < 1e-2);
  CHECK(grad_check(store.value(fc.weight()), store.grad(fc.weight()), O * I, loss) < 1e-2);
  CHECK(grad_check(store.value(fc.bias()), store.grad(fc.bias()), O, loss) < 1e-2);
}

TEST_CASE("gemm: transposed views, leading dimensions, bias and accumulation") {
  ComputeScope scope(2);
  const int64_t M = 7, N = 5, K = 9;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int acc = 0; acc < 2; ++acc) {
        CAPTURE(ta);
        CAPTURE(tb);
        CAPTURE(acc);
        // Stored shapes with padded rows: A is (M, K) or (K, M), B is (K, N) or (N, K).
        const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
        const Vec A = randn((ta ? K : M) * lda, 10), Bm = randn((tb ? N : K) * ldb, 11);
        const Vec bias = randn(N, 12);
        Vec C = randn(M * ldc, 13), C_ref = C;
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) {
            double s = bias[static_cast<std::size_t>(j)] + (acc ? C_ref[i * ldc + j] : 0.0);
            for (int64_t k = 0; k < K; ++k)
              s += double(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? Bm[j * ldb + k] : Bm[k * ldb + j]);
            C_ref[i * ldc + j] = float(s);
          }
        Gemm gemm(ta, tb, acc);
        gemm.run(M, N, K, A.data(), lda, Bm.data(), ldb, C.data(), ldc, bias.data());
        for (int64_t i = 0; i < M; ++i) CHECK(rel_err(C.data() + i * ldc, C_ref.data() + i * ldc, N) < 1e-5);
      }
}

TEST_CASE("primitives are built once per shape and reused") {
  ComputeScope scope(2);
  ParameterStore store;
  Linear fc(store, "fc", 8, 4);
  const Vec x = randn(16 * 8, 1);
  Vec y(16 * 4);
  fc.forward(x.data(), y.data(), 16);
  const int64_t after_first = detail::plans_created();
  for (int i = 0; i < 5; ++i) fc.forward(x.data(), y.data(), 16);
  CHECK(detail::plans_created() == after_first);
  fc.forward(x.data(), y.data(), 3);  // the last, smaller batch of an epoch: one new plan
  CHECK(detail::plans_created() == after_first + 1);
  for (int i = 0; i < 3; ++i) {  // alternating sizes are both kept
    fc.forward(x.data(), y.data(), 16);
    fc.forward(x.data(), y.data(), 3);
  }
  CHECK(detail::plans_created() == after_first + 1);
}
