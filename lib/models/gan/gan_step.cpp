// One adversarial training iteration (the maths is in gan.hpp): a discriminator step on
// every batch, a generator step on every d_steps-th.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "models/gan/gan.hpp"
#include "models/gan/gan_losses.hpp"
#include "models/gan/gan_nets.hpp"
#include "models/gan/gan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

namespace {

// D's output for features f (B, F) and condition c (B, C; null without one):
//   logit_r = w·f_r (+ b) + ⟨u_r, f_r⟩,  u = V c   (u kept in proj for the backward)
void head_forward(gan::Nets& nets, const float* f, const float* c, int64_t B, float* logit, float* proj) {
  nets.d_head->forward(f, logit, B);
  if (!c) return;
  const int64_t F = nets.features();
  nets.d_proj->forward(c, proj, B);
  for (int64_t r = 0; r < B; ++r) {
    double dot = 0;
    for (int64_t j = 0; j < F; ++j) dot += static_cast<double>(proj[r * F + j]) * f[r * F + j];
    logit[r] += static_cast<float>(dot);
  }
}

// Its backward: df (B, F) ← dlogit·w + dlogit·u (written, or added with add_df); with
// weights, dw, db, dV are added to the store's gradients; dc (B, C) receives ∂/∂c = du·V if
// not null (written). du (B, F) is scratch.
void head_backward(gan::Nets& nets, const float* f, const float* c, const float* proj, const float* dlogit, int64_t B,
                   bool weights, float* df, bool add_df, float* dc, float* du, float* tmp) {
  const int64_t F = nets.features();
  if (weights)
    nets.d_head->backward(f, dlogit, tmp, B);
  else
    nets.d_head->backward_data(dlogit, tmp, B);
  for (int64_t r = 0; r < B; ++r) {
    float* d = df + r * F;
    const float* t = tmp + r * F;
    const float* u = c ? proj + r * F : nullptr;
    for (int64_t j = 0; j < F; ++j) {
      const float g = t[j] + (u ? dlogit[r] * u[j] : 0.0f);
      d[j] = add_df ? d[j] + g : g;
    }
  }
  if (!c) return;
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < F; ++j) du[r * F + j] = dlogit[r] * f[r * F + j];
  if (weights)
    nets.d_proj->backward(c, du, dc, B);
  else if (dc)
    nets.d_proj->backward_data(du, dc, B);
}

}  // namespace

gan::Widths GanModel::widths(const DataView& batch) const {
  const int64_t CG = cfg_.g_condition_width();
  return {batch.n,
          shape_.d,
          cfg_.latent,
          nets_->features(),
          CG,
          cfg_.d_condition_width(),
          cfg_.code_width(),
          cfg_.latent + CG,
          cfg_.condition == gan::Condition::text,
          cfg_.flavor == gan::Flavor::infogan};
}

