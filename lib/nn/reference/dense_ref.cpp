// Reference kernels for linear, batch and instance norm, activations and the gated activation.
#include <cmath>
#include <vector>

#include "nn/reference/reference.hpp"

namespace gm::nn::ref {

void linear_forward(const float* x, const float* W, const float* b, float* y, int64_t B, int64_t I, int64_t O) {
  for (int64_t n = 0; n < B; ++n)
    for (int64_t o = 0; o < O; ++o) {
      double s = b ? b[o] : 0.0;
      for (int64_t i = 0; i < I; ++i) s += double(x[n * I + i]) * W[o * I + i];
      y[n * O + o] = float(s);
    }
}

void linear_backward(const float* x, const float* W, const float* dy, float* dx, float* dW, float* db, int64_t B,
                     int64_t I, int64_t O) {
  if (dx)
    for (int64_t n = 0; n < B; ++n)
      for (int64_t i = 0; i < I; ++i) {
        double s = 0;
        for (int64_t o = 0; o < O; ++o) s += double(dy[n * O + o]) * W[o * I + i];
        dx[n * I + i] = float(s);
      }
  for (int64_t o = 0; o < O; ++o) {
    for (int64_t i = 0; i < I; ++i) {
      double s = 0;
      for (int64_t n = 0; n < B; ++n) s += double(dy[n * O + o]) * x[n * I + i];
      dW[o * I + i] += float(s);
    }
    if (db) {
      double s = 0;
      for (int64_t n = 0; n < B; ++n) s += dy[n * O + o];
      db[o] += float(s);
    }
  }
}

namespace {
// Index of (b, c, s) in a (B, C, S) tensor.
inline int64_t at(int64_t b, int64_t c, int64_t s, int64_t C, int64_t S) { return (b * C + c) * S + s; }

void stats(const float* x, int64_t B, int64_t C, int64_t S, int64_t c, double& mean, double& var) {
  const double n = double(B * S);
  double s = 0, q = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < S; ++k) s += x[at(b, c, k, C, S)];
  mean = s / n;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < S; ++k) {
      const double d = x[at(b, c, k, C, S)] - mean;
      q += d * d;
    }
  var = q / n;
}
}  // namespace

void batch_norm_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                              int64_t B, int64_t C, int64_t S, float eps) {
  for (int64_t c = 0; c < C; ++c) {
    double mu, v;
    stats(x, B, C, S, c, mu, v);
    mean[c] = float(mu);
    var[c] = float(v);
  }
  batch_norm_forward_infer(x, gamma, beta, mean, var, y, B, C, S, eps);
}

void batch_norm_forward_infer(const float* x, const float* gamma, const float* beta, const float* mean,
                              const float* var, float* y, int64_t B, int64_t C, int64_t S, float eps) {
  for (int64_t c = 0; c < C; ++c) {
    const double inv = 1.0 / std::sqrt(double(var[c]) + eps);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < S; ++k) {
        const int64_t i = at(b, c, k, C, S);
        y[i] = float(gamma[c] * (x[i] - double(mean[c])) * inv + beta[c]);
      }
  }
}

void batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* var, const float* dy,
                         float* dx, float* dgamma, float* dbeta, int64_t B, int64_t C, int64_t S, float eps) {
  const double n = double(B * S);
  for (int64_t c = 0; c < C; ++c) {
    const double inv = 1.0 / std::sqrt(double(var[c]) + eps);
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < S; ++k) {
        const int64_t i = at(b, c, k, C, S);
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * (x[i] - double(mean[c])) * inv;
      }
    dgamma[c] += float(sum_dy_xhat);
    dbeta[c] += float(sum_dy);
    if (!dx) continue;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < S; ++k) {
        const int64_t i = at(b, c, k, C, S);
        const double xhat = (x[i] - double(mean[c])) * inv;
        dx[i] = float(gamma[c] * inv * (dy[i] - sum_dy / n - xhat * sum_dy_xhat / n));
      }
  }
}

// Instance norm: batch norm's formulas with one (b, c) plane as the whole batch.
void instance_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                           int64_t B, int64_t C, int64_t S, float eps) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const float* xr = x + (b * C + c) * S;
      double s = 0, q = 0;
      for (int64_t k = 0; k < S; ++k) s += xr[k];
      const double mu = s / double(S);
      for (int64_t k = 0; k < S; ++k) q += (xr[k] - mu) * (xr[k] - mu);
      const double v = q / double(S), inv = 1.0 / std::sqrt(v + eps);
      const double g = gamma ? gamma[c] : 1.0, sh = beta ? beta[c] : 0.0;
      for (int64_t k = 0; k < S; ++k) y[(b * C + c) * S + k] = float(g * (xr[k] - mu) * inv + sh);
      mean[b * C + c] = float(mu);
      var[b * C + c] = float(v);
    }
}

