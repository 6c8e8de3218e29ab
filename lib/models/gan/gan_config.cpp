#include "models/gan/gan_config.hpp"

#include <numeric>

#include "core/error.hpp"

namespace gm::gan {

namespace {
constexpr int64_t kMaxWidth = int64_t{1} << 14;
}

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

Config read_config(Flavor flavor, const Json& given, Json& effective) {
  ConfigReader r(given);
  Config c;
  c.flavor = flavor;
  const char* name = flavor_name(flavor);
  if (flavor == Flavor::cgan || flavor == Flavor::infogan) {
    const std::string arch = r.text("architecture", "conv");
    if (arch != "mlp" && arch != "conv")
      fail(Status::invalid_config, "{}: \"architecture\" must be \"mlp\" or \"conv\", got \"{}\"", name, arch);
    c.conv = arch == "conv";
  } else {
    c.conv = flavor == Flavor::dcgan;
  }
  // InfoGAN's paper used 62 noise dimensions beside the codes on MNIST; DCGAN 100.
  c.latent = r.integer("latent", flavor == Flavor::gan ? 64 : flavor == Flavor::infogan ? 62 : 100, 1, 4096);
  c.d_steps = r.integer("d_steps", 1, 1, 100);
  // InfoGAN defaults to a small noise scale: with z ~ N(0, 1) its generator and Q agree on a
  // category written into small details and the codes ignore the classes (bench/RESULTS.md,
  // "infogan": 18% matched accuracy against 57% with 0.2).
  c.noise_std = r.number("noise_std", flavor == Flavor::infogan ? 0.2 : 1.0, 1e-3, 10.0);
  c.lr = static_cast<float>(r.number("learning_rate", 2e-4, 1e-8, 1.0));
  c.d_lr = static_cast<float>(r.number("d_learning_rate", 0.0, 0.0, 1.0));
  c.beta1 = static_cast<float>(r.number("beta1", 0.5, 0.0, 0.999));
  c.beta2 = static_cast<float>(r.number("beta2", 0.999, 0.0, 0.99999));
  if (c.conv) {
    c.ngf = r.integer("ngf", 64, 1, 1024);
    c.ndf = r.integer("ndf", 64, 1, 1024);
  } else {
    c.g_hidden = r.integers("g_hidden", c.g_hidden, 1, 8, 1, kMaxWidth);
    c.d_hidden = r.integers("d_hidden", c.d_hidden, 1, 8, 1, kMaxWidth);
  }
  if (flavor == Flavor::cgan) {
    const std::string cond = r.text("condition", "label");
    if (cond == "label") {
      c.condition = Condition::label;
      c.classes = r.integer("classes", 0, 0, 100000);
    } else if (cond == "vector") {
      c.condition = Condition::vector;
      c.condition_dim = r.integer("condition_dim", 0, 0, 1 << 20);
    } else if (cond == "text") {
      c.condition = Condition::text;
      c.condition_dim = r.integer("condition_dim", 0, 0, 1 << 20);
      c.embed = r.integer("embed", 64, 1, 4096);
      c.wrong_text_weight = static_cast<float>(r.number("wrong_text_weight", 0.5, 0.0, 1.0));
    } else {
      fail(Status::invalid_config, "cgan: \"condition\" must be \"label\", \"vector\" or \"text\", got \"{}\"", cond);
    }
  }
  if (flavor == Flavor::infogan) {
    c.categorical = r.integers("categorical", {10}, 0, 8, 2, 1000);
    c.continuous = r.integer("continuous", 2, 0, 64);
    c.info_weight = static_cast<float>(r.number("info_weight", 1.0, 0.0, 100.0));
    if (c.code_width() == 0)
      fail(Status::invalid_config, "infogan needs at least one code: give \"categorical\" or \"continuous\"");
  }
  r.finish();
  effective = r.effective();
  return c;
}

}  // namespace gm::gan