void GanModel::prepare(const DataView& batch, uint64_t key) {
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  using gan::Scratch;
  [[maybe_unused]] const auto [B, D, Z, F, CG, CD, CW, G_IN, text, info] = widths(batch);
  Scratch::grow(s.xs, B * D);
  Scratch::grow(s.gin, B * G_IN);
  Scratch::grow(s.dgin, B * G_IN);
  Scratch::grow(s.cond, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.cond_wrong, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.dcond, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.dcond_wrong, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.proj, B * F);
  Scratch::grow(s.du, B * F);
  Scratch::grow(s.df_real, B * F);
  Scratch::grow(s.df_fake, B * F);
  Scratch::grow(s.dfake, B * D);
  Scratch::grow(s.logit, B);
  Scratch::grow(s.dlogit, B);
  Scratch::grow(s.codes, B * std::max<int64_t>(CW, 1));
  Scratch::grow(s.q, B * std::max<int64_t>(CW, 1));
  Scratch::grow(s.dq, B * std::max<int64_t>(CW, 1));
  Scratch::grow(s.dfq, B * F);
  if (cfg_.image_classify()) {
    Scratch::grow(s.classify, B * cfg_.classes);
    Scratch::grow(s.dclassify, B * cfg_.classes);
    Scratch::grow(s.dfc, B * F);
  }
  if (cfg_.class_match()) {
    Scratch::grow(s.match, B * cfg_.classes);
    Scratch::grow(s.dmatch, B * cfg_.classes);
    Scratch::grow(s.dmatch_e, B * cfg_.embed);
  }
  const bool pair = cfg_.seeks_modes();
  if (pair) {
    Scratch::grow(s.gin_pair, B * G_IN);
    Scratch::grow(s.dgin_pair, B * G_IN);
    Scratch::grow(s.dfake_pair, B * D);
    Scratch::grow(s.dmode, B * D);
  }
  if (cfg_.augment()) {
    Scratch::grow(s.eps, B * cfg_.embed);
    Scratch::grow(s.aug_ml, B * 2 * cfg_.embed);
    Scratch::grow(s.aug_c, B * cfg_.embed);
    Scratch::grow(s.aug_dml, B * 2 * cfg_.embed);
    Scratch::grow(s.aug_ds, B * cfg_.embed);
  }

  // Real rows in [−1, 1]; z, codes and conditions; G's input.
  float* xs = s.xs.data();
  for (int64_t i = 0; i < B * D; ++i) xs[i] = 2.0f * batch.x[i] - 1.0f;
  float* gin = s.gin.data();
  float* codes = s.codes.data();
  for (int64_t r = 0; r < B; ++r) {
    Rng row(key, static_cast<uint64_t>(batch.first_row + r));  // a rank's block draws its rows' own streams
    for (int64_t j = 0; j < Z; ++j) gin[r * G_IN + j] = static_cast<float>(cfg_.noise_std * row.normal());
    if (cfg_.augment())  // ε of conditioning augmentation, after z (as sampling draws it)
      for (int64_t j = 0; j < cfg_.embed; ++j) s.eps.data()[r * cfg_.embed + j] = static_cast<float>(row.normal());
    if (info) {
      float* c = codes + r * CW;
      std::fill(c, c + CW, 0.0f);
      int64_t at = 0;
      for (int64_t k : cfg_.categorical) {
        c[at + static_cast<int64_t>(row.below(static_cast<uint64_t>(k)))] = 1.0f;
        at += k;
      }
      for (int64_t j = 0; j < cfg_.continuous; ++j) c[at + j] = 2.0f * row.uniform_f() - 1.0f;
    }
    if (pair)  // mode seeking's second noise, after every other draw (configs without it draw as before)
      for (int64_t j = 0; j < Z; ++j)
        s.gin_pair.data()[r * G_IN + j] = static_cast<float>(cfg_.noise_std * row.normal());
  }
  float* cond = s.cond.data();  // what D's head sees after f
  switch (cfg_.condition) {
    case gan::Condition::label:
      std::fill(cond, cond + B * CD, 0.0f);
      for (int64_t r = 0; r < B; ++r) cond[r * CD + batch.labels[r]] = 1.0f;
      break;
    case gan::Condition::vector:
      std::memcpy(cond, batch.conditions, static_cast<std::size_t>(B * CD) * sizeof(float));
      break;
    case gan::Condition::text:
      nets.sentence(false, batch.conditions, cond, B, s.d_text);
      // The wrong sentence of row r is row r+1's: an embedding is per row, so rolling the
      // embeddings rolls the sentences.
      for (int64_t r = 0; r < B; ++r)
        std::memcpy(s.cond_wrong.data() + r * CD, cond + ((r + 1) % B) * CD,
                    static_cast<std::size_t>(CD) * sizeof(float));
      break;
    case gan::Condition::none: break;
  }
  // G's condition block: the same as D's for label and vector; its own embedding for text;
  // the codes for infogan.
  if (CG > 0) {
    Scratch::grow(s.g_cond, B * CG);
    const float* gc = info ? codes : cond;
    if (text) {
      nets.sentence(true, batch.conditions, s.g_cond.data(), B, s.g_text);
      if (cfg_.text_norm) {
        Scratch::grow(s.g_norm_inv, B);
        gan::normalise_rows(s.g_cond.data(), B, CG, s.g_norm_inv.data());
      }
      gc = s.g_cond.data();
      if (cfg_.augment()) {  // c = μ + σ·ε, [μ | log σ²] = g.augment(s)
        nets.g_augment->forward(s.g_cond.data(), s.aug_ml.data(), B);
        gan::augment_condition(s.aug_ml.data(), s.eps.data(), B, CG, s.aug_c.data());
        gc = s.aug_c.data();
      }
    }
    for (int64_t r = 0; r < B; ++r) {
      std::memcpy(gin + r * G_IN + Z, gc + r * CG, static_cast<std::size_t>(CG) * sizeof(float));
      if (pair)
        std::memcpy(s.gin_pair.data() + r * G_IN + Z, gc + r * CG, static_cast<std::size_t>(CG) * sizeof(float));
    }
  }
  s.fake = nets.g.forward_train(gin, B, s.g);
}

