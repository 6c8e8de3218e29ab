#include "models/progan/progan_nets.hpp"

#include <algorithm>
#include <type_traits>

#include "nn/equalized_lr.hpp"
#include "nn/fade_in.hpp"
#include "nn/minibatch_std.hpp"
#include "nn/pixel_norm.hpp"
#include "nn/resample.hpp"

namespace gm::progan {

namespace {

void grow(nn::Buffer& b, int64_t n) {
  if (b.size() < n) b.resize(n);
}

nn::StageSpec stage(nn::Layer layer, std::string name, int64_t in, int64_t out, int64_t size, int64_t kernel,
                    int64_t padding, bool last = false) {
  nn::StageSpec s;
  s.layer = layer;
  s.name = std::move(name);
  s.in = in;
  s.out = out;
  s.in_h = s.in_w = size;
  s.kernel = kernel;
  s.stride = 1;
  s.padding = padding;
  s.equalized = true;
  s.gain = last ? 1.0f : nn::kHeGain;
  s.act = last ? nn::Act::none : nn::Act::leaky_relu;
  s.alpha = kSlope;
  return s;
}

nn::StageSpec normed(nn::StageSpec s) {
  s.pixel_norm = true;
  return s;
}

struct Plan {
  std::vector<std::vector<nn::StageSpec>> g_blocks, to_rgb, from_rgb, d_blocks;
  std::vector<nn::StageSpec> last;
};

Plan make_plan(const Config& cfg, const Geometry& g) {
  using nn::Layer;
  Plan p;
  const int64_t K = g.stages, C = g.C, b = g.base;
  for (int64_t k = 0; k < K; ++k) {
    const int64_t fk = cfg.width(k), side = g.side(k);
    const std::string gk = "g.block" + std::to_string(k), dk = "d.block" + std::to_string(k);
    std::vector<nn::StageSpec> blk;
    if (k == 0) {
      blk.push_back(normed(stage(Layer::deconv, gk + ".conv0", cfg.latent, fk, 1, b, 0)));
    } else {
      nn::StageSpec up = normed(stage(Layer::conv, gk + ".conv0", cfg.width(k - 1), fk, g.side(k - 1), 3, 1));
      up.upsample = true;
      blk.push_back(up);
    }
    blk.push_back(normed(stage(Layer::conv, gk + ".conv1", fk, fk, side, 3, 1)));
    p.g_blocks.push_back(blk);
    p.to_rgb.push_back({stage(Layer::conv, "g.to_rgb" + std::to_string(k), fk, C, side, 1, 0, true)});
    p.from_rgb.push_back({stage(Layer::conv, "d.from_rgb" + std::to_string(k), C, fk, side, 1, 0)});
    std::vector<nn::StageSpec> down;
    if (k > 0) {
      down.push_back(stage(Layer::conv, dk + ".conv0", fk, fk, side, 3, 1));
      nn::StageSpec pool = stage(Layer::conv, dk + ".conv1", fk, cfg.width(k - 1), side, 3, 1);
      pool.avg_pool = true;
      down.push_back(pool);
    }
    p.d_blocks.push_back(down);
  }
  const int64_t f0 = cfg.width(0);
  p.last.push_back(stage(Layer::conv, "d.last.conv", f0 + 1, f0, b, 3, 1));
  p.last.push_back(stage(Layer::conv, "d.last.dense", f0, f0, b, b, 0));
  p.last.push_back(stage(Layer::conv, "d.last.score", f0, 1, 1, 1, 0, true));
  return p;
}

// G's order of registration, then D's: what the store and the file hold.
template <typename Fn>
void for_each_network(const Plan& p, Fn&& fn) {
  const std::size_t K = p.g_blocks.size();
  for (std::size_t k = 0; k < K; ++k) {
    fn(p.g_blocks[k]);
    fn(p.to_rgb[k]);
  }
  for (std::size_t k = 0; k < K; ++k) {
    fn(p.from_rgb[k]);
    fn(p.d_blocks[k]);
  }
  fn(p.last);
}

// Sequential's training pass, or its inference pass through a const network.
template <typename Net>
const float* run(Net& net, const float* x, int64_t B, nn::SequentialWork& w) {
  if constexpr (std::is_const_v<Net>)
    return net.forward_infer(x, B, w);
  else
    return net.forward_train(x, B, w);
}

template <typename N>
const float* g_forward_impl(N& nets, const float* z, int64_t B, Phase ph, GPass& p) {
  const int64_t s = ph.stage, Z = nets.Z;
  p.phase = ph;
  p.B = B;
  p.blocks.resize(nets.g_blocks.size());
  p.h.assign(nets.g_blocks.size(), nullptr);
  grow(p.zn, B * Z);
  // The latent normalised to unit mean square (the paper's PN on z): a fixed transform of
  // the noise, no gradient needed through it.
  nn::pixel_norm_forward(z, p.zn.data(), B, Z, 1);
  const float* h = p.zn.data();
  for (int64_t k = 0; k <= s; ++k) p.h[k] = h = run(nets.g_blocks[k], h, B, p.blocks[k]);
  const float* y = run(nets.to_rgb[s], h, B, p.rgb_new);
  if (!ph.fading()) return y;
  const Geometry& g = nets.geo;
  const int64_t n = B * g.pixels(s);
  grow(p.up, n);
  grow(p.out, n);
  const float* old = run(nets.to_rgb[s - 1], p.h[s - 1], B, p.rgb_old);
  nn::upsample_nearest2x_forward(old, p.up.data(), B, g.C, g.side(s - 1), g.side(s - 1));
  nn::fade_in_forward(ph.alpha, y, p.up.data(), p.out.data(), n);
  return p.out.data();
}

}  // namespace

Geometry geometry_of(const DataShape& shape, Status status) {
  const ImageShape& im = shape.image;
  if (!im.is_image() || im.size() != shape.d || im.height != im.width || im.height < 4)
    fail(status,
         "progan needs square images of side at least 4 (channels x S x S: 1x28x28, 3x32x32, 3x64x64, ...); "
         "these rows of {} values are {}",
         shape.d,
         im.is_image() ? fmt::format("{}x{}x{}", im.channels, im.height, im.width) : std::string("plain vectors"));
  Geometry g;
  g.C = im.channels;
  g.S = im.height;
  g.base = g.S;
  g.stages = 1;
  while (g.base % 2 == 0 && g.base / 2 >= 4) {
    g.base /= 2;
    ++g.stages;
  }
  return g;
}

Nets::Nets(const Config& cfg, const DataShape& shape, Status status) : geo(geometry_of(shape, status)) {
  Z = cfg.latent;
  group = cfg.mbstd_group;
  for (int64_t k = 0; k < geo.stages; ++k) f.push_back(cfg.width(k));
  const Plan p = make_plan(cfg, geo);
  const std::size_t K = p.g_blocks.size();
  g_blocks.resize(K);
  to_rgb.resize(K);
  from_rgb.resize(K);
  d_blocks.resize(K);
  auto add = [&](nn::Sequential& net, const std::vector<nn::StageSpec>& specs) {
    for (const nn::StageSpec& s : specs) net.add(store, s);
  };
  for (std::size_t k = 0; k < K; ++k) {
    add(g_blocks[k], p.g_blocks[k]);
    add(to_rgb[k], p.to_rgb[k]);
  }
  for (std::size_t k = 0; k < K; ++k) {
    add(from_rgb[k], p.from_rgb[k]);
    add(d_blocks[k], p.d_blocks[k]);
  }
  add(d_last, p.last);
}

void Nets::init(Rng& rng) {
  for (std::size_t k = 0; k < g_blocks.size(); ++k) {
    g_blocks[k].init_default(rng);
    to_rgb[k].init_default(rng);
  }
  for (std::size_t k = 0; k < g_blocks.size(); ++k) {
    from_rgb[k].init_default(rng);
    d_blocks[k].init_default(rng);
  }
  d_last.init_default(rng);
}

int64_t Nets::widest() const {
  int64_t w = std::max(Z, (f[0] + 1) * geo.base * geo.base);
  for (int64_t k = 0; k < geo.stages; ++k) w = std::max(w, std::max(f[k], geo.C) * geo.side(k) * geo.side(k));
  return w;
}

PlannedTensors planned_tensors(const Config& cfg, const DataShape& shape) {
  const Plan p = make_plan(cfg, geometry_of(shape, Status::corrupt_file));
  PlannedTensors out;
  for_each_network(p, [&](const std::vector<nn::StageSpec>& specs) {
    for (const nn::StageSpec& s : specs)
      for (auto& t : nn::stage_tensors(s)) out.push_back(std::move(t));
  });
  return out;
}

// ---------------------------------------------------------------- G

const float* Nets::g_forward(const float* z, int64_t B, Phase ph, GPass& p) {
  return g_forward_impl(*this, z, B, ph, p);
}
const float* Nets::g_forward(const float* z, int64_t B, Phase ph, GPass& p) const {
  return g_forward_impl(*this, z, B, ph, p);
}

// y = α·new + (1 − α)·up(old): d new = α·dy, d old = upᵀ((1 − α)·dy); h_{s−1} feeds both
// block s and the old toRGB, so its gradient is the sum of the two.
void Nets::g_backward(float* dy, GPass& p) {
  const int64_t s = p.phase.stage, B = p.B, W = widest();
  grow(p.ga, B * W);
  grow(p.gb, B * W);
  float* g_new = dy;
  if (p.phase.fading()) {
    const int64_t n = B * geo.pixels(s);
    grow(p.g_new, n);
    grow(p.g_old, B * geo.pixels(s - 1));
    grow(p.g_side, B * W);
    nn::fade_in_backward(p.phase.alpha, dy, p.g_new.data(), dy, n);  // dy now holds d up
    nn::upsample_nearest2x_backward(dy, p.g_old.data(), B, geo.C, geo.side(s - 1), geo.side(s - 1));
    to_rgb[s - 1].backward(p.h[s - 1], p.g_old.data(), p.g_side.data(), B, p.rgb_old);
    g_new = p.g_new.data();
  }
  float* g = p.ga.data();
  to_rgb[s].backward(p.h[s], g_new, g, B, p.rgb_new);
  for (int64_t k = s; k >= 0; --k) {
    float* next = k > 0 ? (g == p.ga.data() ? p.gb.data() : p.ga.data()) : nullptr;
    g_blocks[k].backward(k > 0 ? p.h[k - 1] : p.zn.data(), g, next, B, p.blocks[k]);
    if (k == s && k > 0 && p.phase.fading()) {
      const int64_t n = B * f[k - 1] * geo.side(k - 1) * geo.side(k - 1);
      const float* side = p.g_side.data();
      for (int64_t i = 0; i < n; ++i) next[i] += side[i];
    }
    g = next;
  }
}

// ---------------------------------------------------------------- D

const float* Nets::d_forward(const float* x, int64_t B, Phase ph, DPass& p) {
  const int64_t s = ph.stage;
  p.phase = ph;
  p.B = B;
  p.x = x;
  p.blocks.resize(d_blocks.size());
  p.in.assign(d_blocks.size(), nullptr);
  const float* h = from_rgb[s].forward_train(x, B, p.rgb_new);
  if (s > 0) {
    p.in[s] = h;
    h = d_blocks[s].forward_train(h, B, p.blocks[s]);
    if (ph.fading()) {
      const int64_t lo = geo.side(s - 1), n = B * f[s - 1] * lo * lo;
      grow(p.pooled, B * geo.pixels(s - 1));
      grow(p.blend, n);
      nn::avg_pool2x2_forward(x, p.pooled.data(), B, geo.C, geo.side(s), geo.side(s));
      const float* old = from_rgb[s - 1].forward_train(p.pooled.data(), B, p.rgb_old);
      nn::fade_in_forward(ph.alpha, h, old, p.blend.data(), n);
      h = p.blend.data();
    }
    for (int64_t k = s - 1; k >= 1; --k) {
      p.in[k] = h;
      h = d_blocks[k].forward_train(h, B, p.blocks[k]);
    }
  }
  p.h0 = h;
  const int64_t bb = geo.base * geo.base;
  grow(p.feat, B * (f[0] + 1) * bb);
  nn::minibatch_std_forward(h, p.feat.data(), B, f[0], bb, group);
  return d_last.forward_train(p.feat.data(), B, p.last);
}

void Nets::d_backward(float* dscore, float* dx, DPass& p, bool weights) {
  const int64_t B = p.B, bb = geo.base * geo.base, W = widest();
  grow(p.g_feat, B * (f[0] + 1) * bb);
  grow(p.ga, B * W);
  grow(p.gb, B * W);
  d_last.backward(p.feat.data(), dscore, p.g_feat.data(), B, p.last, weights);
  nn::minibatch_std_backward(p.h0, p.g_feat.data(), p.ga.data(), B, f[0], bb, group);
  d_backward_below(p.ga.data(), dx, p, weights);
}

void Nets::d_backward_below(float* g, float* dx, DPass& p, bool weights) {
  const int64_t s = p.phase.stage, B = p.B, W = widest();
  grow(p.ga, B * W);
  grow(p.gb, B * W);
  auto other = [&](const float* q) { return q == p.ga.data() ? p.gb.data() : p.ga.data(); };
  for (int64_t k = 1; k < s; ++k) {
    float* next = other(g);
    d_blocks[k].backward(p.in[k], g, next, B, p.blocks[k], weights);
    g = next;
  }
  const bool fading = s > 0 && p.phase.fading();
  if (s > 0) {
    if (fading) {  // h = α·new + (1 − α)·old
      const int64_t lo = geo.side(s - 1), n = B * f[s - 1] * lo * lo;
      grow(p.g_old, n);
      grow(p.d_pooled, B * geo.pixels(s - 1));
      nn::fade_in_backward(p.phase.alpha, g, g, p.g_old.data(), n);
      from_rgb[s - 1].backward(p.pooled.data(), p.g_old.data(), dx ? p.d_pooled.data() : nullptr, B, p.rgb_old,
                               weights);
    }
    float* next = other(g);
    d_blocks[s].backward(p.in[s], g, next, B, p.blocks[s], weights);
    g = next;
  }
  from_rgb[s].backward(p.x, g, dx, B, p.rgb_new, weights);
  if (dx && fading) {  // x's second path: poolᵀ, added
    const int64_t n = B * geo.pixels(s);
    float* tmp = other(g);  // g was consumed by from_rgb's backward
    nn::avg_pool2x2_backward(p.d_pooled.data(), tmp, B, geo.C, geo.side(s), geo.side(s));
    for (int64_t i = 0; i < n; ++i) dx[i] += tmp[i];
  }
}

}  // namespace gm::progan
