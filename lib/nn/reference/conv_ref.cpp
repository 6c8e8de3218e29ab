// Reference kernels for conv2d and conv_transpose2d, by the definition in conv2d.hpp:
// output pixel (i, j) of a convolution reads input (S·i − PT + u, S·j − PL + v) for every
// kernel tap (u, v); a transposed convolution sends input pixel (i, j) to those places.
// Reflection padding by its definition: every padded position reads its mirrored source.
#include <vector>

#include "nn/reference/reference.hpp"

namespace gm::nn::ref {

namespace {
// Calls f(i, j, u, v, h, w) for every output (i, j) of an OH×OW grid and kernel tap (u, v)
// whose input position (h, w) = (S·i − PT + u, S·j − PL + v) lies inside H×W.
template <typename F>
void for_each_tap(const Conv& g, int64_t OH, int64_t OW, F&& f) {
  for (int64_t i = 0; i < OH; ++i)
    for (int64_t j = 0; j < OW; ++j)
      for (int64_t u = 0; u < g.kh(); ++u)
        for (int64_t v = 0; v < g.kw(); ++v) {
          const int64_t h = g.S * i - g.pt() + u, w = g.S * j - g.pl() + v;
          if (h >= 0 && h < g.H && w >= 0 && w < g.W) f(i, j, u, v, h, w);
        }
}
}  // namespace

void conv2d_forward(const Conv& g, const float* x, const float* w, const float* b, float* y) {
  const int64_t OH = g.out_h(false), OW = g.out_w(false), KH = g.kh(), KW = g.kw();
  std::vector<double> acc(static_cast<std::size_t>(OH * OW));
  for (int64_t n = 0; n < g.B; ++n)
    for (int64_t o = 0; o < g.Co; ++o) {
      for (auto& a : acc) a = b ? b[o] : 0.0;
      for (int64_t c = 0; c < g.Ci; ++c)
        for_each_tap(g, OH, OW, [&](int64_t i, int64_t j, int64_t u, int64_t v, int64_t h, int64_t ww) {
          acc[i * OW + j] += double(w[((o * g.Ci + c) * KH + u) * KW + v]) * x[((n * g.Ci + c) * g.H + h) * g.W + ww];
        });
      for (int64_t k = 0; k < OH * OW; ++k) y[(n * g.Co + o) * OH * OW + k] = float(acc[k]);
    }
}

void conv2d_backward(const Conv& g, const float* x, const float* w, const float* dy, float* dx, float* dw, float* db) {
  const int64_t OH = g.out_h(false), OW = g.out_w(false), KH = g.kh(), KW = g.kw();
  std::vector<double> gx(static_cast<std::size_t>(g.B * g.Ci * g.H * g.W), 0.0);
  std::vector<double> gw(static_cast<std::size_t>(g.Co * g.Ci * KH * KW), 0.0);
  for (int64_t n = 0; n < g.B; ++n)
    for (int64_t o = 0; o < g.Co; ++o)
      for (int64_t c = 0; c < g.Ci; ++c)
        for_each_tap(g, OH, OW, [&](int64_t i, int64_t j, int64_t u, int64_t v, int64_t h, int64_t ww) {
          const double d = dy[((n * g.Co + o) * OH + i) * OW + j];
          const int64_t xi = ((n * g.Ci + c) * g.H + h) * g.W + ww;
          const int64_t wi = ((o * g.Ci + c) * KH + u) * KW + v;
          gx[xi] += d * w[wi];
          gw[wi] += d * x[xi];
        });
  if (dx)
    for (std::size_t i = 0; i < gx.size(); ++i) dx[i] = float(gx[i]);
  for (std::size_t i = 0; i < gw.size(); ++i) dw[i] += float(gw[i]);
  if (db)
    for (int64_t o = 0; o < g.Co; ++o) {
      double s = 0;
      for (int64_t n = 0; n < g.B; ++n)
        for (int64_t k = 0; k < OH * OW; ++k) s += dy[(n * g.Co + o) * OH * OW + k];
      db[o] += float(s);
    }
}

// The transposed convolution is the same tap relation read backwards: its input is the
// grid (i, j) of H×W and its output the OH×OW grid of positions (S·i − P + u, ...).
void conv_transpose2d_forward(const Conv& g, const float* x, const float* w, const float* b, float* y) {
  const int64_t OH = g.out_h(true), OW = g.out_w(true), KH = g.kh(), KW = g.kw();
  const Conv adj{g.B, g.Co, g.Ci, OH,     OW,     g.K,    g.S,
                 g.P, KH,   KW,   g.pt(), g.pb(), g.pl(), g.pr()};  // the conv whose adjoint this is
  std::vector<double> acc(static_cast<std::size_t>(g.B * g.Co * OH * OW));
  for (int64_t n = 0; n < g.B; ++n)
    for (int64_t o = 0; o < g.Co; ++o) {
      for (int64_t k = 0; k < OH * OW; ++k) acc[(n * g.Co + o) * OH * OW + k] = b ? b[o] : 0.0;
      for (int64_t c = 0; c < g.Ci; ++c)
        for_each_tap(adj, g.H, g.W, [&](int64_t i, int64_t j, int64_t u, int64_t v, int64_t h, int64_t ww) {
          acc[((n * g.Co + o) * OH + h) * OW + ww] +=
              double(w[((c * g.Co + o) * KH + u) * KW + v]) * x[((n * g.Ci + c) * g.H + i) * g.W + j];
        });
    }
  for (std::size_t i = 0; i < acc.size(); ++i) y[i] = float(acc[i]);
}

void conv_transpose2d_backward(const Conv& g, const float* x, const float* w, const float* dy, float* dx, float* dw,
                               float* db) {
  const int64_t OH = g.out_h(true), OW = g.out_w(true), KH = g.kh(), KW = g.kw();
  const Conv adj{g.B, g.Co, g.Ci, OH, OW, g.K, g.S, g.P, KH, KW, g.pt(), g.pb(), g.pl(), g.pr()};
  std::vector<double> gx(static_cast<std::size_t>(g.B * g.Ci * g.H * g.W), 0.0);
  std::vector<double> gw(static_cast<std::size_t>(g.Ci * g.Co * KH * KW), 0.0);
  for (int64_t n = 0; n < g.B; ++n)
    for (int64_t o = 0; o < g.Co; ++o)
      for (int64_t c = 0; c < g.Ci; ++c)
        for_each_tap(adj, g.H, g.W, [&](int64_t i, int64_t j, int64_t u, int64_t v, int64_t h, int64_t ww) {
          const double d = dy[((n * g.Co + o) * OH + h) * OW + ww];
          const int64_t xi = ((n * g.Ci + c) * g.H + i) * g.W + j;
          const int64_t wi = ((c * g.Co + o) * KH + u) * KW + v;
          gx[xi] += d * w[wi];
          gw[wi] += d * x[xi];
        });
  if (dx)
    for (std::size_t i = 0; i < gx.size(); ++i) dx[i] = float(gx[i]);
  for (std::size_t i = 0; i < gw.size(); ++i) dw[i] += float(gw[i]);
  if (db)
    for (int64_t o = 0; o < g.Co; ++o) {
      double s = 0;
      for (int64_t n = 0; n < g.B; ++n)
        for (int64_t k = 0; k < OH * OW; ++k) s += dy[(n * g.Co + o) * OH * OW + k];
      db[o] += float(s);
    }
}

namespace {
// The source index of padded position k along an axis of n values (reflection, edge not repeated).
int64_t mirror(int64_t k, int64_t n) { return k < 0 ? -k : (k >= n ? 2 * (n - 1) - k : k); }
}  // namespace

void reflect_pad_forward(const float* x, float* xp, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P) {
  const int64_t HP = H + 2 * P, WP = W + 2 * P;
  for (int64_t p = 0; p < B * C; ++p)
    for (int64_t i = 0; i < HP; ++i)
      for (int64_t j = 0; j < WP; ++j) xp[(p * HP + i) * WP + j] = x[(p * H + mirror(i - P, H)) * W + mirror(j - P, W)];
}

void reflect_pad_backward(const float* dxp, float* dx, int64_t B, int64_t C, int64_t H, int64_t W, int64_t P) {
  const int64_t HP = H + 2 * P, WP = W + 2 * P;
  std::vector<double> acc(static_cast<std::size_t>(B * C * H * W), 0.0);
  for (int64_t p = 0; p < B * C; ++p)
    for (int64_t i = 0; i < HP; ++i)
      for (int64_t j = 0; j < WP; ++j)
        acc[static_cast<std::size_t>((p * H + mirror(i - P, H)) * W + mirror(j - P, W))] += dxp[(p * HP + i) * WP + j];
  for (std::size_t k = 0; k < acc.size(); ++k) dx[k] = float(acc[k]);
}

}  // namespace gm::nn::ref
