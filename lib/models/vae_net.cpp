#include "models/vae_net.hpp"

#include "core/error.hpp"

namespace gm::vae {

namespace {
constexpr int64_t kKernel = 4, kStride = 2, kPadding = 1;
}  // namespace

// ---------------------------------------------------------------- plan

std::vector<LayerPlan> plan_layers(const Config& cfg, const DataShape& shape, Status status) {
  const int64_t D = shape.d, Z = cfg.latent;
  const auto& hid = cfg.hidden;
  const auto n_hidden = static_cast<int64_t>(hid.size());
  const auto L = static_cast<int64_t>(cfg.conv_channels.size());
  std::vector<LayerPlan> plan;
  auto layer = [&](bool decoder, nn::Layer kind, std::string name, int64_t in, int64_t out, int64_t h, int64_t w,
                   bool relu) {
    nn::StageSpec s;
    s.layer = kind;
    s.name = std::move(name);
    s.in = in;
    s.out = out;
    if (kind != nn::Layer::dense) {
      s.in_h = h;
      s.in_w = w;
      s.kernel = kKernel;
      s.stride = kStride;
      s.padding = kPadding;
    }
    s.act = relu ? nn::Act::relu : nn::Act::none;
    plan.push_back({decoder, std::move(s)});
  };

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
      layer(false, nn::Layer::conv, "enc.conv" + std::to_string(i + 1), c, cfg.conv_channels[i], h, w, true);
      c = cfg.conv_channels[i];
      h /= 2;
      w /= 2;
    }
    flat = c * h * w;
  }
  int64_t width = flat;
  for (int64_t i = 0; i < n_hidden; ++i) {
    layer(false, nn::Layer::dense, "enc.fc" + std::to_string(i + 1), width, hid[i], 0, 0, true);
    width = hid[i];
  }
  layer(false, nn::Layer::dense, "enc.head", width, 2 * Z, 0, 0, false);

  width = Z;
  for (int64_t i = n_hidden - 1; i >= 0; --i) {
    layer(true, nn::Layer::dense, "dec.fc" + std::to_string(n_hidden - i), width, hid[i], 0, 0, true);
    width = hid[i];
  }
  if (!cfg.conv) {
    layer(true, nn::Layer::dense, "dec.out", width, D, 0, 0, false);
    return plan;
  }
  layer(true, nn::Layer::dense, "dec.fc" + std::to_string(n_hidden + 1), width, flat, 0, 0, true);
  for (int64_t i = 0; i < L; ++i) {
    const int64_t c_out = i + 1 < L ? cfg.conv_channels[L - 2 - i] : shape.image.channels;
    layer(true, nn::Layer::deconv, "dec.deconv" + std::to_string(i + 1), c, c_out, h, w, i + 1 < L);
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
    const nn::StageSpec& st = p.stage;
    switch (st.layer) {
      case nn::Layer::dense: weight = {st.out, st.in}; break;
      case nn::Layer::conv: weight = {st.out, st.in, st.kernel, st.kernel}; break;
      case nn::Layer::deconv: weight = {st.in, st.out, st.kernel, st.kernel}; break;
      case nn::Layer::residual:
      case nn::Layer::mix: fail(Status::internal, "vae plans no residual or mix stages ({})", st.name);
    }
    out.push_back({st.name + ".weight", weight});
    out.push_back({st.name + ".bias", {st.out}});
  }
  if (cfg.gaussian && cfg.learn_variance) out.push_back({"dec.logvar", {shape.d}});
  return out;
}

// ---------------------------------------------------------------- VaeNet

VaeNet::VaeNet(const Config& cfg, const DataShape& shape, const std::vector<LayerPlan>& plan) {
  for (const LayerPlan& p : plan) (p.decoder ? decoder : encoder).add(store, p.stage);
  if (cfg.gaussian && cfg.learn_variance) logvar = store.add("dec.logvar", {shape.d});
}

void VaeNet::init(Rng& rng) {
  encoder.init_default(rng);
  decoder.init_default(rng);
}

}  // namespace gm::vae
