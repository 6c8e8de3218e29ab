#include "nn/optim.hpp"

#include <omp.h>

#include <algorithm>

#include <cmath>

#include "core/error.hpp"

namespace gm::nn {

namespace {
// Below this many floats a step is a few microseconds: not worth waking the OpenMP team.
constexpr int64_t kParallelMin = 1 << 15;

struct AdamStep {
  float b1, b2, eps, step_size, inv_sqrt_bc2, l2, decay;
};

// One Adam update of elements [begin, end), compiled for AVX-512, AVX2 and baseline x86-64
// and picked at load time (the update is bound by memory traffic and the divide; wider
// lanes halve the divide's share). Every clone computes the same bits: the ISO -std mode
// turns off FMA contraction, and sqrt and divide are correctly rounded in every width.
__attribute__((target_clones("avx512f", "avx2", "default"))) void adam_range(const AdamStep& k, float* p,
                                                                             const float* grad, float* m, float* v,
                                                                             int64_t begin, int64_t end) {
  const float b1 = k.b1, b2 = k.b2, c1 = 1.0f - k.b1, c2 = 1.0f - k.b2;
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    const float g = grad[i] + k.l2 * p[i];
    const float mi = b1 * m[i] + c1 * g;
    const float vi = b2 * v[i] + c2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    p[i] = k.decay * p[i] - k.step_size * (mi / (std::sqrt(vi) * k.inv_sqrt_bc2 + k.eps));
  }
}

// Equal static chunks, each a multiple of 16 floats, one per thread of the current team.
struct Chunk {
  int64_t begin, end;
};
Chunk chunk_of(int64_t n) {
  const int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
  const int64_t chunk = (n / threads + 15) / 16 * 16;
  const int64_t begin = std::min(n, id * chunk);
  return {begin, std::min(n, begin + chunk)};
}

__attribute__((target_clones("avx512f", "avx2", "default"))) int64_t count_nonfinite(const float* g, int64_t begin,
                                                                                     int64_t end) {
  int64_t bad = 0;
#pragma omp simd reduction(+ : bad)
  for (int64_t i = begin; i < end; ++i) bad += !std::isfinite(g[i]);
  return bad;
}

// The constants of step number t (1-based).
AdamStep adam_step(const AdamOptions& o, int64_t step) {
  const double t = static_cast<double>(step);
  const float step_size = static_cast<float>(o.lr / (1.0 - std::pow(double(o.beta1), t)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(double(o.beta2), t)));
  // One formula for both weight-decay styles: l2 = 0 or decay = 1 leave the other exact.
  const float l2 = o.decoupled ? 0.0f : o.weight_decay;
  const float decay = o.decoupled ? 1.0f - o.lr * o.weight_decay : 1.0f;
  return AdamStep{o.beta1, o.beta2, o.eps, step_size, inv_sqrt_bc2, l2, decay};
}

void check_span(const ParamSpan& s, const char* who) {
  if (s.count < 0 || (s.count > 0 && (s.value == nullptr || s.grad == nullptr)))
    fail(Status::invalid_argument, "{}: invalid parameter span", who);
}
}  // namespace

Adam::Adam(ParamSpan span, const AdamOptions& options) : span_(span), opt_(options), m_(span.count), v_(span.count) {
  check_span(span, "adam");
  if (!(opt_.lr >= 0.0f) || !(opt_.beta1 >= 0.0f && opt_.beta1 < 1.0f) || !(opt_.beta2 >= 0.0f && opt_.beta2 < 1.0f) ||
      !(opt_.eps > 0.0f) || !(opt_.weight_decay >= 0.0f))
    fail(Status::invalid_argument,
         "adam: need lr >= 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0 (got {}, {}, {}, "
         "{}, {})",
         opt_.lr, opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay);
}

void Adam::set_state(int64_t steps, const float* m, const float* v) {
  if (steps < 0) fail(Status::invalid_argument, "adam: a step count of {} is not a state", steps);
  if (span_.count > 0 && (m == nullptr || v == nullptr)) fail(Status::invalid_argument, "adam: no moments to set");
  std::copy(m, m + span_.count, m_.data());
  std::copy(v, v + span_.count, v_.data());
  t_ = steps;
}

void Adam::step() {
  const AdamStep k = adam_step(opt_, t_ + 1);
  ++t_;
  float* p = span_.value;
  const float* grad = span_.grad;
  float* m = m_.data();
  float* v = v_.data();
  const int64_t n = span_.count;
  if (n < kParallelMin) {
    adam_range(k, p, grad, m, v, 0, n);
    return;
  }
#pragma omp parallel
  {
    const Chunk c = chunk_of(n);
    adam_range(k, p, grad, m, v, c.begin, c.end);
  }
}

bool Adam::step_if_finite_and_zero_grad() {
  const AdamStep k = adam_step(opt_, t_ + 1);
  float* p = span_.value;
  float* grad = span_.grad;
  float* m = m_.data();
  float* v = v_.data();
  const int64_t n = span_.count;
  int64_t bad = 0;
  if (n < kParallelMin) {
    bad = count_nonfinite(grad, 0, n);
    if (bad == 0) {
      adam_range(k, p, grad, m, v, 0, n);
      std::fill(grad, grad + n, 0.0f);
    }
  } else {
#pragma omp parallel
    {
      const Chunk c = chunk_of(n);
      const int64_t mine = count_nonfinite(grad, c.begin, c.end);
#pragma omp atomic
      bad += mine;
#pragma omp barrier
      int64_t all;
#pragma omp atomic read
      all = bad;
      if (all == 0) {  // the barrier above: no thread updates before every thread has checked
        adam_range(k, p, grad, m, v, c.begin, c.end);
        std::fill(grad + c.begin, grad + c.end, 0.0f);
      }
    }
  }
  if (bad != 0) return false;
  ++t_;
  return true;
}

Sgd::Sgd(ParamSpan span, const SgdOptions& options)
    : span_(span), opt_(options), u_(options.momentum > 0.0f ? span.count : 0) {
  check_span(span, "sgd");
  if (!(opt_.lr >= 0.0f) || !(opt_.momentum >= 0.0f) || !(opt_.weight_decay >= 0.0f) ||
      (opt_.nesterov && opt_.momentum <= 0.0f))
    fail(Status::invalid_argument,
         "sgd: need lr, momentum, weight_decay >= 0 and momentum > 0 for nesterov (got {}, {}, {})", opt_.lr,
         opt_.momentum, opt_.weight_decay);
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