void instance_norm_backward(const float* x, const float* gamma, const float* mean, const float* var, const float* dy,
                            float* dx, float* dgamma, float* dbeta, int64_t B, int64_t C, int64_t S, float eps) {
  for (int64_t c = 0; c < C; ++c) {
    double dg = 0, db = 0;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t r = b * C + c;
      const double inv = 1.0 / std::sqrt(double(var[r]) + eps), g = gamma ? gamma[c] : 1.0;
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t k = 0; k < S; ++k) {
        sum_dy += dy[r * S + k];
        sum_dy_xhat += dy[r * S + k] * (x[r * S + k] - double(mean[r])) * inv;
      }
      dg += sum_dy_xhat;
      db += sum_dy;
      for (int64_t k = 0; k < S; ++k) {
        const double xhat = (x[r * S + k] - double(mean[r])) * inv;
        dx[r * S + k] = float(g * inv * (dy[r * S + k] - sum_dy / double(S) - xhat * sum_dy_xhat / double(S)));
      }
    }
    if (gamma) {
      dgamma[c] += float(dg);
      dbeta[c] += float(db);
    }
  }
}

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

void activation_forward(Act kind, float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    double r = 0;
    switch (kind) {
      case Act::none: r = v; break;
      case Act::relu: r = v > 0 ? v : 0; break;
      case Act::leaky_relu: r = v > 0 ? v : alpha * v; break;
      case Act::sigmoid: r = sigmoid(v); break;
      case Act::tanh: r = std::tanh(v); break;
      case Act::softplus: r = std::log1p(std::exp(v)); break;
    }
    y[i] = float(r);
  }
}

void activation_backward(Act kind, float alpha, const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    double d = 0;
    switch (kind) {
      case Act::none: d = 1; break;
      case Act::relu: d = v > 0 ? 1 : 0; break;
      case Act::leaky_relu: d = v > 0 ? 1 : alpha; break;
      case Act::sigmoid: d = sigmoid(v) * (1 - sigmoid(v)); break;
      case Act::tanh: d = 1 - std::tanh(v) * std::tanh(v); break;
      case Act::softplus: d = sigmoid(v); break;
    }
    dx[i] = float(dy[i] * d);
  }
}

void gated_forward(const float* x, float* y, int64_t B, int64_t F, int64_t S) {
  for (int64_t n = 0; n < B; ++n)
    for (int64_t f = 0; f < F; ++f)
      for (int64_t s = 0; s < S; ++s) {
        const double a = x[(n * 2 * F + f) * S + s], g = x[(n * 2 * F + F + f) * S + s];
        y[(n * F + f) * S + s] = float(std::tanh(a) / (1.0 + std::exp(-g)));
      }
}

// d/da = σ(g)(1 − tanh²a),  d/dg = tanh(a) σ(g)(1 − σ(g)).
void gated_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t F, int64_t S) {
  for (int64_t n = 0; n < B; ++n)
    for (int64_t f = 0; f < F; ++f)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t ia = (n * 2 * F + f) * S + s, ig = ia + F * S;
        const double t = std::tanh(double(x[ia])), sg = 1.0 / (1.0 + std::exp(-double(x[ig])));
        const double d = dy[(n * F + f) * S + s];
        dx[ia] = float(d * sg * (1.0 - t * t));
        dx[ig] = float(d * t * sg * (1.0 - sg));
      }
}

void spatial_mix_forward(const float* x, const float* M, float* y, int64_t B, int64_t C, int64_t S, int64_t G) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const float* m = M + (c / (C / G)) * S * S;
      const float* xr = x + (b * C + c) * S;
      for (int64_t p = 0; p < S; ++p) {
        double t = xr[p];
        for (int64_t q = 0; q < S; ++q) t += double(m[p * S + q]) * xr[q];
        y[(b * C + c) * S + p] = float(t);
      }
    }
}

void spatial_mix_backward(const float* x, const float* M, const float* dy, float* dx, float* dM, int64_t B, int64_t C,
                          int64_t S, int64_t G) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t g = c / (C / G);
      const float* m = M + g * S * S;
      const float* xr = x + (b * C + c) * S;
      const float* d = dy + (b * C + c) * S;
      if (dx)
        for (int64_t q = 0; q < S; ++q) {
          double t = d[q];
          for (int64_t p = 0; p < S; ++p) t += double(m[p * S + q]) * d[p];
          dx[(b * C + c) * S + q] = float(t);
        }
      for (int64_t p = 0; p < S; ++p)
        for (int64_t q = 0; q < S; ++q) dM[g * S * S + p * S + q] += float(double(d[p]) * xr[q]);
    }
}

}  // namespace gm::nn::ref
