#include "nn/gated.hpp"

#include <cstring>

namespace gm::nn {

// 8-float vectors pass between the inlined helpers below; no ABI crosses this file.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace {

// e^x for x in [−87, 88] (clamped outside): x = n ln2 + r, |r| ≤ ln2 / 2, e^r by its Taylor
// polynomial to degree 6 (truncation < 1e-7 relative), 2^n added into the exponent bits.
// Written once for T = float and for T = 8 floats (GCC vector extensions, I = the matching
// integers): GCC 12 leaves the scalar loop unvectorised ("control flow in loop": the clamp's
// compares may trap under the default -ftrapping-math), so the planes run on vectors of 8
// explicitly and the scalar form only does the tail, with the same operations in the same
// order (bit-identical results either way).
typedef float v8f __attribute__((vector_size(32)));
// The exponent arithmetic is on unsigned lanes: it wraps by definition (NaN or out-of-range
// inputs give garbage bits, not undefined behaviour) and shifts are defined for every value.
typedef uint32_t v8i __attribute__((vector_size(32)));

template <typename T, typename I>
inline T exp_approx(const T& in) {
  T x = in < -87.0f ? T{} - 87.0f : in;
  x = x > 88.0f ? T{} + 88.0f : x;
  const float magic = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  T n = x * 1.44269504f + magic;
  I ni;
  std::memcpy(&ni, &n, sizeof ni);
  ni -= 0x4B400000;  // the bits of magic
  n -= magic;
  const T r = (x - n * 0.693145752f) - n * 1.42860677e-6f;  // ln 2 split in two
  T p = T{} + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  I bits;
  std::memcpy(&bits, &p, sizeof bits);
  bits += ni << 23;  // unsigned: defined for any ni, and two's-complement-equal to the signed sum
  std::memcpy(&p, &bits, sizeof p);
  return p;
}

template <typename T, typename I>
inline T sigmoid(const T& g) {
  return 1.0f / (1.0f + exp_approx<T, I>(-g));
}

template <typename T, typename I>
inline T gated(const T& a, const T& g) {
  return (2.0f * sigmoid<T, I>(2.0f * a) - 1.0f) * sigmoid<T, I>(g);
}

template <typename T, typename I>
inline void gated_grad(const T& a, const T& g, const T& dy, T& da, T& dg) {
  const T t = 2.0f * sigmoid<T, I>(2.0f * a) - 1.0f, s = sigmoid<T, I>(g);
  da = dy * s * (1.0f - t * t);
  dg = dy * t * s * (1.0f - s);
}

inline v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, const v8f& v) { std::memcpy(p, &v, sizeof v); }

constexpr int64_t kParallelFloats = int64_t{1} << 16;

__attribute__((target_clones("avx2", "default"))) void forward_plane(const float* a, const float* g, float* y,
                                                                     int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) store8(y + i, gated<v8f, v8i>(load8(a + i), load8(g + i)));
  for (; i < n; ++i) y[i] = gated<float, uint32_t>(a[i], g[i]);
}

__attribute__((target_clones("avx2", "default"))) void backward_plane(const float* a, const float* g, const float* dy,
                                                                      float* da, float* dg, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f va, vg;
    gated_grad<v8f, v8i>(load8(a + i), load8(g + i), load8(dy + i), va, vg);
    store8(da + i, va);
    store8(dg + i, vg);
  }
  for (; i < n; ++i) gated_grad<float, uint32_t>(a[i], g[i], dy[i], da[i], dg[i]);
}

}  // namespace

void gated_forward(const float* x, float* y, int64_t B, int64_t F, int64_t S) {
  const int64_t plane = F * S;
#pragma omp parallel for schedule(static) if (B * plane >= kParallelFloats)
  for (int64_t b = 0; b < B; ++b) forward_plane(x + 2 * b * plane, x + (2 * b + 1) * plane, y + b * plane, plane);
}

void gated_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t F, int64_t S) {
  const int64_t plane = F * S;
#pragma omp parallel for schedule(static) if (B * plane >= kParallelFloats)
  for (int64_t b = 0; b < B; ++b)
    backward_plane(x + 2 * b * plane, x + (2 * b + 1) * plane, dy + b * plane, dx + 2 * b * plane,
                   dx + (2 * b + 1) * plane, plane);
}

}  // namespace gm::nn
