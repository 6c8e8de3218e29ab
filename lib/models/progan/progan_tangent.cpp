// The gradient penalty's tangent pass (the maths in progan_tangent.hpp).
#include "models/progan/progan_tangent.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "nn/equalized_lr.hpp"
#include "nn/fade_in.hpp"
#include "nn/minibatch_std.hpp"
#include "nn/resample.hpp"

namespace gm::progan {

namespace {

constexpr double kStdEps = 1e-8;  // nn/minibatch_std.cpp's

void grow(nn::Buffer& b, int64_t n) {
  if (b.size() < n) b.resize(n);
}

struct StageGeometry {
  int64_t H, W, OH, OW;
};

StageGeometry checked(nn::Sequential& net, std::size_t i) {
  const nn::StageSpec& sp = net.spec(i);
  nn::Conv2d* c = net.conv(i);
  const bool act_ok = sp.act == nn::Act::none || sp.act == nn::Act::relu || sp.act == nn::Act::leaky_relu;
  if (!c || sp.layer != nn::Layer::conv || sp.upsample || sp.reflect || sp.pixel_norm || sp.batch_norm ||
      sp.instance_norm || !act_ok)
    fail(Status::internal, "progan tangent pass: stage {} ({}) is not a plain convolution", i, sp.name);
  return {sp.in_h, sp.in_w, c->out_height(sp.in_h), c->out_width(sp.in_w)};
}

// The activation's slope at the primal point (y its output: the sign of its input).
float slope(const nn::StageSpec& sp, float y) {
  if (sp.act == nn::Act::none) return 1.0f;
  if (y > 0) return 1.0f;
  return sp.act == nn::Act::leaky_relu ? sp.alpha : 0.0f;
}

// Group m of the minibatch stddev: images m, m + M, m + 2M, … (nn/minibatch_std.hpp).
struct Groups {
  int64_t M;
  int64_t size(int64_t m, int64_t B) const { return (B - m + M - 1) / M; }
};

}  // namespace

const float* tangent_forward(nn::Sequential& net, const nn::SequentialWork& primal, nn::ParameterStore& store,
                             const float* t, int64_t B, TangentWork& tw) {
  const std::size_t L = net.size();
  tw.in.resize(L);
  tw.z.resize(L);
  tw.pool.resize(L);
  const float* cur = t;
  for (std::size_t i = 0; i < L; ++i) {
    const nn::StageSpec& sp = net.spec(i);
    const StageGeometry g = checked(net, i);
    const int64_t hw = g.OH * g.OW, n = sp.out * hw;
    grow(tw.in[i], B * sp.in * g.H * g.W);
    grow(tw.z[i], B * n);
    nn::scale_copy(cur, net.weight_scale(i), tw.in[i].data(), B * sp.in * g.H * g.W);
    net.conv(i)->forward(tw.in[i].data(), tw.z[i].data(), B, g.H, g.W);
    const float* bias = net.bias(i).valid() ? store.value(net.bias(i)) : nullptr;
    const float* y = primal.stages[i].z.data();  // the activation's output (no norm: in place)
    float* z = tw.z[i].data();
    for (int64_t r = 0; r < B; ++r)
      for (int64_t ch = 0; ch < sp.out; ++ch) {
        const float b = bias ? bias[ch] : 0.0f;
        for (int64_t k = r * n + ch * hw; k < r * n + (ch + 1) * hw; ++k) z[k] = (z[k] - b) * slope(sp, y[k]);
      }
    cur = z;
    if (sp.avg_pool) {
      grow(tw.pool[i], B * n / 4);
      nn::avg_pool2x2_forward(z, tw.pool[i].data(), B, sp.out, g.OH, g.OW);
      cur = tw.pool[i].data();
    }
  }
  return cur;
}

void tangent_backward(nn::Sequential& net, const nn::SequentialWork& primal, nn::ParameterStore& store, float* g,
                      float* dt, int64_t B, TangentWork& tw) {
  const std::size_t L = net.size();
  int64_t widest = 0;
  for (std::size_t i = 0; i < L; ++i) {
    const StageGeometry s = checked(net, i);
    widest = std::max({widest, net.spec(i).in * s.H * s.W, net.spec(i).out * s.OH * s.OW});
  }
  grow(tw.ga, B * widest);
  grow(tw.gb, B * widest);
  auto other = [&](const float* p) { return p == tw.ga.data() ? tw.gb.data() : tw.ga.data(); };
  float* cur = g;
  for (std::size_t i = L; i-- > 0;) {
    const nn::StageSpec& sp = net.spec(i);
    const StageGeometry s = checked(net, i);
    const int64_t n = B * sp.out * s.OH * s.OW;
    if (sp.avg_pool) {
      float* up = other(cur);
      nn::avg_pool2x2_backward(cur, up, B, sp.out, s.OH, s.OW);
      cur = up;
    }
    const float* y = primal.stages[i].z.data();
    for (int64_t k = 0; k < n; ++k) cur[k] *= slope(sp, y[k]);
    float* next = i > 0 ? other(cur) : dt;
    // The tangent carries no bias: the convolution's bias gradient is put back after it.
    const nn::ParamId bias = net.bias(i);
    if (bias.valid()) {
      grow(tw.bias, sp.out);
      std::memcpy(tw.bias.data(), store.grad(bias), static_cast<std::size_t>(sp.out) * sizeof(float));
    }
    net.conv(i)->backward(tw.in[i].data(), cur, next, B, s.H, s.W);
    if (bias.valid()) std::memcpy(store.grad(bias), tw.bias.data(), static_cast<std::size_t>(sp.out) * sizeof(float));
    if (next) nn::scale_copy(next, net.weight_scale(i), next, B * sp.in * s.H * s.W);
    cur = next;
    if (!cur) break;
  }
}

void mbstd_tangent_forward(const float* x, const float* t, float* out, int64_t B, int64_t C, int64_t S, int64_t group) {
  const Groups gr{nn::minibatch_std_groups(B, group)};
  const int64_t N = C * S;
  for (int64_t b = 0; b < B; ++b)
    std::memcpy(out + b * (N + S), t + b * N, static_cast<std::size_t>(N) * sizeof(float));
  for (int64_t m = 0; m < gr.M; ++m) {
    const int64_t n = gr.size(m, B);
    double sum = 0;
    for (int64_t j = 0; j < N; ++j) {
      double mu = 0, v = 0, dot = 0;
      for (int64_t b = m; b < B; b += gr.M) mu += x[b * N + j];
      mu /= static_cast<double>(n);
      for (int64_t b = m; b < B; b += gr.M) {
        const double d = x[b * N + j] - mu;
        v += d * d;
        dot += d * t[b * N + j];
      }
      sum += dot / std::sqrt(v / static_cast<double>(n) + kStdEps);
    }
    const float sdot = static_cast<float>(sum / static_cast<double>(n * N));
    for (int64_t b = m; b < B; b += gr.M) std::fill(out + b * (N + S) + N, out + (b + 1) * (N + S), sdot);
  }
}

void mbstd_second_order(const float* x, const float* t, const float* gt, float* dx, int64_t B, int64_t C, int64_t S,
                        int64_t group) {
  const Groups gr{nn::minibatch_std_groups(B, group)};
  const int64_t N = C * S;
  for (int64_t m = 0; m < gr.M; ++m) {
    const int64_t n = gr.size(m, B);
    const double dn = static_cast<double>(n);
    double T = 0;
    for (int64_t b = m; b < B; b += gr.M)
      for (int64_t p = 0; p < S; ++p) T += gt[b * (N + S) + N + p];
    const double coef = T / (dn * static_cast<double>(N));
    for (int64_t j = 0; j < N; ++j) {
      double mu = 0, mu_t = 0, v = 0, A = 0;
      for (int64_t b = m; b < B; b += gr.M) {
        mu += x[b * N + j];
        mu_t += t[b * N + j];
      }
      mu /= dn;
      mu_t /= dn;
      for (int64_t b = m; b < B; b += gr.M) {
        const double d = x[b * N + j] - mu;
        v += d * d;
        A += d * t[b * N + j];
      }
      const double sigma = std::sqrt(v / dn + kStdEps);
      for (int64_t b = m; b < B; b += gr.M) {
        const double d = x[b * N + j] - mu, e = t[b * N + j] - mu_t;
        dx[b * N + j] = static_cast<float>(coef * (e / sigma - A * d / (dn * sigma * sigma * sigma)));
      }
    }
  }
}

double d_tangent_gradient(Nets& nets, DPass& p, const float* u, DTangent& t) {
  const int64_t s = p.phase.stage, B = p.B, bb = nets.geo.base * nets.geo.base, f0 = nets.f[0];
  const Geometry& geo = nets.geo;
  nn::ParameterStore& st = nets.store;
  const bool fading = s > 0 && p.phase.fading();
  t.blocks.resize(nets.d_blocks.size());
  // Forward: the tangents along u, at the point of the last d_forward.
  const float* tv = tangent_forward(nets.from_rgb[s], p.rgb_new, st, u, B, t.rgb_new);
  if (s > 0) {
    tv = tangent_forward(nets.d_blocks[s], p.blocks[s], st, tv, B, t.blocks[s]);
    if (fading) {
      const int64_t lo = geo.side(s - 1), n = B * nets.f[s - 1] * lo * lo;
      grow(t.pooled, B * geo.pixels(s - 1));
      grow(t.blend, n);
      nn::avg_pool2x2_forward(u, t.pooled.data(), B, geo.C, geo.side(s), geo.side(s));
      const float* old = tangent_forward(nets.from_rgb[s - 1], p.rgb_old, st, t.pooled.data(), B, t.rgb_old);
      nn::fade_in_forward(p.phase.alpha, tv, old, t.blend.data(), n);
      tv = t.blend.data();
    }
    for (int64_t k = s - 1; k >= 1; --k) tv = tangent_forward(nets.d_blocks[k], p.blocks[k], st, tv, B, t.blocks[k]);
  }
  const float* t0 = tv;
  grow(t.feat, B * (f0 + 1) * bb);
  mbstd_tangent_forward(p.h0, t0, t.feat.data(), B, f0, bb, nets.group);
  const float* fdot = tangent_forward(nets.d_last, p.last, st, t.feat.data(), B, t.last);
  double total = 0;
  for (int64_t b = 0; b < B; ++b) total += fdot[b];
  // Backward from unit adjoints on every Ḋ_b.
  grow(t.ones, B);
  std::fill(t.ones.data(), t.ones.data() + B, 1.0f);
  grow(t.g_feat, B * (f0 + 1) * bb);
  tangent_backward(nets.d_last, p.last, st, t.ones.data(), t.g_feat.data(), B, t.last);
  grow(t.xbar, B * f0 * bb);
  mbstd_second_order(p.h0, t0, t.g_feat.data(), t.xbar.data(), B, f0, bb, nets.group);
  const int64_t W = nets.widest();
  grow(t.ga, B * W);
  grow(t.gb, B * W);
  auto other = [&](const float* q) { return q == t.ga.data() ? t.gb.data() : t.ga.data(); };
  float* g = t.ga.data();
  nn::minibatch_std_backward(p.h0, t.g_feat.data(), g, B, f0, bb, nets.group);
  for (int64_t k = 1; k < s; ++k) {
    float* next = other(g);
    tangent_backward(nets.d_blocks[k], p.blocks[k], st, g, next, B, t.blocks[k]);
    g = next;
  }
  if (s > 0) {
    if (fading) {
      const int64_t lo = geo.side(s - 1), n = B * nets.f[s - 1] * lo * lo;
      grow(t.g_old, n);
      nn::fade_in_backward(p.phase.alpha, g, g, t.g_old.data(), n);
      tangent_backward(nets.from_rgb[s - 1], p.rgb_old, st, t.g_old.data(), nullptr, B, t.rgb_old);
    }
    float* next = other(g);
    tangent_backward(nets.d_blocks[s], p.blocks[s], st, g, next, B, t.blocks[s]);
    g = next;
  }
  tangent_backward(nets.from_rgb[s], p.rgb_new, st, g, nullptr, B, t.rgb_new);
  // The second-order term of the minibatch stddev, down D's ordinary backward.
  nets.d_backward_below(t.xbar.data(), nullptr, p, true);
  return total;
}

}  // namespace gm::progan
