// The nade kernels' bodies (declared in nade_kernels.hpp). Included inside
// `namespace gm::nade::<isa>` by nade_kernels.cpp (baseline) and nade_kernels_avx2.cpp
// (under `#pragma GCC target("avx2,fma")`). Everything it defines is static, so the two
// builds never share a symbol; it includes nothing itself (headers come before the target
// pragma) and calls no std template, only libm for the per-pixel scalars.

static inline float nk_bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

static inline int32_t nk_float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

// σ(x) = 1 / (1 + e^{−x}), vectorisable: e^t = 2^n · p(r), n = round(t / ln 2),
// r = t − n ln 2 (Cody–Waite, two parts), p Cephes' expf polynomial. t is clamped to
// [−87, 87] so 2^n stays a normal float: σ(x) for x > 87 is 1, and for x < −87 it is
// 1.6e−38 instead of a smaller value; no hidden unit can tell. Relative error ≤ 3e−7
// (tested against the double formula).
static inline float nk_sigmoid(float x) {
  float t = -x;
  t = t > 87.0f ? 87.0f : t;
  t = t < -87.0f ? -87.0f : t;
  const float magic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  const float shifted = t * 1.44269504088896341f + magic;
  const float n = shifted - magic;
  const int32_t ni = nk_float_to_bits(shifted) - nk_float_to_bits(magic);
  float r = t - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float e = p * nk_bits_to_float((ni + 127) << 23);
  return 1.0f / (1.0f + e);
}

// log(1 + e^l) without overflow, in double: per pixel, not per hidden unit.
static inline double nk_softplus(double l) { return (l > 0 ? l : 0.0) + std::log1p(std::exp(-std::fabs(l))); }

static void forward(const Weights& p, int64_t h0, int64_t hc, const float* x, int64_t n, float* a, float* part) {
  const int64_t D = p.d, H = p.h;
  for (int64_t r = 0; r < n; ++r) std::memcpy(a + r * hc, p.c + h0, static_cast<std::size_t>(hc) * sizeof(float));
  for (int64_t i = 0; i < D; ++i) {
    const float* w = p.w + i * H + h0;
    const float* v = p.v + i * H + h0;
    for (int64_t r = 0; r < n; ++r) {
      float* ar = a + r * hc;
      // x is 0 or 1, so a + x·w is a exactly or a + w rounded once: the same values as a
      // branch, without one.
      const float xi = x[r * D + i];
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t k = 0; k < hc; ++k) {
        dot += v[k] * nk_sigmoid(ar[k]);
        ar[k] += xi * w[k];
      }
      part[r * D + i] = dot;
    }
  }
}

static void backward(const Weights& p, int64_t h0, int64_t hc, const float* x, const float* g, int64_t n, float* a,
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
      float* sr = s + r * hc;
      const float xi = x[r * D + i];
      const float gi = g[r * D + i];
#pragma omp simd
      for (int64_t k = 0; k < hc; ++k) {
        const float ak = ar[k] - xi * w[k];  // a_i
        ar[k] = ak;
        const float h = nk_sigmoid(ak);
        gvi[k] += gi * h;
        gwi[k] += xi * sr[k];
        sr[k] += gi * v[k] * (h - h * h);
      }
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    const float* sr = s + r * hc;
#pragma omp simd
    for (int64_t k = 0; k < hc; ++k) gc[h0 + k] += sr[k];
  }
}

static void draw(const Weights& p, int64_t n, const float* values, const uint8_t* observed, int64_t cond_stride,
                 Rng* rng, float* a, float* out, double* log_w) {
  const int64_t D = p.d, H = p.h;
  for (int64_t r = 0; r < n; ++r) {
    std::memcpy(a + r * H, p.c, static_cast<std::size_t>(H) * sizeof(float));
    if (log_w) log_w[r] = 0.0;
  }
  for (int64_t i = 0; i < D; ++i) {
    const float* w = p.w + i * H;
    const float* v = p.v + i * H;
    for (int64_t r = 0; r < n; ++r) {
      float* ar = a + r * H;
      // The same reduction as forward() over the whole range: log_prob and draw see
      // bit-identical logits.
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t k = 0; k < H; ++k) dot += v[k] * nk_sigmoid(ar[k]);
      const float l = p.b[i] + dot;
      float xi;
      if (observed && observed[r * cond_stride + i]) {
        xi = values[r * cond_stride + i];
        if (log_w) log_w[r] -= nk_softplus(xi != 0.0f ? -static_cast<double>(l) : static_cast<double>(l));
      } else {
        xi = rng[r].uniform_f() < 1.0f / (1.0f + std::exp(-l)) ? 1.0f : 0.0f;
      }
      out[r * D + i] = xi;
      if (xi != 0.0f) {
#pragma omp simd
        for (int64_t k = 0; k < H; ++k) ar[k] += w[k];
      }
    }
  }
}

static void sigmoid(float* x, int64_t n) {
#pragma omp simd
  for (int64_t k = 0; k < n; ++k) x[k] = nk_sigmoid(x[k]);
}
