#include "nn/optim.hpp"


#include <immintrin.h>

#include <cmath>

#include "core/error.hpp"

namespace gm::nn {

namespace {
// Below this many floats a step is a few microseconds: not worth waking the OpenMP team.
constexpr int64_t kParallelMin = 1 << 15;

void check_span(const ParamSpan& s, const char* who) {
  if (s.count < 0 || (s.count > 0 && (s.value == nullptr || s.grad == nullptr)))
    fail(Status::invalid_argument, "{}: invalid parameter span", who);
}
}  // namespace

Adam::Adam(ParamSpan span, const AdamOptions& options)
    : span_(span), opt_(options), m_(span.count), v_(span.count) {
  check_span(span, "adam");
  if (!(opt_.lr >= 0.0f) || !(opt_.beta1 >= 0.0f && opt_.beta1 < 1.0f) ||
      !(opt_.beta2 >= 0.0f && opt_.beta2 < 1.0f) || !(opt_.eps > 0.0f) ||
      !(opt_.weight_decay >= 0.0f))
    fail(Status::invalid_argument,
         "adam: need lr >= 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0 (got {}, {}, {}, "
         "{}, {})",
         opt_.lr, opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay);
}

void Adam::step() {
  ++t_;
  const double t = static_cast<double>(t_);
  const float b1 = opt_.beta1, b2 = opt_.beta2, eps = opt_.eps;
  const float step_size = static_cast<float>(opt_.lr / (1.0 - std::pow(double(b1), t)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(double(b2), t)));
  // One formula for both weight-decay styles: l2 = 0 or decay = 1 leave the other exact.
  const float l2 = opt_.decoupled ? 0.0f : opt_.weight_decay;
  const float decay = opt_.decoupled ? 1.0f - opt_.lr * opt_.weight_decay : 1.0f;
  float* p = span_.value;
  const float* grad = span_.grad;
  float* m = m_.data();
  float* v = v_.data();
  const int64_t n = span_.count, n4 = n / 4 * 4;
  // Four lanes at a time with SSE: std::sqrt may set errno, and that possible libm call
  // keeps GCC from vectorising the plain loop (4.8× slower measured; the optimize
  // attribute/pragma does not lift it in GCC 12). Same arithmetic as the scalar tail.
  const __m128 vb1 = _mm_set1_ps(b1), vc1 = _mm_set1_ps(1.0f - b1);
  const __m128 vb2 = _mm_set1_ps(b2), vc2 = _mm_set1_ps(1.0f - b2);
  const __m128 vl2 = _mm_set1_ps(l2), vdecay = _mm_set1_ps(decay), vstep = _mm_set1_ps(step_size);
  const __m128 vinv = _mm_set1_ps(inv_sqrt_bc2), veps = _mm_set1_ps(eps);
#pragma omp parallel for schedule(static) if (n4 >= kParallelMin)
  for (int64_t i = 0; i < n4; i += 4) {
    const __m128 pi = _mm_loadu_ps(p + i);
    const __m128 g = _mm_add_ps(_mm_loadu_ps(grad + i), _mm_mul_ps(vl2, pi));
    const __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + i)), _mm_mul_ps(vc1, g));
    const __m128 vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + i)), _mm_mul_ps(vc2, _mm_mul_ps(g, g)));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    const __m128 denom = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), vinv), veps);
    _mm_storeu_ps(p + i, _mm_sub_ps(_mm_mul_ps(vdecay, pi), _mm_mul_ps(vstep, _mm_div_ps(mi, denom))));
  }
  for (int64_t i = n4; i < n; ++i) {  // spans from a ParameterStore have none (16-float padding)
    const float g = grad[i] + l2 * p[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    p[i] = decay * p[i] - step_size * (m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps));
  }
}

Sgd::Sgd(ParamSpan span, const SgdOptions& options)
    : span_(span), opt_(options), u_(options.momentum > 0.0f ? span.count : 0) {
  check_span(span, "sgd");
  if (!(opt_.lr >= 0.0f) || !(opt_.momentum >= 0.0f) || !(opt_.weight_decay >= 0.0f) ||
      (opt_.nesterov && opt_.momentum <= 0.0f))
    fail(Status::invalid_argument,
         "sgd: need lr, momentum, weight_decay >= 0 and momentum > 0 for nesterov (got {}, {}, {})",
         opt_.lr, opt_.momentum, opt_.weight_decay);
}

void Sgd::step() {
  const float lr = opt_.lr, mu = opt_.momentum, wd = opt_.weight_decay;
  float* __restrict p = span_.value;
  const float* __restrict grad = span_.grad;
  const int64_t n = span_.count;
  if (mu == 0.0f) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) p[i] -= lr * (grad[i] + wd * p[i]);
    return;
  }
  float* __restrict u = u_.data();
  if (opt_.nesterov) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const float g = grad[i] + wd * p[i];
      u[i] = mu * u[i] + g;
      p[i] -= lr * (g + mu * u[i]);
    }
    return;
  }
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    u[i] = mu * u[i] + grad[i] + wd * p[i];
    p[i] -= lr * u[i];
  }
}

}  // namespace gm::nn
