// The GAN family's configuration: one struct for gan, dcgan, cgan and infogan, each kind
// with its own defaults and its own set of keys (a key of another kind is invalid_config).
//
// The keys, their defaults and ranges: make_schema in gan_config.cpp (`genmodels kinds`
// lists them); read_config holds the rules between keys (architecture picks ngf/ndf or
// g_hidden/d_hidden, cgan's condition picks classes, condition_dim or the text keys).
// Data: values in [0, 1] (scaled to [−1, 1] inside; samples come back in [0, 1]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace gm::gan {

enum class Flavor { gan, dcgan, cgan, infogan };
enum class Condition { none, label, vector, text };

struct Config {
  Flavor flavor = Flavor::gan;
  bool conv = false;
  int64_t latent = 64;
  int64_t d_steps = 1;
  double noise_std = 1.0;
  float lr = 2e-4f, d_lr = 0.0f, beta1 = 0.5f, beta2 = 0.999f;
  std::vector<int64_t> g_hidden{256, 512}, d_hidden{512, 256};
  int64_t ngf = 64, ndf = 64;
  // cgan
  Condition condition = Condition::none;
  int64_t classes = 0;        // label: 0 until fit reads the data
  int64_t condition_dim = 0;  // vector / text: the input width; 0 until fit
  int64_t embed = 64;         // text
  float wrong_text_weight = 0.5f;
  // text: the sentence features the model was fitted on (data/text_features.hpp):
  // "subword-v2" for new models, "words-v1" for files written before the key existed.
  std::string text_features = "subword-v2";
  // "subword-ids-v3": G and D learn sentence encoders (nn/text_encoder.hpp) over word-piece
  // ids instead of linear embeddings of hashed counts.
  bool text_encoder() const { return condition == Condition::text && text_features == "subword-ids-v3"; }
  // text: λ of the sentence–class matching loss (Reed et al. 2016's structured joint
  // embedding with one prototype per class): G's and D's sentence embeddings s are scored
  // against learned class prototypes P (classes × embed), λ · softmax cross-entropy of P s
  // against the class of the training image. 0 (files without the key): no prototypes.
  // classes is then the number of classes (0 until fit reads the data's labels).
  float text_match = 0.0f;
  bool class_match() const { return condition == Condition::text && text_match > 0.0f; }
  // text: λ of the image–class loss (StarGAN's domain classification, AC-GAN's auxiliary
  // classifier): a linear head d.classify (F → classes) on D's image features learns the class
  // of real images, λ · its softmax cross-entropy against the label in D's loss; G's loss has
  // λ · the same cross-entropy of its image against its sentence's class (the head held). So
  // G is paid for an image of the class meant, whatever z is. 0 (files without the key): no
  // head. Needs labels, like text_match.
  float image_match = 0.0f;
  bool image_classify() const { return condition == Condition::text && image_match > 0.0f; }
  bool needs_classes() const { return class_match() || image_classify(); }
  // text: λ_KL of conditioning augmentation (StackGAN, Zhang et al. 2017): g.augment maps G's
  // sentence embedding s to [μ | log σ²] (2·embed), G's condition is c = μ + σ·ε with
  // ε ~ N(0, I) per sample (part of the model's latent: [z | ε]), and λ_KL · KL(N(μ, σ²) ‖
  // N(0, I)) joins G's loss. 0 (files without the key): G takes s itself, as before.
  float text_augment = 0.0f;
  bool augment() const { return condition == Condition::text && text_augment > 0.0f; }
  // text: G's sentence embedding s is layer-normalised, ŝ = (s − mean s) / std s over its
  // embed values (no learned scale), before G, the matching loss and conditioning
  // augmentation see it — so the embedding's spread across sentences cannot swamp z in G's
  // first batch norm (docs/gan.md). false (files without the key): s as the encoder gives it.
  bool text_norm = false;
  // cgan: λ of the mode-seeking term (MSGAN, Mao et al. 2019): each generator step also draws
  // G(z₂, c) for the batch's conditions c and adds λ / (L + 1e-5) to G's loss, with
  //   L = mean |G(z₁, c) − G(z₂, c)| / mean |z₁ − z₂|
  // (means over the batch), so a generator that ignores z pays for it. Training only: no
  // parameters; 0 (files without the key): no second draw.
  float mode_seeking = 0.0f;
  bool seeks_modes() const { return mode_seeking > 0.0f; }
  // infogan
  std::vector<int64_t> categorical;
  int64_t continuous = 0;
  float info_weight = 1.0f;

  // Width of what G takes besides z: one-hot label, condition vector, text embedding or codes.
  int64_t g_condition_width() const;
  // Width of the condition D's head sees (0 for gan, dcgan, infogan).
  int64_t d_condition_width() const;
  int64_t code_width() const;  // infogan: Σ categorical + continuous
  bool conditional() const { return condition != Condition::none; }
};

// Reads and validates; effective receives the configuration with defaults filled in.
Config read_config(Flavor flavor, const Json& given, Json& effective);
// The configuration keys of a flavor (registry.cpp lists them with the kind).
const Schema& schema(Flavor flavor);
const char* flavor_name(Flavor f);
// A text cgan written before "text_features" existed was fitted on words-v1 features
// (data/text_features.hpp); a new one defaults to subword-v2, so the file keeps its own
// (registry.hpp, KindInfo::upgrade_saved_config).
void upgrade_saved_cgan_config(Json& config);

}  // namespace gm::gan
