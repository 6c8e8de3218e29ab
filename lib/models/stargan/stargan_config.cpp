#include "models/stargan/stargan_config.hpp"

#include <set>

#include "core/error.hpp"

namespace gm::stargan {

const Schema& schema() {
  static const Schema s = [] {
    Schema out;
    auto& k = out.keys;
    k.push_back(integer_key("ngf", 32, 1, 1024, "generator width: channels of its first convolution"));
    k.push_back(integer_key("ndf", 64, 1, 1024, "discriminator width: channels of its first convolution"));
    k.push_back(integer_key("n_res", 4, 0, 32, "residual blocks in the generator's bottleneck"));
    k.push_back(integer_key("mix_groups", 0, 0, 1024,
                            "spatial mixing in the middle of the generator's residual blocks: that many learned "
                            "position-to-position matrices, each shared by 4 ngf / mix_groups channels, which can "
                            "move content across the image (rotations, mirror images); 0: none, the paper's "
                            "network (docs/gan.md)"));
    k.push_back(integer_key("d_steps", 5, 1, 100, "discriminator steps per generator step (n_critic)"));
    k.push_back(number_key("lambda_cls", 1.0, 0.0, 1000.0, "weight of the domain classification losses"));
    k.push_back(number_key("lambda_rec", 10.0, 0.0, 1000.0, "weight of the reconstruction (cycle) L1 loss"));
    k.push_back(number_key("lambda_identity", 0.0, 0.0, 1000.0,
                           "weight of an identity L1 loss: G(x, its own domain) against x (0: none, the paper's "
                           "objective; docs/gan.md)"));
    k.push_back(number_key("lambda_gp", 10.0, 0.0, 1000.0, "weight of the WGAN-GP gradient penalty"));
    k.push_back(number_key("learning_rate", 1e-4, 1e-8, 1.0, "Adam's step size (both networks)"));
    k.push_back(number_key("beta1", 0.5, 0.0, 0.999, "Adam's beta1"));
    k.push_back(number_key("beta2", 0.999, 0.0, 0.99999, "Adam's beta2"));
    k.push_back(texts_key("domain_names", 0, static_cast<std::size_t>(kMaxDomains), 1, kMaxNameBytes,
                          "the domains' names in index order, distinct, at least 2 when given (translate --to "
                          "NAME); empty: the label values"));
    k.push_back(integer_key("domains", 0, 0, kMaxDomains,
                            "number of domains (0: from the data's labels at fit; a list of \"domain_names\" "
                            "fixes it too)"));
    return out;
  }();
  return s;
}

namespace {
// Beyond the key's own checks (a list of strings of 1 to kMaxNameBytes bytes): distinct, and
// at least 2 when given.
void check_names(const std::vector<std::string>& names) {
  std::set<std::string> seen;
  for (const std::string& s : names)
    if (!seen.insert(s).second) fail(Status::invalid_config, "stargan: the domain name \"{}\" appears twice", s);
  if (names.size() == 1) fail(Status::invalid_config, "stargan: \"domain_names\" must name at least 2 domains");
}
}  // namespace

Config read_config(const Json& given, Json& effective) {
  ConfigReader r(given, schema());
  Config c;
  c.ngf = r.integer("ngf");
  c.ndf = r.integer("ndf");
  c.n_res = r.integer("n_res");
  c.d_steps = r.integer("d_steps");
  c.mix_groups = r.integer("mix_groups");
  c.lambda_cls = static_cast<float>(r.number("lambda_cls"));
  c.lambda_rec = static_cast<float>(r.number("lambda_rec"));
  c.lambda_gp = static_cast<float>(r.number("lambda_gp"));
  c.lambda_identity = static_cast<float>(r.number("lambda_identity"));
  c.lr = static_cast<float>(r.number("learning_rate"));
  c.beta1 = static_cast<float>(r.number("beta1"));
  c.beta2 = static_cast<float>(r.number("beta2"));
  c.domains = r.integer("domains");
  const std::vector<std::string> names = r.texts("domain_names");
  r.finish();
  check_names(names);
  if (c.mix_groups > 0 && (4 * c.ngf) % c.mix_groups != 0)
    fail(Status::invalid_config, "stargan: mix_groups {} must divide the bottleneck's 4 ngf = {} channels",
         c.mix_groups, 4 * c.ngf);
  if (c.domains == 1) fail(Status::invalid_config, "stargan: \"domains\" must be 0 (from the data) or at least 2");
  if (!names.empty()) {
    if (c.domains != 0 && c.domains != static_cast<int64_t>(names.size()))
      fail(Status::invalid_config, "stargan: \"domains\" is {} but \"domain_names\" names {}", c.domains, names.size());
    c.domains = static_cast<int64_t>(names.size());
  }
  c.domain_names = names;
  effective = r.effective();
  effective["domains"] = c.domains;
  return c;
}

}  // namespace gm::stargan
