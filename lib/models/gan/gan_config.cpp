#include "models/gan/gan_config.hpp"

#include <numeric>

#include "core/error.hpp"

namespace gm::gan {

namespace {
constexpr int64_t kMaxWidth = int64_t{1} << 14;
}  // namespace

const char* flavor_name(Flavor f) {
  switch (f) {
    case Flavor::gan: return "gan";
    case Flavor::dcgan: return "dcgan";
    case Flavor::cgan: return "cgan";
    case Flavor::infogan: return "infogan";
  }
  return "gan";
}

int64_t Config::code_width() const {
  return std::accumulate(categorical.begin(), categorical.end(), int64_t{0}) + continuous;
}

int64_t Config::g_condition_width() const {
  switch (condition) {
    case Condition::label: return classes;
    case Condition::vector: return condition_dim;
    case Condition::text: return embed;
    case Condition::none: break;
  }
  return flavor == Flavor::infogan ? code_width() : 0;
}

int64_t Config::d_condition_width() const { return flavor == Flavor::infogan ? 0 : g_condition_width(); }

namespace {

// One schema per flavor: the keys every flavor shares, then the network keys of its
// architecture(s), then the flavor's own. Defaults that differ by flavor are set here.
Schema make_schema(Flavor flavor) {
  const bool both = flavor == Flavor::cgan || flavor == Flavor::infogan;  // mlp or conv
  const char* mlp_only = both ? " (only with architecture \"mlp\")" : "";
  const char* conv_only = both ? " (only with architecture \"conv\")" : "";
  Schema s;
  auto& k = s.keys;
  if (both) k.push_back(text_key("architecture", "conv", {"mlp", "conv"}, "MLP networks or DCGAN's convolutions"));
  // InfoGAN's paper used 62 noise dimensions beside the codes on MNIST; DCGAN 100.
  k.push_back(integer_key("latent",
                          flavor == Flavor::gan       ? 64
                          : flavor == Flavor::infogan ? 62
                                                      : 100,
                          1, 4096, "size of the noise z"));
  k.push_back(integer_key("d_steps", 1, 1, 100, "discriminator steps per generator step"));
  // InfoGAN defaults to a small noise scale: with z ~ N(0, 1) its generator and Q agree on a
  // category written into small details and the codes ignore the classes (bench/RESULTS.md,
  // "infogan": 18% matched accuracy against 57% with 0.2).
  k.push_back(number_key("noise_std", flavor == Flavor::infogan ? 0.2 : 1.0, 1e-3, 10.0,
                         "z ~ N(0, noise_std^2); small values make InfoGAN's codes carry the main modes"));
  k.push_back(number_key("learning_rate", 2e-4, 1e-8, 1.0, "Adam's step size"));
  k.push_back(number_key("d_learning_rate", 0.0, 0.0, 1.0,
                         "the discriminator's step size (0: learning_rate; Heusel et al.'s two time-scale rule)"));
  k.push_back(number_key("beta1", 0.5, 0.0, 0.999, "Adam's beta1"));
  k.push_back(number_key("beta2", 0.999, 0.0, 0.99999, "Adam's beta2"));
  if (flavor != Flavor::gan) {
    k.push_back(integer_key("ngf", 64, 1, 1024, std::string("generator width (DCGAN's ngf feature maps)") + conv_only));
    k.push_back(
        integer_key("ndf", 64, 1, 1024, std::string("discriminator width (DCGAN's ndf feature maps)") + conv_only));
  }
  if (flavor != Flavor::dcgan) {
    k.push_back(integers_key("g_hidden", {256, 512}, 1, 8, 1, kMaxWidth,
                             std::string("generator hidden widths, LeakyReLU 0.2") + mlp_only));
    k.push_back(integers_key("d_hidden", {512, 256}, 1, 8, 1, kMaxWidth,
                             std::string("discriminator hidden widths, LeakyReLU 0.2") + mlp_only));
  }
  if (flavor == Flavor::cgan) {
    k.push_back(text_key("condition", "label", {"label", "vector", "text"},
                         "what G and D are conditioned on: a class label, a vector, or a sentence (GAN-CLS)"));
    k.push_back(integer_key("classes", 0, 0, 100000,
                            "classes (0: from the data's labels; only with condition \"label\", or \"text\" with "
                            "text_match or image_match > 0)"));
    k.push_back(integer_key("condition_dim", 0, 0, 1 << 20,
                            "width of the condition (0: from the data; only with condition \"vector\" or \"text\")"));
    k.push_back(
        integer_key("embed", 64, 1, 4096, "width of the learned sentence embedding (only with condition \"text\")"));
    k.push_back(number_key("wrong_text_weight", 0.5, 0.0, 1.0,
                           "GAN-CLS weight of the real-image, wrong-text term (only with condition \"text\")"));
    k.push_back(text_key("text_features", "subword-v2", {"subword-v2", "subword-ids-v3", "words-v1"},
                         "how sentences become features: hashed words and character n-grams (subword-v2), "
                         "the same word pieces as ids read by a learned sentence encoder with learned word "
                         "weights (subword-ids-v3; the condition width a multiple of 32), or hashed words and "
                         "bigrams (words-v1, the models written before the key; only with condition \"text\")"));
    k.push_back(number_key("text_match", 0.0, 0.0, 100.0,
                           "weight of the sentence-class matching loss: G's and D's sentence embeddings scored "
                           "against learned class prototypes, softmax cross-entropy against the image's label "
                           "(Reed et al. 2016's joint embedding; needs labels with the data; 0: off; only with "
                           "condition \"text\")"));
    k.push_back(number_key("text_augment", 0.0, 0.0, 100.0,
                           "weight of the KL term of conditioning augmentation (StackGAN): G's condition drawn "
                           "from N(mu(s), sigma(s)^2) per sample, so samples of one sentence differ (0: off, G "
                           "takes the sentence embedding itself; only with condition \"text\")"));
    k.push_back(number_key("image_match", 0.0, 0.0, 100.0,
                           "weight of the image-class loss: a classifier head on D's image features learns the "
                           "class of real images, and G is paid when its image is classified as its sentence's "
                           "class (StarGAN's domain classification; needs labels with the data; 0: off; only "
                           "with condition \"text\")"));
    k.push_back(boolean_key("text_norm", false,
                            "layer-normalise G's sentence embedding (zero mean, unit variance over its embed "
                            "values) so its spread across sentences cannot drown the noise z (only with condition "
                            "\"text\")"));
    k.push_back(number_key("mode_seeking", 0.0, 0.0, 100.0,
                           "weight of the mode-seeking term (MSGAN): the generator is paid for making two "
                           "noise draws of one condition differ, against a generator that ignores z (0: off)"));
  }
  if (flavor == Flavor::infogan) {
    k.push_back(integers_key("categorical", {10}, 0, 8, 2, 1000, "sizes of the categorical codes"));
    k.push_back(
        integer_key("continuous", 2, 0, 64, "uniform codes in [-1, 1] (with categorical: at least one code in all)"));
    k.push_back(number_key("info_weight", 1.0, 0.0, 100.0, "lambda, the weight of the mutual-information term"));
  }
  return s;
}

}  // namespace

const Schema& schema(Flavor flavor) {
  static const Schema schemas[] = {make_schema(Flavor::gan), make_schema(Flavor::dcgan), make_schema(Flavor::cgan),
                                   make_schema(Flavor::infogan)};
  return schemas[static_cast<int>(flavor)];
}

void upgrade_saved_cgan_config(Json& config) {
  // Compared as std::string: json == "text" builds a json inside a noexcept operator, and a
  // failed allocation there would terminate the host process.
  const auto condition = config.find("condition");
  if (condition != config.end() && condition->is_string() && condition->get_ref<const std::string&>() == "text" &&
      !config.contains("text_features"))
    config["text_features"] = "words-v1";
}

Config read_config(Flavor flavor, const Json& given, Json& effective) {
  ConfigReader r(given, schema(flavor));
  Config c;
  c.flavor = flavor;
  if (flavor == Flavor::cgan || flavor == Flavor::infogan)
    c.conv = r.text("architecture") == "conv";
  else
    c.conv = flavor == Flavor::dcgan;
  c.latent = r.integer("latent");
  c.d_steps = r.integer("d_steps");
  c.noise_std = r.number("noise_std");
  c.lr = static_cast<float>(r.number("learning_rate"));
  c.d_lr = static_cast<float>(r.number("d_learning_rate"));
  c.beta1 = static_cast<float>(r.number("beta1"));
  c.beta2 = static_cast<float>(r.number("beta2"));
  if (c.conv) {
    c.ngf = r.integer("ngf");
    c.ndf = r.integer("ndf");
  } else {
    c.g_hidden = r.integers("g_hidden");
    c.d_hidden = r.integers("d_hidden");
  }
  if (flavor == Flavor::cgan) {
    const std::string cond = r.text("condition");
    if (cond == "label") {
      c.condition = Condition::label;
      c.classes = r.integer("classes");
    } else if (cond == "vector") {
      c.condition = Condition::vector;
      c.condition_dim = r.integer("condition_dim");
    } else {
      c.condition = Condition::text;
      c.condition_dim = r.integer("condition_dim");
      c.embed = r.integer("embed");
      c.wrong_text_weight = static_cast<float>(r.number("wrong_text_weight"));
      c.text_features = r.text("text_features");
      c.text_match = static_cast<float>(r.number("text_match"));
      c.image_match = static_cast<float>(r.number("image_match"));
      if (c.text_match > 0.0f || c.image_match > 0.0f) c.classes = r.integer("classes");
      c.text_augment = static_cast<float>(r.number("text_augment"));
      c.text_norm = r.boolean("text_norm");
    }
  }
  if (flavor == Flavor::cgan) c.mode_seeking = static_cast<float>(r.number("mode_seeking"));
  if (flavor == Flavor::infogan) {
    c.categorical = r.integers("categorical");
    c.continuous = r.integer("continuous");
    c.info_weight = static_cast<float>(r.number("info_weight"));
    if (c.code_width() == 0)
      fail(Status::invalid_config, "infogan needs at least one code: give \"categorical\" or \"continuous\"");
  }
  r.finish();
  effective = r.effective();
  return c;
}

}  // namespace gm::gan
