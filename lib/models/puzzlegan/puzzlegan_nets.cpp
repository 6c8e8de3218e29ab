#include "models/puzzlegan/puzzlegan_nets.hpp"

#include <algorithm>
#include <cstring>

namespace gm::puzzlegan {

namespace {

constexpr float kSlope = 0.2f;  // the encoder's and discriminator's LeakyReLU (DCGAN's)

nn::StageSpec stage(nn::Layer layer, std::string name, int64_t in, int64_t out, int64_t size, int64_t kernel,
                    int64_t stride, int64_t padding, nn::Act act, bool bias = true) {
  nn::StageSpec s;
  s.layer = layer;
  s.name = std::move(name);
  s.in = in;
  s.out = out;
  s.in_h = s.in_w = size;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  s.bias = bias;
  s.act = act;
  s.alpha = kSlope;
  return s;
}

nn::StageSpec normed(nn::StageSpec s) {
  s.bias = false;
  s.instance_norm = true;
  s.affine = true;
  return s;
}

struct Plan {
  std::vector<nn::StageSpec> e, m, g, d;
};

Plan make_plan(const Config& cfg, const DataShape& shape, Status status) {
  check_shape(cfg, shape, status);
  using nn::Act;
  using nn::Layer;
  const int64_t C = shape.image.channels, S = shape.image.height, F = 2 * cfg.nef, N = cfg.noise, f = cfg.ngf;
  Plan p;
  p.e.push_back(stage(Layer::conv, "e.0", C + 1, cfg.nef, S, 4, 2, 1, Act::leaky_relu));
  p.e.push_back(stage(Layer::conv, "e.1", cfg.nef, F, S / 2, 4, 2, 1, Act::leaky_relu));
  p.m.push_back(stage(Layer::deconv, "m.0", F, cfg.nef, S / 4, 4, 2, 1, Act::relu));
  p.m.push_back(stage(Layer::deconv, "m.1", cfg.nef, 1, S / 2, 4, 2, 1, Act::none));
  p.g.push_back(normed(stage(Layer::conv, "g.0", F + N, 4 * f, S / 4, 3, 1, 1, Act::relu)));
  p.g.push_back(normed(stage(Layer::deconv, "g.1", 4 * f, 2 * f, S / 4, 4, 2, 1, Act::relu)));
  p.g.push_back(normed(stage(Layer::deconv, "g.2", 2 * f, f, S / 2, 4, 2, 1, Act::relu)));
  p.g.push_back(stage(Layer::conv, "g.3", f, C, S, 3, 1, 1, Act::tanh));
  p.d.push_back(stage(Layer::conv, "d.0", C, cfg.ndf, S, 4, 2, 1, Act::leaky_relu));
  p.d.push_back(stage(Layer::conv, "d.1", cfg.ndf, 2 * cfg.ndf, S / 2, 4, 2, 1, Act::leaky_relu));
  p.d.push_back(stage(Layer::conv, "d.2", 2 * cfg.ndf, 1, S / 4, 3, 1, 1, Act::none));
  return p;
}

}  // namespace

void check_shape(const Config& cfg, const DataShape& shape, Status status) {
  const ImageShape& im = shape.image;
  if (!im.is_image() || im.size() != shape.d || im.height != im.width || im.height % 4 != 0)
    fail(status,
         "puzzlegan needs square images whose side is a multiple of 4 (channels x S x S: 1x28x28, 3x32x32, ...); "
         "these rows of {} values are {}",
         shape.d,
         im.is_image() ? fmt::format("{}x{}x{}", im.channels, im.height, im.width) : std::string("plain vectors"));
  if (cfg.patch_size > im.height)
    fail(status, "puzzlegan: patch_size {} is larger than the images' side {}; set \"patch_size\" to at most {}",
         cfg.patch_size, im.height, im.height);
}

Nets::Nets(const Config& cfg, const DataShape& shape, Status status) {
  const Plan p = make_plan(cfg, shape, status);
  C = shape.image.channels;
  S = shape.image.height;
  P = cfg.patch_size;
  F = 2 * cfg.nef;
  N = cfg.noise;
  for (const nn::StageSpec& s : p.e) e.add(store, s);
  for (const nn::StageSpec& s : p.m) m.add(store, s);
  for (const nn::StageSpec& s : p.g) g.add(store, s);
  for (const nn::StageSpec& s : p.d) d.add(store, s);
}

void Nets::init(Rng& rng) {
  e.init_default(rng);
  m.init_default(rng);
  g.init_default(rng);
  d.init_default(rng);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape) {
  const Plan p = make_plan(cfg, shape, Status::corrupt_file);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto* list : {&p.e, &p.m, &p.g, &p.d})
    for (const nn::StageSpec& s : *list)
      for (auto& t : nn::stage_tensors(s)) out.push_back(std::move(t));
  return out;
}

void generator_input(const float* h, const float* z, int64_t B, int64_t F, int64_t N, int64_t Q, float* out) {
  const int64_t in = (F + N) * Q;
  for (int64_t b = 0; b < B; ++b) {
    float* o = out + b * in;
    std::memcpy(o, h + b * F * Q, static_cast<std::size_t>(F * Q) * sizeof(float));
    for (int64_t i = 0; i < N; ++i) std::fill(o + (F + i) * Q, o + (F + i + 1) * Q, z[b * N + i]);
  }
}

}  // namespace gm::puzzlegan
