#include "models/cyclegan/cyclegan_nets.hpp"

#include <algorithm>

#include "nn/init.hpp"

namespace gm::cyclegan {

namespace {

constexpr float kSlope = 0.2f;

struct Plan {
  std::vector<nn::StageSpec> g, f, da, db;
};

nn::StageSpec stage(nn::Layer layer, const std::string& name, int64_t in, int64_t out, int64_t h, int64_t w,
                    int64_t kernel, int64_t stride, int64_t padding, nn::Act act) {
  nn::StageSpec s;
  s.layer = layer;
  s.name = name;
  s.in = in;
  s.out = out;
  s.in_h = h;
  s.in_w = w;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  s.bias = false;
  s.instance_norm = true;
  s.affine = false;
  s.act = act;
  s.alpha = kSlope;
  return s;
}

// The spatial mixing stage "<p>.mix" (named apart from the numbered stages, so a generator
// without it keeps the paper's names): y = x + M_g x over the bottleneck's positions.
nn::StageSpec mix_stage(const std::string& p, int64_t channels, int64_t h, int64_t w, int64_t groups) {
  nn::StageSpec s = stage(nn::Layer::mix, p + ".mix", channels, channels, h, w, 0, 1, 0, nn::Act::none);
  s.instance_norm = false;
  s.groups = groups;
  return s;
}

std::vector<nn::StageSpec> generator(const std::string& p, const Config& cfg, const ImageShape& im) {
  using nn::Act;
  using nn::Layer;
  const int64_t k = cfg.ngf, C = im.channels, H = im.height, W = im.width;
  std::vector<nn::StageSpec> s;
  s.push_back(stage(Layer::conv, p + ".0", C, k, H, W, 7, 1, 3, Act::relu));
  s.back().reflect = true;
  s.push_back(stage(Layer::conv, p + ".1", k, 2 * k, H, W, 3, 2, 1, Act::relu));
  s.push_back(stage(Layer::conv, p + ".2", 2 * k, 4 * k, H / 2, W / 2, 3, 2, 1, Act::relu));
  int64_t i = 3;
  for (int64_t r = 0; r < cfg.n_res; ++r, ++i) {
    if (cfg.mix_groups > 0 && r == cfg.n_res / 2) s.push_back(mix_stage(p, 4 * k, H / 4, W / 4, cfg.mix_groups));
    nn::StageSpec res =
        stage(Layer::residual, p + "." + std::to_string(i), 4 * k, 4 * k, H / 4, W / 4, 3, 1, 1, Act::none);
    res.instance_norm = false;  // the block has its own two
    res.reflect = true;
    s.push_back(res);
  }
  if (cfg.mix_groups > 0 && cfg.n_res == 0) s.push_back(mix_stage(p, 4 * k, H / 4, W / 4, cfg.mix_groups));
  s.push_back(stage(Layer::deconv, p + "." + std::to_string(i++), 4 * k, 2 * k, H / 4, W / 4, 4, 2, 1, Act::relu));
  s.push_back(stage(Layer::deconv, p + "." + std::to_string(i++), 2 * k, k, H / 2, W / 2, 4, 2, 1, Act::relu));
  nn::StageSpec out = stage(Layer::conv, p + "." + std::to_string(i), k, C, H, W, 7, 1, 3, Act::tanh);
  out.reflect = true;
  out.bias = true;
  out.instance_norm = false;
  s.push_back(out);
  return s;
}

std::vector<nn::StageSpec> patch_discriminator(const std::string& p, const Config& cfg, const ImageShape& im) {
  using nn::Act;
  using nn::Layer;
  const int64_t m = cfg.ndf, C = im.channels, H = im.height, W = im.width;
  std::vector<nn::StageSpec> s;
  nn::StageSpec first = stage(Layer::conv, p + ".0", C, m, H, W, 4, 2, 1, Act::leaky_relu);
  first.instance_norm = false;
  first.bias = true;
  s.push_back(first);
  // Two stride-2 stages, or one for sides below 12 (whose quarter would leave no patch map).
  const int64_t down = std::min(H, W) >= 12 ? 2 : 1, h = H >> down, w = W >> down;
  if (down == 2) s.push_back(stage(Layer::conv, p + ".1", m, 2 * m, H / 2, W / 2, 4, 2, 1, Act::leaky_relu));
  const int64_t mid = down == 2 ? 2 * m : m;
  s.push_back(stage(Layer::conv, p + "." + std::to_string(down), mid, 4 * m, h, w, 4, 1, 1, Act::leaky_relu));
  nn::StageSpec score =
      stage(Layer::conv, p + "." + std::to_string(down + 1), 4 * m, 1, h - 1, w - 1, 4, 1, 1, Act::none);
  score.instance_norm = false;
  score.bias = true;
  s.push_back(score);
  return s;
}

Plan make_plan(const Config& cfg, const DataShape& shape, Status status) {
  const ImageShape& im = shape.image;
  if (!im.is_image() || im.size() != shape.d)
    fail(status,
         "cyclegan needs images (channels x height x width); these are plain rows of {} values: give the layout "
         "(--shape C,H,W, gm_data.channels/height/width)",
         shape.d);
  if (im.height % 4 != 0 || im.width % 4 != 0 || im.height < 8 || im.width < 8)
    fail(status,
         "cyclegan needs image sides that are multiples of 4 and at least 8 (two stride-2 stages, then a "
         "PatchGAN map); these images are {}x{}x{}: crop or pad them (28x28 and 32x32 work)",
         im.channels, im.height, im.width);
  Plan p;
  p.g = generator("g", cfg, im);
  p.f = generator("f", cfg, im);
  p.da = patch_discriminator("da", cfg, im);
  p.db = patch_discriminator("db", cfg, im);
  return p;
}

void init_normal_weights(nn::ParameterStore& store, const nn::Sequential& net, Rng& rng) {
  auto normal = [&](nn::ParamId id) { nn::init_normal(store.value(id), store.size(id), rng, 0.0f, 0.02f); };
  for (std::size_t i = 0; i < net.size(); ++i) {
    if (const nn::ResidualBlock* res = net.residual(i)) {
      normal(res->conv1().weight());
      normal(res->conv2().weight());
      continue;
    }
    if (const nn::SpatialMix* mix = net.mix(i)) {  // starts as the identity map
      nn::init_zeros(store.value(mix->weight()), store.size(mix->weight()));
      continue;
    }
    normal(net.weight(i));
    if (net.bias(i).valid()) nn::init_zeros(store.value(net.bias(i)), store.size(net.bias(i)));
  }
}

}  // namespace

Nets::Nets(const Config& cfg, const DataShape& shape, Status status) {
  const Plan p = make_plan(cfg, shape, status);
  for (const nn::StageSpec& s : p.g) g.add(store, s);
  for (const nn::StageSpec& s : p.f) f.add(store, s);
  for (const nn::StageSpec& s : p.da) da.add(store, s);
  for (const nn::StageSpec& s : p.db) db.add(store, s);
}

void Nets::init(Rng& rng) {
  for (const nn::Sequential* net : {&g, &f, &da, &db}) init_normal_weights(store, *net, rng);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape) {
  const Plan p = make_plan(cfg, shape, Status::corrupt_file);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto* net : {&p.g, &p.f, &p.da, &p.db})
    for (const nn::StageSpec& s : *net)
      for (auto& t : nn::stage_tensors(s)) out.push_back(std::move(t));
  return out;
}

}  // namespace gm::cyclegan
