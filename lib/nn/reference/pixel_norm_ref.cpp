// Reference kernels for pixel norm (nn/pixel_norm.hpp): straight from the definition, in
// double; backward multiplies dy by the Jacobian written out entry by entry, rather than the
// layer's simplified form.
#include <cmath>

#include "nn/reference/reference.hpp"

namespace gm::nn::ref {

namespace {
inline int64_t at(int64_t b, int64_t c, int64_t p, int64_t C, int64_t S) { return (b * C + c) * S + p; }
}  // namespace

void pixel_norm_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, float eps) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = 0; p < S; ++p) {
      double q = 0;
      for (int64_t c = 0; c < C; ++c) q += double(x[at(b, c, p, C, S)]) * x[at(b, c, p, C, S)];
      const double r = 1.0 / std::sqrt(q / double(C) + eps);
      for (int64_t c = 0; c < C; ++c) y[at(b, c, p, C, S)] = float(x[at(b, c, p, C, S)] * r);
    }
}

void pixel_norm_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S, float eps) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = 0; p < S; ++p) {
      double q = 0;
      for (int64_t c = 0; c < C; ++c) q += double(x[at(b, c, p, C, S)]) * x[at(b, c, p, C, S)];
      const double r = 1.0 / std::sqrt(q / double(C) + eps);
      // ∂y_c/∂x_k = r·[c = k] + x_c · ∂r/∂x_k,  ∂r/∂x_k = −r³·x_k / C
      for (int64_t k = 0; k < C; ++k) {
        const double xk = x[at(b, k, p, C, S)];
        double s = 0;
        for (int64_t c = 0; c < C; ++c) {
          const double xc = x[at(b, c, p, C, S)];
          const double jac = (c == k ? r : 0.0) + xc * (-r * r * r * xk / double(C));
          s += double(dy[at(b, c, p, C, S)]) * jac;
        }
        dx[at(b, k, p, C, S)] = float(s);
      }
    }
}

}  // namespace gm::nn::ref
