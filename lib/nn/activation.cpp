#include "nn/activation.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "nn/detail/plan_cache.hpp"

namespace gm::nn {

using namespace detail;

namespace {
dnnl::algorithm algorithm_of(Act kind) {
  switch (kind) {
    case Act::relu:
    case Act::leaky_relu: return dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
    case Act::sigmoid: return dnnl::algorithm::eltwise_logistic_use_dst_for_bwd;
    case Act::tanh: return dnnl::algorithm::eltwise_tanh_use_dst_for_bwd;
    case Act::softplus: return dnnl::algorithm::eltwise_soft_relu;
    case Act::none: break;
  }
  fail(Status::internal, "unknown activation {}", static_cast<int>(kind));
}

dnnl::eltwise_forward::primitive_desc forward_pd(Act kind, float alpha, int64_t n) {
  const dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, algorithm_of(kind), md({n}, Tag::a), alpha,
                                      0.0f);
  return dnnl::eltwise_forward::primitive_desc(d, plan_attr(), cpu_engine());
}
}  // namespace

Activation::Activation(Act kind, float alpha)
    : kind_(kind),
      alpha_(kind == Act::leaky_relu ? alpha : 0.0f),
      fwd_(std::make_unique<PlanCache>()),
      bwd_(std::make_unique<PlanCache>()) {
  // relu_use_dst_for_bwd recovers the sign of x from y, which needs α ≥ 0.
  if (kind == Act::none)
    fail(Status::invalid_argument, "an Activation needs a function: Act::none is the identity, skip the call");
  if (kind == Act::leaky_relu && !(alpha >= 0.0f && std::isfinite(alpha)))
    fail(Status::invalid_argument, "leaky_relu slope must be finite and >= 0, got {}", alpha);
}
Activation::~Activation() = default;
Activation::Activation(Activation&&) noexcept = default;
Activation& Activation::operator=(Activation&&) noexcept = default;

void Activation::forward(const float* x, float* y, int64_t n) const {
  if (n <= 0) return;
  Exec e = fwd_->acquire({n, 0, 0, 0, 0, 0, 0, 0}, [&] {
    return make_plan(forward_pd(kind_, alpha_, n), {DNNL_ARG_SRC, DNNL_ARG_DST});
  });
  e.set(0, x);
  e.set(1, y);
  e.run();
}

void Activation::backward(const float* x, const float* y, const float* dy, float* dx, int64_t n) const {
  if (n <= 0) return;
  const float* data = uses_output() ? y : x;
  if (data == nullptr)
    fail(Status::internal, "activation backward needs forward's {}", uses_output() ? "output" : "input");
  Exec e = bwd_->acquire({n, 0, 0, 0, 0, 0, 0, 0}, [&] {
    const memory::desc m = md({n}, Tag::a);
    const dnnl::eltwise_backward::desc d(algorithm_of(kind_), m, m, alpha_, 0.0f);
    const dnnl::eltwise_backward::primitive_desc pd(d, plan_attr(), cpu_engine(), forward_pd(kind_, alpha_, n));
    const int data_arg = uses_output() ? DNNL_ARG_DST : DNNL_ARG_SRC;
    return make_plan(pd, {data_arg, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC});
  });
  e.set(0, data);
  e.set(1, dy);
  e.set(2, dx);
  e.run();
}

namespace {
// Above this size the loop is memory-bound for long enough to be worth a thread team.
constexpr int64_t kParallelMin = int64_t{1} << 18;
}  // namespace

// On the bits, because GCC does not if-convert a float compare-and-select under the default
// -ftrapping-math: `y > 0 ? y : 0` stayed a scalar compare and an unpredictable branch (11%
// of a vae training step). Clearing every float whose sign bit is set is max(y, 0) (−0 → +0,
// a NaN with the sign set → 0, as the compare gave), and integer masks vectorise.
void relu_inplace(float* y, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, &y[i], sizeof b);
    b &= ~static_cast<uint32_t>(static_cast<int32_t>(b) >> 31);
    std::memcpy(&y[i], &b, sizeof b);
  }
}

// y ≥ 0 (relu's output), so y > 0 is its bits read as a positive integer.
void relu_backward_inplace(const float* y, float* g, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    int32_t yb;
    uint32_t gb;
    std::memcpy(&yb, &y[i], sizeof yb);
    std::memcpy(&gb, &g[i], sizeof gb);
    gb &= 0u - static_cast<uint32_t>(yb > 0);
    std::memcpy(&g[i], &gb, sizeof gb);
  }
}

}  // namespace gm::nn
