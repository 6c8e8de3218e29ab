// The nade kernels in plain loops (any x86-64; the reference the AVX2 build is tested
// against), and the choice between them and the AVX2 + FMA build by CPUID, made once.
#include "models/nade_kernels.hpp"

#include <cmath>
#include <cstring>

namespace gm::nade {

namespace {

float from_bits(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

int32_t to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

// σ(x) = 1 / (1 + e^{−x}); e^t = 2^n · p(r) with n = round(t / ln 2), r = t − n ln 2
// (Cody–Waite, two parts) and p Cephes' expf polynomial. t is clamped to [−87, 87] so 2^n
// stays a normal float: σ(x > 87) = 1, σ(x < −87) = 1.6e−38 instead of a smaller number,
// which no hidden unit can tell apart. Relative error ≤ 3e−7 (tested against the double
// formula). The AVX2 build evaluates the same steps eight lanes at a time.
float sigmoid1(float x) {
  float t = -x;
  t = t > 87.0f ? 87.0f : t;
  t = t < -87.0f ? -87.0f : t;
  const float magic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  const float shifted = t * 1.44269504088896341f + magic;
  const float n = shifted - magic;
  const int32_t ni = to_bits(shifted) - to_bits(magic);
  float r = t - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const float e = p * from_bits((ni + 127) << 23);
  return 1.0f / (1.0f + e);
}

double softplus(double l) { return (l > 0 ? l : 0.0) + std::log1p(std::exp(-std::fabs(l))); }

float dot(const float* v, const float* h, int64_t n) {
  float s = 0.0f;
  for (int64_t k = 0; k < n; ++k) s += v[k] * h[k];
  return s;
}

// a += w; h = σ(a)
void add_and_squash(float* a, float* h, const float* w, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    a[k] += w[k];
    h[k] = sigmoid1(a[k]);
  }
}

void forward(const Weights& p, int64_t h0, int64_t hc, const float* x, int64_t n, float* a, float* h, float* part) {
  const int64_t D = p.d, H = p.h;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t k = 0; k < hc; ++k) h[r * hc + k] = sigmoid1(a[r * hc + k] = p.c[h0 + k]);
  for (int64_t i = 0; i < D; ++i) {
    const float* w = p.w + i * H + h0;
    const float* v = p.v + i * H + h0;
    for (int64_t r = 0; r < n; ++r) {
      part[r * D + i] = dot(v, h + r * hc, hc);
      if (x[r * D + i] != 0.0f) add_and_squash(a + r * hc, h + r * hc, w, hc);
    }
  }
}

void backward(const Weights& p, int64_t h0, int64_t hc, const float* x, const float* g, int64_t n, float* a, float* h,
              float* s, float* gw, float* gv, float* gc) {
  const int64_t D = p.d, H = p.h;
  std::memset(s, 0, static_cast<std::size_t>(n * hc) * sizeof(float));
  for (int64_t i = D - 1; i >= 0; --i) {
    const float* w = p.w + i * H + h0;
    const float* v = p.v + i * H + h0;
    float* gwi = gw + i * H + h0;
    float* gvi = gv + i * H + h0;
    for (int64_t r = 0; r < n; ++r) {
      float* ar = a + r * hc;
      float* hr = h + r * hc;
      float* sr = s + r * hc;
      const float gi = g[r * D + i];
      if (x[r * D + i] != 0.0f) {
        for (int64_t k = 0; k < hc; ++k) {
          hr[k] = sigmoid1(ar[k] -= w[k]);  // back to a_i, and h_i
          gwi[k] += sr[k];
        }
      }
      for (int64_t k = 0; k < hc; ++k) {
        gvi[k] += gi * hr[k];
        sr[k] += gi * v[k] * (hr[k] - hr[k] * hr[k]);
      }
    }
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t k = 0; k < hc; ++k) gc[h0 + k] += s[r * hc + k];
}

void draw(const Weights& p, int64_t n, const float* values, const uint8_t* observed, int64_t cond_stride, Rng* rng,
          float* a, float* h, float* out, double* log_w) {
  const int64_t D = p.d, H = p.h;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t k = 0; k < H; ++k) h[r * H + k] = sigmoid1(a[r * H + k] = p.c[k]);
    if (log_w) log_w[r] = 0.0;
  }
  for (int64_t i = 0; i < D; ++i) {
    for (int64_t r = 0; r < n; ++r) {
      const float l = p.b[i] + dot(p.v + i * H, h + r * H, H);
      float xi;
      if (observed && observed[r * cond_stride + i]) {
        xi = values[r * cond_stride + i];
        if (log_w) log_w[r] -= softplus(xi != 0.0f ? -static_cast<double>(l) : static_cast<double>(l));
      } else {
        xi = rng[r].uniform_f() < 1.0f / (1.0f + std::exp(-l)) ? 1.0f : 0.0f;
      }
      out[r * D + i] = xi;
      if (xi != 0.0f) add_and_squash(a + r * H, h + r * H, p.w + i * H, H);
    }
  }
}

void sigmoid(float* x, int64_t n) {
  for (int64_t k = 0; k < n; ++k) x[k] = sigmoid1(x[k]);
}

}  // namespace

#if defined(__x86_64__)
const Kernels* avx2_kernels();  // nade_kernels_avx2.cpp
#endif

const Kernels& generic_kernels() {
  static const Kernels k{"generic", forward, backward, draw, sigmoid};
  return k;
}

const Kernels& kernels() {
  static const Kernels* const best = [] {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return avx2_kernels();
#endif
    return &generic_kernels();
  }();
  return *best;
}

}  // namespace gm::nade