// InfoGAN's term on D's features f of the fake batch: Q's forward, L_info against the codes
// G was given (unweighted sum), and with backward λ·∂L_info/∂f added into df_fake (Q's own
// gradients only when weights: the D step trains Q, the G step only passes through it).
double GanModel::info_term(const float* f, int64_t B, nn::SequentialWork& work, bool backward, bool weights) {
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  const float* q = nets.q.forward_train(f, B, work);
  const double loss =
      gan::info_loss(q, s.codes.data(), B, cfg_.categorical.data(), static_cast<int64_t>(cfg_.categorical.size()),
                     cfg_.continuous, cfg_.info_weight, s.dq.data());
  if (!backward) return loss;
  float* tmp = s.dfq.data();
  nets.q.backward(f, s.dq.data(), tmp, B, work, weights);
  float* df = s.df_fake.data();
  const int64_t n = B * nets.features();
  for (int64_t i = 0; i < n; ++i) df[i] += tmp[i];
  return loss;
}

double GanModel::match_term(bool generator, const DataView& batch, const float* e, float* de, bool backward) {
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  nn::Linear& prototypes = generator ? *nets.g_match : *nets.d_match;
  const int64_t B = batch.n, K = cfg_.classes, E = cfg_.embed;
  prototypes.forward(e, s.match.data(), B);
  const double loss =
      gan::class_match_loss(s.match.data(), batch.labels, B, K, cfg_.text_match, backward ? s.dmatch.data() : nullptr);
  if (backward) {
    prototypes.backward(e, s.dmatch.data(), s.dmatch_e.data(), B);
    const float* d = s.dmatch_e.data();
    for (int64_t i = 0; i < B * E; ++i) de[i] += d[i];
  }
  return cfg_.text_match * loss;
}

double GanModel::classify_term(const DataView& batch, const float* f, float* df, bool backward, bool weights) {
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  const int64_t B = batch.n, K = cfg_.classes, F = nets.features();
  nets.d_classify->forward(f, s.classify.data(), B);
  const double loss = gan::class_match_loss(s.classify.data(), batch.labels, B, K, cfg_.image_match,
                                            backward ? s.dclassify.data() : nullptr);
  if (backward) {
    float* tmp = s.dfc.data();
    if (weights)
      nets.d_classify->backward(f, s.dclassify.data(), tmp, B);
    else
      nets.d_classify->backward_data(s.dclassify.data(), tmp, B);
    for (int64_t i = 0; i < B * F; ++i) df[i] += tmp[i];
  }
  return cfg_.image_match * loss;
}

