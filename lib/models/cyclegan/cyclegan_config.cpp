#include "models/cyclegan/cyclegan_config.hpp"

namespace gm::cyclegan {

namespace {
Schema make_schema() {
  Schema s;
  auto& k = s.keys;
  k.push_back(integer_key("ngf", 32, 1, 1024, "generator width: ngf, 2 ngf, 4 ngf feature maps (the paper: 64)"));
  k.push_back(integer_key("ndf", 64, 1, 1024, "PatchGAN discriminator width: ndf, 2 ndf, 4 ndf feature maps"));
  k.push_back(integer_key("n_res", 6, 0, 64, "residual blocks between the generators' down- and up-sampling"));
  k.push_back(number_key("lambda_cycle", 10.0, 0.0, 1000.0, "weight of the cycle-consistency L1 terms"));
  k.push_back(number_key("lambda_identity", 0.5, 0.0, 100.0,
                         "weight of the identity L1 terms, as a multiple of lambda_cycle (0: none)"));
  k.push_back(
      integer_key("pool_size", 50, 0, 10000, "generated images each discriminator's history buffer keeps (0: none)"));
  k.push_back(integer_key("mix_groups", 0, 0, 1024,
                          "spatial mixing in the middle of the generators' residual blocks: that many learned "
                          "position-to-position matrices, each shared by 4 ngf / mix_groups channels, which can "
                          "move content across the image (rotations, mirror images); 0: none, the paper's "
                          "network (docs/gan.md)"));
  k.push_back(number_key("learning_rate", 2e-4, 1e-8, 1.0, "Adam's step size, both optimisers"));
  k.push_back(number_key("beta1", 0.5, 0.0, 0.999, "Adam's beta1"));
  k.push_back(number_key("beta2", 0.999, 0.0, 0.99999, "Adam's beta2"));
  return s;
}
}  // namespace

const Schema& schema() {
  static const Schema s = make_schema();
  return s;
}

Config read_config(const Json& given, Json& effective) {
  ConfigReader r(given, schema());
  Config c;
  c.ngf = r.integer("ngf");
  c.ndf = r.integer("ndf");
  c.n_res = r.integer("n_res");
  c.lambda_cycle = static_cast<float>(r.number("lambda_cycle"));
  c.lambda_identity = static_cast<float>(r.number("lambda_identity"));
  c.pool_size = r.integer("pool_size");
  c.mix_groups = r.integer("mix_groups");
  c.lr = static_cast<float>(r.number("learning_rate"));
  c.beta1 = static_cast<float>(r.number("beta1"));
  c.beta2 = static_cast<float>(r.number("beta2"));
  r.finish();
  if (c.mix_groups > 0 && (4 * c.ngf) % c.mix_groups != 0)
    fail(Status::invalid_config, "cyclegan: mix_groups {} must divide the bottleneck's 4 ngf = {} channels",
         c.mix_groups, 4 * c.ngf);
  effective = r.effective();
  return c;
}

}  // namespace gm::cyclegan
