#include "models/gan/gan_nets.hpp"

#include "core/error.hpp"
#include "data/text_features.hpp"
#include "nn/init.hpp"

namespace gm::gan {

namespace {

constexpr float kSlope = 0.2f;
constexpr int64_t kQHidden = 128;

struct Plan {
  std::vector<nn::StageSpec> g, d, q;
  int64_t g_embed_in = 0, d_embed_in = 0;  // text: condition_dim
  int64_t text_slots = 0;                  // text encoder (subword-ids-v3): word slots
  int64_t match_classes = 0;               // text_match > 0: class prototypes
  int64_t classify_classes = 0;            // image_match > 0: D's class head
  int64_t head_in = 0;                     // F
  int64_t proj_in = 0;                     // the condition width D sees (0: none)
  bool head_bias = true;
};

nn::StageSpec dense(std::string name, int64_t in, int64_t out, nn::Act act, bool bn = false) {
  nn::StageSpec s;
  s.layer = nn::Layer::dense;
  s.name = std::move(name);
  s.in = in;
  s.out = out;
  s.act = act;
  s.alpha = kSlope;
  s.batch_norm = bn;
  return s;
}

nn::StageSpec conv(nn::Layer layer, std::string name, int64_t in, int64_t out, int64_t size, int64_t kernel,
                   int64_t stride, int64_t padding, bool bn, nn::Act act) {
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
  s.batch_norm = bn;
  s.act = act;
  s.alpha = kSlope;
  return s;
}

Plan make_plan(const Config& cfg, const DataShape& shape, Status status) {
  Plan p;
  const int64_t D = shape.d, gin = cfg.latent + cfg.g_condition_width();
  if (cfg.condition == Condition::text) {
    if (cfg.text_encoder()) {
      if (cfg.condition_dim % kTextSlotEntries != 0)
        fail(status,
             "cgan with \"text_features\": \"subword-ids-v3\" needs a condition width that is a multiple of {}, "
             "got {} (fit --text-dim)",
             kTextSlotEntries, cfg.condition_dim);
      p.text_slots = cfg.condition_dim / kTextSlotEntries;
    } else {
      p.g_embed_in = p.d_embed_in = cfg.condition_dim;
    }
    if (cfg.class_match()) {
      if (cfg.classes < 2)
        fail(status, "cgan with \"text_match\" > 0 needs at least two classes, got \"classes\": {}", cfg.classes);
      p.match_classes = cfg.classes;
    }
    if (cfg.image_classify()) {
      if (cfg.classes < 2)
        fail(status, "cgan with \"image_match\" > 0 needs at least two classes, got \"classes\": {}", cfg.classes);
      p.classify_classes = cfg.classes;
    }
  }
  using nn::Act;
  using nn::Layer;
  int64_t F = 0;
  if (cfg.conv) {
    const ImageShape& im = shape.image;
    if (!im.is_image() || im.size() != D || im.height != im.width)
      fail(status,
           "{} (conv) needs square images (channels x size x size); these rows of {} values are {}; use image "
           "data such as fashion-mnist, or \"architecture\": \"mlp\"",
           flavor_name(cfg.flavor), D,
           im.is_image() ? fmt::format("{}x{}x{}", im.channels, im.height, im.width) : std::string("plain vectors"));
    int64_t n = 0;
    while (im.height % (int64_t{2} << n) == 0 && im.height / (int64_t{2} << n) >= 4) ++n;
    if (n < 1)
      fail(status, "{}: the image size {} must be a multiple of 8 or of 2 x a number >= 4 (28, 32, 64, ...)",
           flavor_name(cfg.flavor), im.height);
    const int64_t base = im.height >> n, C = im.channels;
    int64_t ch = cfg.ngf << (n - 1), size = base;
    p.g.push_back(conv(Layer::deconv, "g.0", gin, ch, 1, base, 1, 0, true, Act::relu));
    for (int64_t i = 1; i < n; ++i, ch /= 2, size *= 2)
      p.g.push_back(conv(Layer::deconv, "g." + std::to_string(i), ch, ch / 2, size, 4, 2, 1, true, Act::relu));
    p.g.push_back(conv(Layer::deconv, "g." + std::to_string(n), ch, C, size, 4, 2, 1, false, Act::tanh));
    ch = cfg.ndf;
    size = im.height;
    p.d.push_back(conv(Layer::conv, "d.0", C, ch, size, 4, 2, 1, false, Act::leaky_relu));
    for (int64_t i = 1; i < n; ++i, ch *= 2) {
      size /= 2;
      p.d.push_back(conv(Layer::conv, "d." + std::to_string(i), ch, ch * 2, size, 4, 2, 1, true, Act::leaky_relu));
    }
    F = ch * base * base;
    p.head_bias = false;
  } else {
    int64_t width = gin;
    for (std::size_t i = 0; i < cfg.g_hidden.size(); ++i) {
      p.g.push_back(dense("g." + std::to_string(i), width, cfg.g_hidden[i], Act::leaky_relu));
      width = cfg.g_hidden[i];
    }
    p.g.push_back(dense("g." + std::to_string(cfg.g_hidden.size()), width, D, Act::tanh));
    width = D;
    for (std::size_t i = 0; i < cfg.d_hidden.size(); ++i) {
      p.d.push_back(dense("d." + std::to_string(i), width, cfg.d_hidden[i], Act::leaky_relu));
      width = cfg.d_hidden[i];
    }
    F = width;
  }
  p.head_in = F;
  p.proj_in = cfg.d_condition_width();
  if (cfg.flavor == Flavor::infogan) {
    p.q.push_back(dense("q.0", F, kQHidden, Act::leaky_relu, true));
    p.q.push_back(dense("q.1", kQHidden, cfg.code_width(), Act::none));
  }
  return p;
}

// The tensors a stage registers, as Sequential::add registers them (nn::stage_tensors).
void add_shapes(std::vector<std::pair<std::string, std::vector<int64_t>>>& out, const nn::StageSpec& s) {
  for (auto& t : nn::stage_tensors(s)) out.push_back(std::move(t));
}

void init_dcgan(nn::ParameterStore& store, const nn::Sequential& net, Rng& rng) {
  for (std::size_t i = 0; i < net.size(); ++i) {
    nn::init_normal(store.value(net.weight(i)), store.size(net.weight(i)), rng, 0.0f, 0.02f);
    if (const nn::BatchNorm* bn = net.batch_norm(i))
      nn::init_normal(store.value(bn->gamma()), bn->channels(), rng, 1.0f, 0.02f);
  }
}

}  // namespace

Nets::Nets(const Config& cfg, const DataShape& shape, Status status) {
  const Plan p = make_plan(cfg, shape, status);
  if (p.g_embed_in > 0) g_embed = std::make_unique<nn::Linear>(store, "g.embed", p.g_embed_in, cfg.embed);
  if (p.text_slots > 0)
    g_text = std::make_unique<nn::TextEncoder>(store, "g.text", p.text_slots, kTextSlotEntries, kTextIdBuckets,
                                               cfg.embed, cfg.embed);
  if (p.match_classes > 0) g_match = std::make_unique<nn::Linear>(store, "g.match", cfg.embed, p.match_classes, false);
  if (cfg.augment()) g_augment = std::make_unique<nn::Linear>(store, "g.augment", cfg.embed, 2 * cfg.embed);
  for (const nn::StageSpec& s : p.g) g.add(store, s);
  if (p.d_embed_in > 0) d_embed = std::make_unique<nn::Linear>(store, "d.embed", p.d_embed_in, cfg.embed);
  if (p.text_slots > 0)
    d_text = std::make_unique<nn::TextEncoder>(store, "d.text", p.text_slots, kTextSlotEntries, kTextIdBuckets,
                                               cfg.embed, cfg.embed);
  if (p.match_classes > 0) d_match = std::make_unique<nn::Linear>(store, "d.match", cfg.embed, p.match_classes, false);
  for (const nn::StageSpec& s : p.d) d_trunk.add(store, s);
  d_head = std::make_unique<nn::Linear>(store, "d.head", p.head_in, 1, p.head_bias);
  if (p.proj_in > 0) d_proj = std::make_unique<nn::Linear>(store, "d.proj", p.proj_in, p.head_in, false);
  if (p.classify_classes > 0)
    d_classify = std::make_unique<nn::Linear>(store, "d.classify", p.head_in, p.classify_classes);
  for (const nn::StageSpec& s : p.q) q.add(store, s);
  g_first_ = g_embed ? g_embed->weight() : g_text ? g_text->first() : g.first_param();
  g_last_ = g.last_param();
  d_first_ = d_embed ? d_embed->weight() : d_text ? d_text->first() : d_trunk.first_param();
  d_last_ = q.size() > 0 ? q.last_param()
            : d_classify ? d_classify->bias()
            : d_proj     ? d_proj->weight()
                         : (p.head_bias ? d_head->bias() : d_head->weight());
}

void Nets::init(const Config& cfg, Rng& rng) {
  if (g_embed) g_embed->init(rng);
  if (d_embed) d_embed->init(rng);
  if (g_text) g_text->init(rng);
  if (d_text) d_text->init(rng);
  if (g_match) g_match->init(rng);
  if (d_match) d_match->init(rng);
  if (g_augment) g_augment->init(rng);
  if (cfg.conv) {
    init_dcgan(store, g, rng);
    init_dcgan(store, d_trunk, rng);
    nn::init_normal(store.value(d_head->weight()), d_head->in(), rng, 0.0f, 0.02f);
    if (d_proj) nn::init_normal(store.value(d_proj->weight()), d_proj->in() * d_proj->out(), rng, 0.0f, 0.02f);
  } else {
    g.init_default(rng);
    d_trunk.init_default(rng);
    d_head->init(rng);
    if (d_proj) d_proj->init(rng);
  }
  q.init_default(rng);
  if (d_classify) d_classify->init(rng);  // last: the other tensors start as without it
}

void Nets::sentence(bool generator, const float* c, float* out, int64_t B, nn::TextEncoderWork& work) const {
  if (const nn::TextEncoder* t = generator ? g_text.get() : d_text.get()) return t->forward(c, out, B, work);
  (generator ? g_embed : d_embed)->forward(c, out, B);
}

void Nets::sentence_backward(bool generator, const float* c, const float* dout, int64_t B, nn::TextEncoderWork& work) {
  if (nn::TextEncoder* t = generator ? g_text.get() : d_text.get()) return t->backward(c, dout, B, work);
  (generator ? g_embed : d_embed)->backward(c, dout, nullptr, B);
}

nn::ParamSpan Nets::g_span() { return store.span(g_first_, g_last_); }
nn::ParamSpan Nets::d_span() { return store.span(d_first_, d_last_); }

std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape) {
  const Plan p = make_plan(cfg, shape, Status::corrupt_file);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  if (p.g_embed_in > 0) {
    out.push_back({"g.embed.weight", {cfg.embed, p.g_embed_in}});
    out.push_back({"g.embed.bias", {cfg.embed}});
  }
  if (p.text_slots > 0)
    for (auto& t : nn::TextEncoder::tensors("g.text", kTextIdBuckets, cfg.embed, cfg.embed)) out.push_back(t);
  if (p.match_classes > 0) out.push_back({"g.match.weight", {p.match_classes, cfg.embed}});
  if (cfg.augment()) {
    out.push_back({"g.augment.weight", {2 * cfg.embed, cfg.embed}});
    out.push_back({"g.augment.bias", {2 * cfg.embed}});
  }
  for (const nn::StageSpec& s : p.g) add_shapes(out, s);
  if (p.d_embed_in > 0) {
    out.push_back({"d.embed.weight", {cfg.embed, p.d_embed_in}});
    out.push_back({"d.embed.bias", {cfg.embed}});
  }
  if (p.text_slots > 0)
    for (auto& t : nn::TextEncoder::tensors("d.text", kTextIdBuckets, cfg.embed, cfg.embed)) out.push_back(t);
  if (p.match_classes > 0) out.push_back({"d.match.weight", {p.match_classes, cfg.embed}});
  for (const nn::StageSpec& s : p.d) add_shapes(out, s);
  out.push_back({"d.head.weight", {1, p.head_in}});
  if (p.head_bias) out.push_back({"d.head.bias", {1}});
  if (p.proj_in > 0) out.push_back({"d.proj.weight", {p.head_in, p.proj_in}});
  if (p.classify_classes > 0) {
    out.push_back({"d.classify.weight", {p.classify_classes, p.head_in}});
    out.push_back({"d.classify.bias", {p.classify_classes}});
  }
  for (const nn::StageSpec& s : p.q) add_shapes(out, s);
  return out;
}

}  // namespace gm::gan
