// The networks of a GAN, all in one ParameterStore (registration order = file order):
//
//   g.embed   text only: Linear(condition_dim → embed), the generator's sentence embedding
//             (a learned bag of hashed word and bigram embeddings: the input is their counts)
//   g.text    text with "text_features": "subword-ids-v3" instead of g.embed: a learned
//             sentence encoder (nn/text_encoder.hpp: word-piece table, learned word weights,
//             Linear → embed); d.text likewise instead of d.embed
//   g.match   text with "text_match" > 0: the class prototypes P (classes × embed, a Linear
//             without bias) G's sentence embedding is scored against (gan_losses.hpp
//             class_match_loss); d.match likewise for D's
//   g.augment text with "text_augment" > 0: Linear(embed → 2·embed), G's sentence embedding
//             s → [μ | log σ²] of its condition c = μ + σ·ε (conditioning augmentation,
//             StackGAN; gan_losses.hpp augment_condition / augment_kl)
//   g.*       generator  [z | c] → image in [−1, 1] (tanh)
//   d.embed   text only: the discriminator's own sentence embedding
//   d.*       discriminator trunk  image → features f (F floats)
//   d.head    Linear(f → 1 logit); no bias in the conv variant, where it is exactly DCGAN's
//             last convolution (k = the final feature map's size, no padding) over f
//   d.proj    conditional only: V (F × C, no bias), the projection discriminator of Miyato &
//             Koyama 2018: logit = w·f + ⟨V c, f⟩. A condition concatenated to f before a
//             linear head would only add a per-condition constant to the logit, which cannot
//             tell a matching image from a mismatched one; the inner product can.
//   d.classify text with "image_match" > 0: Linear(f → classes), D's classifier of images
//             (gan_losses.hpp class_match_loss over its logits)
//   q.*       infogan only: Q head  f → 128 (BN, LeakyReLU) → code logits and means
//
// conv (DCGAN, Radford et al. 2016) for square C×S×S images, with n stride-2 stages where n
// is the largest such that S / 2ⁿ is a whole number ≥ 4 (28 → n = 2 from 7×7; 32 → n = 3
// from 4×4), b = S / 2ⁿ:
//   G  deconv(latent + c → ngf·2ⁿ⁻¹, k b, s 1) BN ReLU, then n − 1 times deconv(k4 s2 p1)
//      halving the channels with BN ReLU, then deconv(ngf → C, k4 s2 p1) tanh
//   D  conv(C → ndf, k4 s2 p1) LeakyReLU(0.2) (no BN at D's input), then n − 1 times
//      conv(k4 s2 p1) doubling the channels with BN LeakyReLU(0.2); f = the last map
//   convolutions carry no bias (batch norm's β or nothing follows them, as in the paper's
//   code); weights N(0, 0.02), BN γ N(1, 0.02), β 0.
// mlp: G  [z | c] → g_hidden (LeakyReLU 0.2) → D (tanh); D  x → d_hidden (LeakyReLU 0.2),
//      f = the last hidden layer; PyTorch's default initialisation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/gan/gan_config.hpp"
#include "models/generative_model.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"
#include "nn/text_encoder.hpp"

namespace gm::gan {

struct Nets {
  nn::ParameterStore store;
  std::unique_ptr<nn::Linear> g_embed, d_embed;
  std::unique_ptr<nn::TextEncoder> g_text, d_text;  // instead of g_embed, d_embed (subword-ids-v3)
  std::unique_ptr<nn::Linear> g_match, d_match;     // text_match > 0: class prototypes (classes × embed)
  std::unique_ptr<nn::Linear> g_augment;            // text_augment > 0: s → [μ | log σ²] (embed → 2·embed)
  nn::Sequential g, d_trunk, q;
  std::unique_ptr<nn::Linear> d_head, d_proj;
  std::unique_ptr<nn::Linear> d_classify;  // image_match > 0: f → class logits

  // Throws status (invalid_data at fit, corrupt_file at load) if the shape does not suit
  // the architecture.
  Nets(const Config& cfg, const DataShape& shape, Status status);
  Nets(const Nets&) = delete;
  Nets& operator=(const Nets&) = delete;

  void init(const Config& cfg, Rng& rng);
  int64_t features() const { return d_trunk.out_size(); }
  // The generator's and the discriminator's (with Q) parameters: the spans their two
  // optimisers step.
  nn::ParamSpan g_span();
  nn::ParamSpan d_span();

  // Text: the sentence embedding (B, embed) of G or D for conditions c (B, condition_dim);
  // work keeps what the backward needs. The backward adds the parameter gradients of dout.
  void sentence(bool generator, const float* c, float* out, int64_t B, nn::TextEncoderWork& work) const;
  void sentence_backward(bool generator, const float* c, const float* dout, int64_t B, nn::TextEncoderWork& work);

 private:
  nn::ParamId g_first_, g_last_, d_first_, d_last_;
};

// The tensors a configuration and data shape imply, in registration order: restore()
// checks a file against this list before it allocates anything.
std::vector<std::pair<std::string, std::vector<int64_t>>> planned_tensors(const Config& cfg, const DataShape& shape);

}  // namespace gm::gan
