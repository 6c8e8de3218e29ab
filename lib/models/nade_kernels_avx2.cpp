// The nade kernels in AVX2 + FMA intrinsics: the same loops as nade_kernels.cpp, eight
// hidden units a step, the tail of a row (H need not be a multiple of 8) through masked
// loads and stores. Every header comes before the target pragma, so no inline function of
// a shared header is compiled for AVX2 (the linker could keep that copy for everyone).
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "models/nade_kernels.hpp"

#if defined(__x86_64__)

// GCC's pragma sets the target for what follows; clang ignores it and needs its attribute
// form, applied to every function up to the matching pop (lambdas included).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace gm::nade {

namespace {

// Lane masks for a tail of m < 8 elements: tail_mask(m) = table + 8 − m.
alignas(32) constexpr int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

inline __m256i tail_mask(int64_t m) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - m)); }

template <bool Masked>
inline __m256 load(const float* p, __m256i m) {
  if constexpr (Masked)
    return _mm256_maskload_ps(p, m);
  else
    return _mm256_loadu_ps(p);
}

template <bool Masked>
inline void store(float* p, __m256i m, __m256 v) {
  if constexpr (Masked)
    _mm256_maskstore_ps(p, m, v);
  else
    _mm256_storeu_ps(p, v);
}

// body(k, std::bool_constant<masked>, mask) for k = 0, 8, 16, … < n; the last step masked
// when 8 does not divide n.
template <class Body>
inline void for_lanes(int64_t n, Body&& body) {
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) body(k, std::false_type{}, _mm256_setzero_si256());
  if (k < n) body(k, std::true_type{}, tail_mask(n - k));
}

// σ on eight lanes: the steps of sigmoid1() in nade_kernels.cpp, with 1/(1 + e) by the
// approximate reciprocal and one Newton step (relative error ~1e−7 instead of a divide
// that costs more than the rest together).
inline __m256 sigmoid8(__m256 x) {
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 t = _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
  t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
  const __m256 shifted = _mm256_fmadd_ps(t, _mm256_set1_ps(1.44269504088896341f), magic);
  const __m256 n = _mm256_sub_ps(shifted, magic);
  const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), t);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), one);
  const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
  const __m256 d = _mm256_fmadd_ps(p, scale, one);  // 1 + e^{−x}
  const __m256 y = _mm256_rcp_ps(d);
  return _mm256_fmadd_ps(y, _mm256_fnmadd_ps(d, y, one), y);  // y + y (1 − d y)
}

inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// Σ_k v[k] h[k] with four accumulators (one would wait on the FMA latency).
inline float dot(const float* v, const float* h, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(v + k), _mm256_loadu_ps(h + k), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(v + k + 8), _mm256_loadu_ps(h + k + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(v + k + 16), _mm256_loadu_ps(h + k + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(v + k + 24), _mm256_loadu_ps(h + k + 24), s3);
  }
  for (; k + 8 <= n; k += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(v + k), _mm256_loadu_ps(h + k), s0);
  if (k < n) {
    const __m256i m = tail_mask(n - k);
    s1 = _mm256_fmadd_ps(_mm256_maskload_ps(v + k, m), _mm256_maskload_ps(h + k, m), s1);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

// a = c; h = σ(a)
inline void reset(float* a, float* h, const float* c, int64_t n) {
  for_lanes(n, [&](int64_t k, auto masked, __m256i m) {
    constexpr bool M = decltype(masked)::value;
    const __m256 ak = load<M>(c + k, m);
    store<M>(a + k, m, ak);
    store<M>(h + k, m, sigmoid8(ak));
  });
}

// a += w; h = σ(a)
inline void add_and_squash(float* a, float* h, const float* w, int64_t n) {
  for_lanes(n, [&](int64_t k, auto masked, __m256i m) {
    constexpr bool M = decltype(masked)::value;
    const __m256 ak = _mm256_add_ps(load<M>(a + k, m), load<M>(w + k, m));
    store<M>(a + k, m, ak);
    store<M>(h + k, m, sigmoid8(ak));
  });
}

void forward(const Weights& p, int64_t h0, int64_t hc, const float* x, int64_t n, float* a, float* h, float* part) {
  const int64_t D = p.d, H = p.h;
  for (int64_t r = 0; r < n; ++r) reset(a + r * hc, h + r * hc, p.c + h0, hc);
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
      const __m256 gi = _mm256_set1_ps(g[r * D + i]);
      if (x[r * D + i] != 0.0f) {
        for_lanes(hc, [&](int64_t k, auto masked, __m256i m) {
          constexpr bool M = decltype(masked)::value;
          const __m256 ak = _mm256_sub_ps(load<M>(ar + k, m), load<M>(w + k, m));  // back to a_i
          const __m256 hk = sigmoid8(ak);
          const __m256 sk = load<M>(sr + k, m);
          store<M>(ar + k, m, ak);
          store<M>(hr + k, m, hk);
          store<M>(gwi + k, m, _mm256_add_ps(load<M>(gwi + k, m), sk));
          store<M>(gvi + k, m, _mm256_fmadd_ps(gi, hk, load<M>(gvi + k, m)));
          const __m256 dh = _mm256_fnmadd_ps(hk, hk, hk);  // h (1 − h)
          store<M>(sr + k, m, _mm256_fmadd_ps(_mm256_mul_ps(gi, load<M>(v + k, m)), dh, sk));
        });
      } else {
        for_lanes(hc, [&](int64_t k, auto masked, __m256i m) {
          constexpr bool M = decltype(masked)::value;
          const __m256 hk = load<M>(hr + k, m);
          store<M>(gvi + k, m, _mm256_fmadd_ps(gi, hk, load<M>(gvi + k, m)));
          const __m256 dh = _mm256_fnmadd_ps(hk, hk, hk);
          store<M>(sr + k, m, _mm256_fmadd_ps(_mm256_mul_ps(gi, load<M>(v + k, m)), dh, load<M>(sr + k, m)));
        });
      }
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    const float* sr = s + r * hc;
    float* gck = gc + h0;
    for_lanes(hc, [&](int64_t k, auto masked, __m256i m) {
      constexpr bool M = decltype(masked)::value;
      store<M>(gck + k, m, _mm256_add_ps(load<M>(gck + k, m), load<M>(sr + k, m)));
    });
  }
}

double softplus(double l) { return (l > 0 ? l : 0.0) + std::log1p(std::exp(-std::fabs(l))); }

void draw(const Weights& p, int64_t n, const float* values, const uint8_t* observed, int64_t cond_stride, Rng* rng,
          float* a, float* h, float* out, double* log_w) {
  const int64_t D = p.d, H = p.h;
  for (int64_t r = 0; r < n; ++r) {
    reset(a + r * H, h + r * H, p.c, H);
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
  for_lanes(n, [&](int64_t k, auto masked, __m256i m) {
    constexpr bool M = decltype(masked)::value;
    store<M>(x + k, m, sigmoid8(load<M>(x + k, m)));
  });
}

}  // namespace

}  // namespace gm::nade

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace gm::nade {

// Outside the target region: taking the addresses needs no AVX2.
const Kernels* avx2_kernels() {
  static const Kernels k{"avx2+fma", forward, backward, draw, sigmoid};
  return &k;
}

}  // namespace gm::nade

#endif
