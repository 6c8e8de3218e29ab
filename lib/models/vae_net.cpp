#include "models/vae_net.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace gm::vae {

namespace {
constexpr int64_t kKernel = 4, kStride = 2, kPadding = 1;

void grow(nn::Buffer& b, int64_t n) {
  if (b.size() < n) b.resize(n);
}
}  // namespace

// ---------------------------------------------------------------- Network

void Network::add(nn::ParameterStore& store, const LayerPlan& p) {
  Stage s;
  s.kind = p.kind;
  s.relu = p.relu;
  s.h = p.h;
  s.w = p.w;
  if (p.kind == Stage::dense) {
    s.linear = std::make_unique<nn::Linear>(store, p.name, p.in, p.out);
    s.in = p.in;
    s.out = p.out;
  } else {
    const nn::ConvSpec spec{p.in, p.out, kKernel, kStride, kPadding, true};
    if (p.kind == Stage::deconv)
      s.conv2d = std::make_unique<nn::ConvTranspose2d>(store, p.name, spec);
    else
      s.conv2d = std::make_unique<nn::Conv2d>(store, p.name, spec);
    s.in = p.in * p.h * p.w;
    s.out = p.out * s.conv2d->out_size(p.h) * s.conv2d->out_size(p.w);
  }
  stages_.push_back(std::move(s));
}

void Network::init(Rng& rng) {
  for (Stage& s : stages_) {
    if (s.linear)
      s.linear->init(rng);
    else
      s.conv2d->init(rng);
  }
}

void Network::reserve(NetWork& work, int64_t B) const {
  work.acts.resize(stages_.size());
  int64_t widest = 0;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    grow(work.acts[i], B * stages_[i].out);
    widest = std::max({widest, stages_[i].in, stages_[i].out});
  }
  grow(work.grad_a, B * widest);
  grow(work.grad_b, B * widest);
}

const float* Network::forward(const float* x, int64_t B, NetWork& work) const {
  reserve(work, B);
  const float* in = x;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = stages_[i];
    float* y = work.acts[i].data();
    if (s.kind == Stage::dense)
      s.linear->forward(in, y, B);
    else
      s.conv2d->forward(in, y, B, s.h, s.w);
    if (s.relu) nn::relu_inplace(y, B * s.out);
    in = y;
  }
  return in;
}

void Network::backward(const float* x, float* dy, float* dx, int64_t B, NetWork& work) {
  float* g = dy;
  for (std::size_t i = stages_.size(); i-- > 0;) {
    Stage& s = stages_[i];
    if (s.relu) nn::relu_backward_inplace(work.acts[i].data(), g, B * s.out);
    const float* in = i == 0 ? x : work.acts[i - 1].data();
    float* next = i == 0 ? dx : (g == work.grad_a.data() ? work.grad_b.data() : work.grad_a.data());
    if (s.kind == Stage::dense)
      s.linear->backward(in, g, next, B);
    else
      s.conv2d->backward(in, g, next, B, s.h, s.w);
    g = next;
  }
}

// ---------------------------------------------------------------- plan

std::vector<LayerPlan> plan_layers(const Config& cfg, const DataShape& shape, Status status) {
  const int64_t D = shape.d, Z = cfg.latent;
  const auto& hid = cfg.hidden;
  const auto n_hidden = static_cast<int64_t>(hid.size());
  const auto L = static_cast<int64_t>(cfg.conv_channels.size());
  std::vector<LayerPlan> plan;
  auto layer = [&](bool decoder, Stage::Kind kind, std::string name, int64_t in, int64_t out, int64_t h,
                   int64_t w, bool relu) { plan.push_back({decoder, kind, std::move(name), in, out, h, w, relu}); };

  int64_t flat = D, c = 0, h = 0, w = 0;  // the MLP's input width; the conv output (c, h, w)
  if (cfg.conv) {
    const ImageShape& im = shape.image;
    if (!im.is_image() || im.size() != D)
      fail(status,
           "vae with \"architecture\": \"conv\" needs image rows (channels x height x width), but these "
           "rows of {} values carry no image shape; use image data (e.g. fashion-mnist, an image folder) or "
           "\"mlp\"",
           D);
    const int64_t f = int64_t{1} << L;
    if (im.height % f != 0 || im.width % f != 0)
      fail(status,
           "vae conv: {} stride-2 convolutions need the image height and width to be multiples of {}, got "
           "{}x{}; use fewer conv_channels or \"mlp\"",
           L, f, im.height, im.width);
    c = im.channels;
    h = im.height;
    w = im.width;
    for (int64_t i = 0; i < L; ++i) {
      layer(false, Stage::conv, "enc.conv" + std::to_string(i + 1), c, cfg.conv_channels[i], h, w, true);
      c = cfg.conv_channels[i];
      h /= 2;
      w /= 2;
    }
    flat = c * h * w;
  }
  int64_t width = flat;
  for (int64_t i = 0; i < n_hidden; ++i) {
    layer(false, Stage::dense, "enc.fc" + std::to_string(i + 1), width, hid[i], 0, 0, true);
    width = hid[i];
  }
  layer(false, Stage::dense, "enc.head", width, 2 * Z, 0, 0, false);

  width = Z;
  for (int64_t i = n_hidden - 1; i >= 0; --i) {
    layer(true, Stage::dense, "dec.fc" + std::to_string(n_hidden - i), width, hid[i], 0, 0, true);
    width = hid[i];
  }
  if (!cfg.conv) {
    layer(true, Stage::dense, "dec.out", width, D, 0, 0, false);
    return plan;
  }
  layer(true, Stage::dense, "dec.fc" + std::to_string(n_hidden + 1), width, flat, 0, 0, true);
  for (int64_t i = 0; i < L; ++i) {
    const int64_t c_out = i + 1 < L ? cfg.conv_channels[L - 2 - i] : shape.image.channels;
    layer(true, Stage::deconv, "dec.deconv" + std::to_string(i + 1), c, c_out, h, w, i + 1 < L);
    c = c_out;
    h *= 2;
    w *= 2;
  }
  return plan;
}

std::vector<TensorShape> plan_tensors(const Config& cfg, const DataShape& shape, const std::vector<LayerPlan>& plan) {
  std::vector<TensorShape> out;
  for (const LayerPlan& p : plan) {
    std::vector<int64_t> weight;
    switch (p.kind) {
      case Stage::dense: weight = {p.out, p.in}; break;
      case Stage::conv: weight = {p.out, p.in, kKernel, kKernel}; break;
      case Stage::deconv: weight = {p.in, p.out, kKernel, kKernel}; break;
    }
    out.push_back({p.name + ".weight", weight});
    out.push_back({p.name + ".bias", {p.out}});
  }
  if (cfg.gaussian && cfg.learn_variance) out.push_back({"dec.logvar", {shape.d}});
  return out;
}

// ---------------------------------------------------------------- VaeNet

VaeNet::VaeNet(const Config& cfg, const DataShape& shape, const std::vector<LayerPlan>& plan) {
  for (const LayerPlan& p : plan) (p.decoder ? decoder : encoder).add(store, p);
  if (cfg.gaussian && cfg.learn_variance) logvar = store.add("dec.logvar", {shape.d});
}

void VaeNet::init(Rng& rng) {
  encoder.init(rng);
  decoder.init(rng);
}

}  // namespace gm::vae
