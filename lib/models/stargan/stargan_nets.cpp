#include "models/stargan/stargan_nets.hpp"

#include <algorithm>
#include <cstring>

namespace gm::stargan {

namespace {

constexpr float kSlope = 0.01f;  // StarGAN's LeakyReLU

nn::StageSpec stage(nn::Layer layer, std::string name, int64_t in, int64_t out, int64_t size, int64_t kernel,
                    int64_t stride, int64_t padding, nn::Act act) {
  nn::StageSpec s;
  s.layer = layer;
  s.name = std::move(name);
  s.in = in;
  s.out = out;
  s.in_h = s.in_w = size;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  s.bias = false;
  s.act = act;
  s.alpha = kSlope;
  return s;
}

nn::StageSpec normed(nn::StageSpec s) {
  s.instance_norm = true;
  s.affine = true;
  return s;
}

struct Plan {
  std::vector<nn::StageSpec> g, d, src, cls;
  int64_t map = 0;
};

Plan make_plan(const Config& cfg, const DataShape& shape, Status status) {
  check_shape(shape, status);
  if (cfg.domains < 2) fail(status, "stargan: the number of domains is not known (\"domains\": {})", cfg.domains);
  using nn::Act;
  using nn::Layer;
  const int64_t C = shape.image.channels, S = shape.image.height, K = cfg.domains, f = cfg.ngf;
  Plan p;
  p.g.push_back(normed(stage(Layer::conv, "g.0", C + K, f, S, 7, 1, 3, Act::relu)));
  p.g.push_back(normed(stage(Layer::conv, "g.1", f, 2 * f, S, 4, 2, 1, Act::relu)));
  p.g.push_back(normed(stage(Layer::conv, "g.2", 2 * f, 4 * f, S / 2, 4, 2, 1, Act::relu)));
  int64_t i = 3;
  // Spatial mixing (optional) in the middle of the blocks, named "g.mix" apart from the
  // numbered stages so a generator without it keeps the paper's names; starts as the identity.
  auto mix = [&] {
    nn::StageSpec m = stage(Layer::mix, "g.mix", 4 * f, 4 * f, S / 4, 0, 1, 0, Act::none);
    m.groups = cfg.mix_groups;
    p.g.push_back(m);
  };
  for (int64_t r = 0; r < cfg.n_res; ++r, ++i) {
    if (cfg.mix_groups > 0 && r == cfg.n_res / 2) mix();
    nn::StageSpec s = stage(Layer::residual, "g." + std::to_string(i), 4 * f, 4 * f, S / 4, 3, 1, 1, Act::none);
    s.affine = true;
    s.reflect = false;  // StarGAN's blocks pad with zeros
    p.g.push_back(s);
  }
  if (cfg.mix_groups > 0 && cfg.n_res == 0) mix();
  p.g.push_back(normed(stage(Layer::deconv, "g." + std::to_string(i++), 4 * f, 2 * f, S / 4, 4, 2, 1, Act::relu)));
  p.g.push_back(normed(stage(Layer::deconv, "g." + std::to_string(i++), 2 * f, f, S / 2, 4, 2, 1, Act::relu)));
  p.g.push_back(stage(Layer::conv, "g." + std::to_string(i), f, C, S, 7, 1, 3, Act::tanh));

  int64_t size = S, ch = cfg.ndf, n = 0;
  for (int64_t in = C; n < 2 || (size % 2 == 0 && size / 2 >= 4); ++n, in = ch, ch *= 2, size /= 2) {
    nn::StageSpec s = stage(Layer::conv, "d." + std::to_string(n), in, ch, size, 4, 2, 1, Act::leaky_relu);
    s.bias = true;
    p.d.push_back(s);
  }
  const int64_t F = ch / 2;
  p.map = size;
  p.src.push_back(stage(Layer::conv, "d_src", F, 1, size, 3, 1, 1, Act::none));
  p.cls.push_back(stage(Layer::conv, "d_cls", F, K, size, size, 1, 0, Act::none));
  return p;
}

}  // namespace

void check_shape(const DataShape& shape, Status status) {
  const ImageShape& im = shape.image;
  if (!im.is_image() || im.size() != shape.d || im.height != im.width || im.height % 4 != 0)
    fail(status,
         "stargan needs square images whose side is a multiple of 4 (channels x S x S: 1x28x28, 3x32x32, ...); "
         "these rows of {} values are {}",
         shape.d,
         im.is_image() ? fmt::format("{}x{}x{}", im.channels, im.height, im.width) : std::string("plain vectors"));
}

Nets::Nets(const Config& cfg, const DataShape& shape, Status status) {
  const Plan p = make_plan(cfg, shape, status);
  C = shape.image.channels;
  S = shape.image.height;
  K = cfg.domains;
  map = p.map;
  for (const nn::StageSpec& s : p.g) g.add(store, s);
  for (const nn::StageSpec& s : p.d) d_trunk.add(store, s);
  for (const nn::StageSpec& s : p.src) d_src.add(store, s);
  for (const nn::StageSpec& s : p.cls) d_cls.add(store, s);
}

void Nets::init(Rng& rng) {
  g.init_default(rng);
  d_trunk.init_default(rng);
  d_src.init_default(rng);
  d_cls.init_default(rng);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape) {
  const Plan p = make_plan(cfg, shape, Status::corrupt_file);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto* list : {&p.g, &p.d, &p.src, &p.cls})
    for (const nn::StageSpec& s : *list)
      for (auto& t : nn::stage_tensors(s)) out.push_back(std::move(t));
  return out;
}

void generator_input(const float* x, const int32_t* target, int64_t B, int64_t C, int64_t HW, int64_t K, float* out) {
  const int64_t in = (C + K) * HW;
  for (int64_t r = 0; r < B; ++r) {
    float* o = out + r * in;
    std::memcpy(o, x + r * C * HW, static_cast<std::size_t>(C * HW) * sizeof(float));
    for (int64_t k = 0; k < K; ++k) std::fill(o + (C + k) * HW, o + (C + k + 1) * HW, target[r] == k ? 1.0f : 0.0f);
  }
}

}  // namespace gm::stargan
