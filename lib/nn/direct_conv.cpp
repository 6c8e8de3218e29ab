#include "nn/direct_conv.hpp"

#include <algorithm>

namespace gm::nn::direct {

namespace {

// The outputs ox of a row whose input column ox·S + kx − PL lies in [0, W): [lo, hi).
inline void valid_columns(const Geometry& g, int64_t kx, int64_t& lo, int64_t& hi) {
  const int64_t off = kx - g.PL;  // ix = ox·S + off
  lo = off >= 0 ? 0 : (-off + g.S - 1) / g.S;
  hi = g.W - 1 - off < 0 ? 0 : std::min(g.OW, (g.W - 1 - off) / g.S + 1);
  if (hi < lo) hi = lo;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void forward_plane(const Geometry& g, const float* x,
                                                                                const float* w, float bias, float* y) {
  // One image, one output channel: x (Ci, H, W), w (Ci, KH, KW), y (OH, OW).
  for (int64_t oy = 0; oy < g.OH; ++oy) {
    float* yr = y + oy * g.OW;
    for (int64_t ox = 0; ox < g.OW; ++ox) yr[ox] = bias;
    for (int64_t ci = 0; ci < g.Ci; ++ci)
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        const int64_t iy = oy * g.S + ky - g.PT;
        if (iy < 0 || iy >= g.H) continue;
        const float* xr = x + (ci * g.H + iy) * g.W;
        for (int64_t kx = 0; kx < g.KW; ++kx) {
          const float wv = w[(ci * g.KH + ky) * g.KW + kx];
          int64_t lo, hi;
          valid_columns(g, kx, lo, hi);
          const float* xs = xr + kx - g.PL;
          if (g.S == 1) {
#pragma omp simd
            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xs[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xs[ox * g.S];
          }
        }
      }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void backward_data_plane(const Geometry& g,
                                                                                      const float* dy, const float* w,
                                                                                      float* dx) {
  // One image, one input channel ci: dy (Co, OH, OW), w points at w[0, ci] (stride Ci·KH·KW
  // between output channels), dx (H, W) accumulated.
  const int64_t w_stride = g.Ci * g.KH * g.KW;
  for (int64_t co = 0; co < g.Co; ++co)
    for (int64_t oy = 0; oy < g.OH; ++oy) {
      const float* dyr = dy + (co * g.OH + oy) * g.OW;
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        const int64_t iy = oy * g.S + ky - g.PT;
        if (iy < 0 || iy >= g.H) continue;
        float* dxr = dx + iy * g.W;
        for (int64_t kx = 0; kx < g.KW; ++kx) {
          const float wv = w[co * w_stride + ky * g.KW + kx];
          int64_t lo, hi;
          valid_columns(g, kx, lo, hi);
          float* ds = dxr + kx - g.PL;
          if (g.S == 1) {
#pragma omp simd
            for (int64_t ox = lo; ox < hi; ++ox) ds[ox] += wv * dyr[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) ds[ox * g.S] += wv * dyr[ox];
          }
        }
      }
    }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) float weight_tap(const Geometry& g, const float* x,
                                                                              const float* dy, int64_t ci, int64_t co,
                                                                              int64_t ky, int64_t kx) {
  // Σ over images and outputs of x[b, ci, iy, ix] · dy[b, co, oy, ox] for one tap (ky, kx).
  int64_t lo, hi;
  valid_columns(g, kx, lo, hi);
  float total = 0.0f;
  if (g.S == 1) {
    // Products summed per column over every row and image first, reduced once at the end: a
    // horizontal reduction per output row would cost as much as the row's 28 products.
    constexpr int64_t kChunk = 256;
    float acc[kChunk];
    for (int64_t c0 = lo; c0 < hi; c0 += kChunk) {
      const int64_t n = std::min(kChunk, hi - c0);
      std::fill(acc, acc + n, 0.0f);
      for (int64_t b = 0; b < g.B; ++b)
        for (int64_t oy = 0; oy < g.OH; ++oy) {
          const int64_t iy = oy * g.S + ky - g.PT;
          if (iy < 0 || iy >= g.H) continue;
          const float* xs = x + ((b * g.Ci + ci) * g.H + iy) * g.W + kx - g.PL + c0;
          const float* dyr = dy + ((b * g.Co + co) * g.OH + oy) * g.OW + c0;
#pragma omp simd
          for (int64_t i = 0; i < n; ++i) acc[i] += xs[i] * dyr[i];
        }
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < n; ++i) s += acc[i];
      total += s;
    }
    return total;
  }
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t oy = 0; oy < g.OH; ++oy) {
      const int64_t iy = oy * g.S + ky - g.PT;
      if (iy < 0 || iy >= g.H) continue;
      const float* xs = x + ((b * g.Ci + ci) * g.H + iy) * g.W + kx - g.PL;
      const float* dyr = dy + ((b * g.Co + co) * g.OH + oy) * g.OW;
      for (int64_t ox = lo; ox < hi; ++ox) total += xs[ox * g.S] * dyr[ox];
    }
  return total;
}

}  // namespace

bool applies(int64_t Ci, int64_t Co, int64_t KH, int64_t KW) { return std::min(Ci, Co) == 1 && KH * KW > 1; }

void forward(const Geometry& g, const float* x, const float* w, const float* b, float* y) {
  const int64_t planes = g.B * g.Co;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t bi = p / g.Co, co = p % g.Co;
    forward_plane(g, x + bi * g.Ci * g.H * g.W, w + co * g.Ci * g.KH * g.KW, b ? b[co] : 0.0f, y + p * g.OH * g.OW);
  }
}

void backward_data(const Geometry& g, const float* dy, const float* w, float* dx) {
  const int64_t planes = g.B * g.Ci;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t bi = p / g.Ci, ci = p % g.Ci;
    float* d = dx + p * g.H * g.W;
    std::fill(d, d + g.H * g.W, 0.0f);
    backward_data_plane(g, dy + bi * g.Co * g.OH * g.OW, w + ci * g.KH * g.KW, d);
  }
}

void backward_weights(const Geometry& g, const float* x, const float* dy, float* dw, float* db) {
  const int64_t taps = g.Co * g.Ci * g.KH * g.KW;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t kx = t % g.KW, ky = (t / g.KW) % g.KH, ci = (t / (g.KW * g.KH)) % g.Ci, co = t / (g.KW * g.KH * g.Ci);
    dw[t] += weight_tap(g, x, dy, ci, co, ky, kx);
  }
  if (!db) return;
  for (int64_t co = 0; co < g.Co; ++co) {
    float total = 0.0f;
    for (int64_t bi = 0; bi < g.B; ++bi) {
      const float* d = dy + (bi * g.Co + co) * g.OH * g.OW;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < g.OH * g.OW; ++i) s += d[i];
      total += s;
    }
    db[co] += total;
  }
}

}  // namespace gm::nn::direct
