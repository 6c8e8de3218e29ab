#include "models/registry.hpp"

#include "core/error.hpp"
#include "models/bernoulli.hpp"
#include "models/categorical.hpp"
#include "models/cyclegan/cyclegan.hpp"
#include "models/fvsbn.hpp"
#include "models/gan/gan.hpp"
#include "models/markov.hpp"
#include "models/nade.hpp"
#include "models/pixelcnn.hpp"
#include "models/progan/progan.hpp"
#include "models/puzzlegan/puzzlegan.hpp"
#include "models/stargan/stargan.hpp"
#include "models/vae.hpp"

namespace gm {

namespace {
template <typename Model>
std::unique_ptr<GenerativeModel> make(const Json& config) {
  return std::make_unique<Model>(config);
}
template <gan::Flavor flavor>
std::unique_ptr<GenerativeModel> make_gan(const Json& config) {
  return std::make_unique<GanModel>(flavor, config);
}
template <gan::Flavor flavor>
const Schema& gan_schema() {
  return gan::schema(flavor);
}
}  // namespace

const std::vector<KindInfo>& all_kinds() {
  static const std::vector<KindInfo> kinds = {
      {BernoulliModel::kind_name, BernoulliModel::capability_bits,
       "independent Bernoulli pixels; closed-form smoothed maximum likelihood", &BernoulliModel::config_schema,
       make<BernoulliModel>},
      {CategoricalModel::kind_name, CategoricalModel::capability_bits,
       "independent pixels of M levels (gm_data.levels, --levels M); closed-form smoothed maximum likelihood",
       &CategoricalModel::config_schema, make<CategoricalModel>},
      {MarkovModel::kind_name, MarkovModel::capability_bits,
       "order-k Markov chain along the raster ordering; smoothed counts", &MarkovModel::config_schema,
       make<MarkovModel>},
      {FvsbnModel::kind_name, FvsbnModel::capability_bits,
       "fully-visible sigmoid belief network: logistic p(x_i | x_<i), maximum likelihood with Adam",
       &FvsbnModel::config_schema, make<FvsbnModel>, &FvsbnModel::upgrade_saved_config},
      {NadeModel::kind_name, NadeModel::capability_bits,
       "neural autoregressive distribution estimator: tied weights, H sigmoid hidden units, exact "
       "log_prob in O(H*D); maximum likelihood with Adam; encode = hidden units sigmoid(c + W x)",
       &NadeModel::config_schema, make<NadeModel>},
      {PixelCnnModel::kind_name, PixelCnnModel::capability_bits,
       "Gated PixelCNN (van den Oord et al. 2016): vertical and horizontal stacks of gated residual layers, no "
       "blind spot, an M-way softmax per channel per pixel, optional class labels; exact log_prob; maximum "
       "likelihood with Adam",
       &PixelCnnModel::config_schema, make<PixelCnnModel>},
      {VaeModel::kind_name, VaeModel::capability_bits,
       "variational autoencoder: MLP or conv encoder/decoder, Bernoulli or Gaussian decoder; fit maximises "
       "the ELBO with Adam; log_prob = importance-weighted bound with k samples (k = 1: the ELBO); encode = "
       "posterior mean and log-variance",
       &VaeModel::config_schema, make<VaeModel>},
      {gan::flavor_name(gan::Flavor::gan), GanModel::capability_bits(gan::Flavor::gan),
       "generative adversarial network with MLP generator and discriminator, non-saturating loss, Adam; no "
       "likelihood: judge it with `genmodels eval`",
       gan_schema<gan::Flavor::gan>, make_gan<gan::Flavor::gan>},
      {gan::flavor_name(gan::Flavor::dcgan), GanModel::capability_bits(gan::Flavor::dcgan),
       "deep convolutional GAN (Radford et al. 2016): transposed convolutions in G, strided convolutions in D, "
       "batch norm, Adam lr 2e-4 beta1 0.5",
       gan_schema<gan::Flavor::dcgan>, make_gan<gan::Flavor::dcgan>},
      {gan::flavor_name(gan::Flavor::cgan), GanModel::capability_bits(gan::Flavor::cgan),
       "conditional GAN on a class label, a condition vector or a sentence (GAN-CLS matching-aware "
       "discriminator); MLP or DCGAN networks",
       gan_schema<gan::Flavor::cgan>, make_gan<gan::Flavor::cgan>, gan::upgrade_saved_cgan_config},
      {gan::flavor_name(gan::Flavor::infogan), GanModel::capability_bits(gan::Flavor::infogan),
       "InfoGAN (Chen et al. 2016): categorical and continuous codes, a Q head on D's trunk, mutual-information "
       "term; encode = the codes Q infers; MLP or DCGAN networks",
       gan_schema<gan::Flavor::infogan>, make_gan<gan::Flavor::infogan>},
      {CycleGanModel::kind_name, CycleGanModel::capability_bits,
       "CycleGAN (Zhu et al. 2017): unpaired translation between two image domains (labels 0 = a, 1 = b) with "
       "residual generators G: a->b and F: b->a, PatchGAN discriminators, least-squares adversarial, cycle and "
       "identity L1 losses, history buffers; translate to \"b\" runs G, to \"a\" runs F",
       &CycleGanModel::config_schema, make<CycleGanModel>},
      {StarGanModel::kind_name, StarGanModel::capability_bits,
       "StarGAN (Choi et al. 2018): one generator translates an image to any of K domains (the fit data's labels; "
       "optional \"domain_names\": a list of K names), conditioned by tiled one-hot domain planes; a patch "
       "discriminator with a domain classifier head; WGAN-GP, classification and reconstruction losses, Adam",
       &StarGanModel::config_schema, make<StarGanModel>},
      {ProGanModel::kind_name, ProGanModel::capability_bits,
       "Progressive GAN (Karras et al. 2018): G and D grow together from a low resolution to the data's (28x28: "
       "7, 14, 28; 32x32: 4 ... 32), each new block faded in over fade_images; pixel norm, minibatch stddev, "
       "equalised learning rate, WGAN-GP with drift; sample at any stage reached (--stage K)",
       &ProGanModel::config_schema, make<ProGanModel>},
      {PuzzleGanModel::kind_name, PuzzleGanModel::capability_bits,
       "Puzzle-GAN (Lee et al. 2018): a whole image from K key patches at their positions; a shared part "
       "encoder, a mask generator and an image generator with noise; least-squares adversarial, mask-prediction, "
       "appearance L1 and reconstruction L1 losses; fit cuts K random patches from each image; "
       "complete_from_parts (`genmodels complete MODEL --patches K`)",
       &PuzzleGanModel::config_schema, make<PuzzleGanModel>},
  };
  return kinds;
}

const KindInfo& find_kind(const std::string& name) {
  std::string known;
  for (const KindInfo& k : all_kinds()) {
    if (name == k.name) return k;
    known += (known.empty() ? "" : ", ") + std::string(k.name);
  }
  fail(Status::unknown_kind, "unknown model kind \"{}\" (known kinds: {})", name, known);
}

std::unique_ptr<GenerativeModel> create_model(const std::string& kind, const Json& config) {
  return find_kind(kind).create(config);
}

Json upgrade_saved_config(const std::string& kind, Json config) {
  const KindInfo& info = find_kind(kind);
  if (info.upgrade_saved_config) info.upgrade_saved_config(config);
  return config;
}

std::unique_ptr<GenerativeModel> create_blank_model(const char* kind, const Json& config) {
  return create_model(kind, config);
}

std::string describe(const KindInfo& kind) {
  return std::string(kind.description) + " (config: " + kind.schema().names() + ")";
}

Json kinds_json(uint32_t capability_mask) {
  Json list = Json::array();
  for (const KindInfo& k : all_kinds())
    list.push_back({{"kind", k.name},
                    {"capabilities", capability_names(k.capabilities & capability_mask)},
                    {"description", describe(k)},
                    {"config", k.schema().to_json()}});
  return list;
}

std::vector<std::string> capability_names(uint32_t caps) {
  static const char* const names[] = {"fit",         "sample",         "log_prob",  "encode",
                                      "decode",      "complete",       "translate", "conditional",
                                      "binary_data", "exact_log_prob", "levels",    "complete_from_parts"};
  std::vector<std::string> out;
  for (uint32_t bit = 0; bit < sizeof(names) / sizeof(names[0]); ++bit)
    if (caps & (1u << bit)) out.emplace_back(names[bit]);
  return out;
}

}  // namespace gm
