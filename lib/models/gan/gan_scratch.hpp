// Training buffers of a GAN, sized on the first batch (Buffers only grow). Internal to
// lib/models/gan.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/buffer.hpp"
#include "nn/optim.hpp"
#include "nn/sequential.hpp"
#include "nn/text_encoder.hpp"

namespace gm {

// The two optimisers of one fit, made on its first batch (the spans are final by then).
struct GanOptimisers {
  nn::Adam d, g;
};

namespace gan {

// The widths of one training iteration: batch rows B, row width D, noise Z, D's features F,
// G's and D's condition widths CG and CD, InfoGAN's code width CW, G's input Z + CG; and
// whether the condition is a sentence (text) and the model an InfoGAN (info).
struct Widths {
  int64_t B, D, Z, F, CG, CD, CW, G_IN;
  bool text, info;
};

struct Scratch {
  // Network activations: the generator, D on real / fake (D step) / fake again (G step), Q.
  nn::SequentialWork g, d_real, d_fake, d_gen, q_fake, q_gen;
  nn::Buffer xs;                        // real rows scaled to [−1, 1]
  nn::Buffer z, codes;                  // noise (B, latent); infogan codes (B, code width)
  nn::Buffer gin, dgin;                 // G's input [z | c] and its gradient (text)
  nn::Buffer cond;                      // cgan: the condition D sees (one-hot or vector); text: d.embed out
  nn::Buffer cond_wrong;                // text: the rolled sentences' embeddings
  nn::Buffer proj, du;                  // u = V c of the current head pass, and ∂/∂u
  nn::Buffer df_real, df_fake, dfake;   // gradients w.r.t. D's features and G's output
  nn::Buffer dcond, dcond_wrong;        // text: gradient w.r.t. d.embed's outputs
  nn::Buffer g_cond;                    // text: g.embed's output
  nn::TextEncoderWork g_text, d_text;   // text encoders (subword-ids-v3): what their backward needs
  nn::Buffer match, dmatch, dmatch_e;   // text_match: prototype scores (B, classes), their gradient, ∂/∂embedding
  nn::Buffer classify, dclassify, dfc;  // image_match: D's class logits (B, classes), ∂/∂ them, ∂/∂f
  nn::Buffer g_norm_inv;                // text_norm: 1 / std of each row of G's sentence embedding
  nn::Buffer eps, aug_ml, aug_c;        // text_augment: ε (B, embed), [μ | log σ²] (B, 2·embed), c = μ + σ·ε
  nn::Buffer aug_dml, aug_ds;           // text_augment: ∂/∂[μ | log σ²], ∂/∂s through g.augment
  nn::Buffer logit, dlogit, q, dq, dfq;
  // mode_seeking: G's second pass on [z₂ | the same condition], its input, gradients and the
  // term's gradient w.r.t. the first pass's images.
  nn::SequentialWork g_pair;
  nn::Buffer gin_pair, dgin_pair, dfake_pair, dmode;
  const float* fake = nullptr;  // G's output of the current iteration (in g's work)

  static void grow(nn::Buffer& b, int64_t n) {
    if (b.size() < n) b.resize(n);
  }
};

}  // namespace gan
}  // namespace gm