double GanModel::discriminator_pass(const DataView& batch, bool backward) {
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  using gan::Scratch;
  [[maybe_unused]] const auto [B, D, Z, F, CG, CD, CW, G_IN, text, info] = widths(batch);
  // ---- discriminator step
  nets.store.zero_grad(nets.d_span());
  const float* fake = s.fake;
  const float* xs = s.xs.data();
  float* cond = s.cond.data();
  float* logit = s.logit.data();
  float* dlogit = s.dlogit.data();
  float* proj = s.proj.data();  // u = V c of the current pass
  float* du = s.du.data();
  float* tmp = s.dfq.data();
  const float* c = CD > 0 ? cond : nullptr;
  float* dcond = text ? s.dcond.data() : nullptr;
  float* dcond_wrong = text ? s.dcond_wrong.data() : nullptr;
  const float w_fake = text ? 1.0f - cfg_.wrong_text_weight : 1.0f;
  // real, right condition
  const float* f_real = nets.d_trunk.forward_train(xs, B, s.d_real);
  head_forward(nets, f_real, c, B, logit, proj);
  double loss_d = gan::bce_logit_const(logit, B, 1.0f, 1.0f, dlogit);
  if (backward) head_backward(nets, f_real, c, proj, dlogit, B, true, s.df_real.data(), false, dcond, du, tmp);
  if (text) {  // real, wrong sentence
    const float* wrong = s.cond_wrong.data();
    head_forward(nets, f_real, wrong, B, logit, proj);
    loss_d += cfg_.wrong_text_weight * gan::bce_logit_const(logit, B, 0.0f, cfg_.wrong_text_weight, dlogit);
    if (backward)
      head_backward(nets, f_real, wrong, proj, dlogit, B, true, s.df_real.data(), true, dcond_wrong, du, tmp);
    for (int64_t r = 0; backward && r < B; ++r) {  // un-roll: row r's wrong embedding was row r+1's
      const float* src = dcond_wrong + r * CD;
      float* dst = dcond + ((r + 1) % B) * CD;
      for (int64_t j = 0; j < CD; ++j) dst[j] += src[j];
    }
  }
  if (cfg_.image_classify()) loss_d += classify_term(batch, f_real, s.df_real.data(), backward, /*weights*/ true);
  if (backward) nets.d_trunk.backward(xs, s.df_real.data(), nullptr, B, s.d_real);
  // fake, right condition
  const float* f_fake = nets.d_trunk.forward_train(fake, B, s.d_fake);
  head_forward(nets, f_fake, c, B, logit, proj);
  loss_d += w_fake * gan::bce_logit_const(logit, B, 0.0f, w_fake, dlogit);
  if (backward) head_backward(nets, f_fake, c, proj, dlogit, B, true, s.df_fake.data(), false, dcond_wrong, du, tmp);
  if (text && backward)
    for (int64_t i = 0; i < B * CD; ++i) dcond[i] += dcond_wrong[i];
  double loss_info = 0;
  if (info) loss_info = info_term(f_fake, B, s.q_fake, backward, /*weights*/ true);
  if (backward) nets.d_trunk.backward(fake, s.df_fake.data(), nullptr, B, s.d_fake);
  if (cfg_.class_match()) loss_d += match_term(false, batch, cond, dcond, backward);
  if (text && backward) nets.sentence_backward(false, batch.conditions, dcond, B, s.d_text);
  loss_d += cfg_.info_weight * loss_info;
  return loss_d;
}

