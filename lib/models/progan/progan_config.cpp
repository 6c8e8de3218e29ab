#include "models/progan/progan_config.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace gm::progan {

int64_t Config::width(int64_t k) const {
  return std::max<int64_t>(1, std::min(fmap_base >> std::min<int64_t>(k, 62), fmap_max));
}

const Schema& schema() {
  static const Schema s = [] {
    Schema out;
    auto& k = out.keys;
    k.push_back(integer_key("latent", 64, 1, 4096, "width of the noise z (pixel-normalised before G's first layer)"));
    k.push_back(integer_key("fmap_base", 128, 1, 1 << 16,
                            "feature maps of stage k (0 = the lowest resolution): min(fmap_base >> k, fmap_max)"));
    k.push_back(integer_key("fmap_max", 64, 1, 1024, "the most feature maps any stage has"));
    k.push_back(integer_key("fade_images", 60000, 1, int64_t{1} << 40,
                            "real images over which each new stage fades in (alpha 0 -> 1)"));
    k.push_back(integer_key("stable_images", 60000, 1, int64_t{1} << 40,
                            "real images of each stage's stabilising phase (the first stage: its only phase)"));
    k.push_back(
        integer_key("mbstd_group", 4, 1, 64, "group size of the minibatch standard deviation in D's last block"));
    k.push_back(number_key("lambda_gp", 10.0, 0.0, 1000.0, "weight of the WGAN-GP gradient penalty"));
    k.push_back(integer_key("gp_every", 1, 1, 1024,
                            "lazy regularisation: the gradient penalty on every k-th D step only, weighted "
                            "lambda_gp * k there (1 = every step)"));
    k.push_back(number_key("drift", 0.001, 0.0, 1.0, "epsilon_drift: weight of mean D(x)^2 on real images"));
    k.push_back(number_key("learning_rate", 1e-3, 1e-8, 1.0, "Adam's step size (both networks)"));
    k.push_back(number_key("beta1", 0.0, 0.0, 0.999, "Adam's beta1"));
    k.push_back(number_key("beta2", 0.99, 0.0, 0.99999, "Adam's beta2"));
    return out;
  }();
  return s;
}

Config read_config(const Json& given, Json& effective) {
  ConfigReader r(given, schema());
  Config c;
  c.latent = r.integer("latent");
  c.fmap_base = r.integer("fmap_base");
  c.fmap_max = r.integer("fmap_max");
  c.fade_images = r.integer("fade_images");
  c.stable_images = r.integer("stable_images");
  c.mbstd_group = r.integer("mbstd_group");
  c.lambda_gp = static_cast<float>(r.number("lambda_gp"));
  c.drift = static_cast<float>(r.number("drift"));
  c.gp_every = r.integer("gp_every");
  c.lr = static_cast<float>(r.number("learning_rate"));
  c.beta1 = static_cast<float>(r.number("beta1"));
  c.beta2 = static_cast<float>(r.number("beta2"));
  r.finish();
  effective = r.effective();
  return c;
}

}  // namespace gm::progan
