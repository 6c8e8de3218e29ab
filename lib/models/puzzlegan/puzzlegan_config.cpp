#include "models/puzzlegan/puzzlegan_config.hpp"

namespace gm::puzzlegan {

namespace {
Schema make_schema() {
  Schema s;
  auto& k = s.keys;
  k.push_back(
      integer_key("parts", 3, 1, kMaxParts, "K: key patches cut from each training image (where: key_patches)"));
  k.push_back(integer_key("patch_size", 8, 1, 4096,
                          "P: side of each key patch (at most the images' side; complete_from_parts takes patches "
                          "of exactly this size)"));
  k.push_back(text_key("key_patches", "object", {"object", "random"},
                       "where training patches are cut: on the object (at least half of each patch differs from "
                       "the border's colour; the stand-in for the paper's part detectors) or anywhere"));
  k.push_back(integer_key("nef", 32, 1, 1024, "part encoder width: nef, 2 nef feature maps"));
  k.push_back(integer_key("ngf", 32, 1, 1024, "image generator width: 4 ngf, 2 ngf, ngf feature maps"));
  k.push_back(integer_key("ndf", 32, 1, 1024, "discriminator width: ndf, 2 ndf feature maps"));
  k.push_back(integer_key("noise", 16, 0, 1024, "noise planes z ~ N(0, 1) beside the encoded parts (0: none)"));
  k.push_back(number_key("lambda_mask", 1.0, 0.0, 1000.0, "weight of the mask-prediction cross-entropy"));
  k.push_back(number_key("lambda_appearance", 10.0, 0.0, 1000.0,
                         "weight of the appearance L1: the generated image inside the patches against the patches"));
  k.push_back(number_key("lambda_rec", 100.0, 0.0, 1000.0,
                         "weight of the whole-image L1 against the image the patches came from (0: none)"));
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
  c.parts = r.integer("parts");
  c.patch_size = r.integer("patch_size");
  c.key_patches = r.text("key_patches") == "random" ? KeyPatches::random : KeyPatches::object;
  c.nef = r.integer("nef");
  c.ngf = r.integer("ngf");
  c.ndf = r.integer("ndf");
  c.noise = r.integer("noise");
  c.lambda_mask = static_cast<float>(r.number("lambda_mask"));
  c.lambda_appearance = static_cast<float>(r.number("lambda_appearance"));
  c.lambda_rec = static_cast<float>(r.number("lambda_rec"));
  c.lr = static_cast<float>(r.number("learning_rate"));
  c.beta1 = static_cast<float>(r.number("beta1"));
  c.beta2 = static_cast<float>(r.number("beta2"));
  r.finish();
  effective = r.effective();
  return c;
}

}  // namespace gm::puzzlegan
