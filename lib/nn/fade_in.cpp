#include "nn/fade_in.hpp"

#include "core/error.hpp"

namespace gm::nn {

namespace {
constexpr int64_t kParallelMin = int64_t{1} << 18;  // docs/nn.md, "Threads"

void check_alpha(float alpha) {
  if (!(alpha >= 0.0f && alpha <= 1.0f)) fail(Status::invalid_argument, "fade-in: alpha {} is not in [0, 1]", alpha);
}
}  // namespace

void fade_in_forward(float alpha, const float* fresh, const float* old, float* y, int64_t n) {
  check_alpha(alpha);
  const float beta = 1.0f - alpha;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = alpha * fresh[i] + beta * old[i];
}

void fade_in_backward(float alpha, const float* dy, float* d_fresh, float* d_old, int64_t n) {
  check_alpha(alpha);
  const float beta = 1.0f - alpha;
  if (d_fresh && d_old) {
    // One pass, each dy read before either write: d_fresh or d_old may be dy itself.
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const float g = dy[i];
      d_fresh[i] = alpha * g;
      d_old[i] = beta * g;
    }
  } else if (d_fresh || d_old) {
    float* d = d_fresh ? d_fresh : d_old;
    const float a = d_fresh ? alpha : beta;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) d[i] = a * dy[i];
  }
}

}  // namespace gm::nn