double GanModel::generator_pass(const DataView& batch, bool backward) {
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  using gan::Scratch;
  [[maybe_unused]] const auto [B, D, Z, F, CG, CD, CW, G_IN, text, info] = widths(batch);
  // ---- generator step, on the same fake images through the updated discriminator. The
  // condition D sees is recomputed: for text, d.embed has just moved.
  nets.store.zero_grad(nets.g_span());
  const float* fake = s.fake;
  const float* gin = s.gin.data();
  float* cond = s.cond.data();
  float* logit = s.logit.data();
  float* dlogit = s.dlogit.data();
  float* proj = s.proj.data();
  float* du = s.du.data();
  float* tmp = s.dfq.data();
  const float* c = CD > 0 ? cond : nullptr;
  if (text) nets.sentence(false, batch.conditions, cond, B, s.d_text);
  const float* f_gen = nets.d_trunk.forward_train(fake, B, s.d_gen);
  head_forward(nets, f_gen, c, B, logit, proj);
  double loss_g = gan::bce_logit_const(logit, B, 1.0f, 1.0f, dlogit);
  if (backward) head_backward(nets, f_gen, c, proj, dlogit, B, false, s.df_fake.data(), false, nullptr, du, tmp);
  if (info) loss_g += cfg_.info_weight * info_term(f_gen, B, s.q_gen, backward, /*weights*/ false);
  if (cfg_.image_classify()) loss_g += classify_term(batch, f_gen, s.df_fake.data(), backward, /*weights*/ false);
  const bool pair = cfg_.seeks_modes();
  if (pair) {  // G(z₂, c): the mode-seeking term's second draw (gan_losses.hpp)
    const float* fake_pair = nets.g.forward_train(s.gin_pair.data(), B, s.g_pair);
    loss_g += static_cast<double>(B) * cfg_.mode_seeking *
              gan::mode_seeking_loss(fake, fake_pair, gin, s.gin_pair.data(), B, D, Z, G_IN, cfg_.mode_seeking,
                                     backward ? s.dmode.data() : nullptr, backward ? s.dfake_pair.data() : nullptr);
  }
  if (cfg_.augment() && !backward)
    loss_g +=
        cfg_.text_augment * gan::augment_kl(s.aug_ml.data(), s.eps.data(), nullptr, B, CG, cfg_.text_augment, nullptr);
  if (!backward) return cfg_.class_match() ? loss_g + match_term(true, batch, s.g_cond.data(), nullptr, false) : loss_g;
  nets.d_trunk.backward(fake, s.df_fake.data(), s.dfake.data(), B, s.d_gen, /*weights*/ false);
  if (pair) {
    const float* dm = s.dmode.data();
    float* df = s.dfake.data();
    for (int64_t i = 0; i < B * D; ++i) df[i] += dm[i];
  }
  nets.g.backward(gin, s.dfake.data(), text ? s.dgin.data() : nullptr, B, s.g);
  if (pair) nets.g.backward(s.gin_pair.data(), s.dfake_pair.data(), text ? s.dgin_pair.data() : nullptr, B, s.g_pair);
  if (text) {
    float* de = s.dcond.data();  // reused: the gradient w.r.t. g.embed's output (both draws' share)
    for (int64_t r = 0; r < B; ++r) {
      std::memcpy(de + r * CG, s.dgin.data() + r * G_IN + Z, static_cast<std::size_t>(CG) * sizeof(float));
      if (!pair) continue;
      const float* dp = s.dgin_pair.data() + r * G_IN + Z;
      for (int64_t j = 0; j < CG; ++j) de[r * CG + j] += dp[j];
    }
    if (cfg_.augment()) {  // through c = μ + σ·ε and the KL term, then g.augment: de becomes ∂/∂s
      loss_g += cfg_.text_augment *
                gan::augment_kl(s.aug_ml.data(), s.eps.data(), de, B, CG, cfg_.text_augment, s.aug_dml.data());
      nets.g_augment->backward(s.g_cond.data(), s.aug_dml.data(), s.aug_ds.data(), B);
      std::memcpy(de, s.aug_ds.data(), static_cast<std::size_t>(B * CG) * sizeof(float));
    }
    if (cfg_.class_match()) loss_g += match_term(true, batch, s.g_cond.data(), de, true);
    if (cfg_.text_norm) gan::normalise_rows_backward(s.g_cond.data(), s.g_norm_inv.data(), de, B, CG);
    nets.sentence_backward(true, batch.conditions, de, B, s.g_text);
  }
  return loss_g;
}

double GanModel::discriminator_objective(const DataView& batch, uint64_t key, bool backward) {
  require_fitted("discriminator_objective");
  prepare(batch, key);
  return discriminator_pass(batch, backward);
}

double GanModel::generator_objective(const DataView& batch, uint64_t key, bool backward) {
  require_fitted("generator_objective");
  prepare(batch, key);
  return generator_pass(batch, backward);
}

double GanModel::train_batch(const DataView& batch, Rng& rng, int64_t step) {
  require_fitted("train_batch");
  gan::Nets& nets = *nets_;
  if (!optimisers_)
    fail(Status::invalid_argument, "{}: train_batch runs inside fit, which creates the optimisers", kind());
  // A distributed fit (docs/distributed.md): this rank's block of the batch, each network's
  // gradient summed over the ranks before its step; B counts the whole batch.
  const int64_t B = parallel ? parallel->global_rows() : batch.n;
  const uint64_t key = rng.next_u64();

  const double loss_d = nn::reduce_step(parallel, nets.d_span(), [&] {
    prepare(batch, key);
    return discriminator_pass(batch, true);
  });
  nn::require_finite_step(loss_d, nets.d_span(), threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  sum_d_ += loss_d;
  rows_d_ += B;
  last_d_ = loss_d / static_cast<double>(B);
  if (step % cfg_.d_steps != 0) return loss_d;

  const double loss_g = nn::reduce_step(parallel, nets.g_span(), [&] { return generator_pass(batch, true); });
  nn::require_finite_step(loss_g, nets.g_span(), threads_, kind(), "generator", step);
  optimisers_->g.step();
  sum_g_ += loss_g;
  rows_g_ += B;
  last_g_ = loss_g / static_cast<double>(B);
  return loss_d + loss_g;
}

}  // namespace gm
