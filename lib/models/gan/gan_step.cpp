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

// [f | c] row by row into buf, or f itself when there is no condition.
const float* head_input(const float* f, const float* c, int64_t B, int64_t F, int64_t C, float* buf) {
  if (C == 0) return f;
  for (int64_t r = 0; r < B; ++r) {
    std::memcpy(buf + r * (F + C), f + r * F, static_cast<std::size_t>(F) * sizeof(float));
    std::memcpy(buf + r * (F + C) + F, c + r * C, static_cast<std::size_t>(C) * sizeof(float));
  }
  return buf;
}

// Splits the head's input gradient (B, F + C) into df (B, F) (written or added) and dc
// (B, C) (written or added; may be null).
void split_head_grad(const float* dh, int64_t B, int64_t F, int64_t C, float* df, bool add_df, float* dc,
                     bool add_dc) {
  for (int64_t r = 0; r < B; ++r) {
    const float* row = dh + r * (F + C);
    float* f = df + r * F;
    if (add_df) {
      for (int64_t j = 0; j < F; ++j) f[j] += row[j];
    } else {
      std::memcpy(f, row, static_cast<std::size_t>(F) * sizeof(float));
    }
    if (!dc) continue;
    float* c = dc + r * C;
    for (int64_t j = 0; j < C; ++j) c[j] = add_dc ? c[j] + row[F + j] : row[F + j];
  }
}

}  // namespace

double GanModel::train_batch(const DataView& batch, Rng& rng, int64_t step) {
  require_fitted("train_batch");
  gan::Nets& nets = *nets_;
  gan::Scratch& s = *scratch_;
  using gan::Scratch;
  const int64_t B = batch.n, D = shape_.d, Z = cfg_.latent, F = nets.features();
  const int64_t CG = cfg_.g_condition_width(), CD = cfg_.d_condition_width(), CW = cfg_.code_width();
  const bool text = cfg_.condition == gan::Condition::text, info = cfg_.flavor == gan::Flavor::infogan;
  const int64_t G_IN = Z + CG, H_IN = F + CD;

  Scratch::grow(s.xs, B * D);
  Scratch::grow(s.gin, B * G_IN);
  Scratch::grow(s.dgin, B * G_IN);
  Scratch::grow(s.cond, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.cond_wrong, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.dcond, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.dcond_wrong, B * std::max<int64_t>(CD, 1));
  Scratch::grow(s.head_in, B * H_IN);
  Scratch::grow(s.dhead, B * H_IN);
  Scratch::grow(s.df_real, B * F);
  Scratch::grow(s.df_fake, B * F);
  Scratch::grow(s.dfake, B * D);
  Scratch::grow(s.logit, B);
  Scratch::grow(s.dlogit, B);
  Scratch::grow(s.codes, B * std::max<int64_t>(CW, 1));
  Scratch::grow(s.q, B * std::max<int64_t>(CW, 1));
  Scratch::grow(s.dq, B * std::max<int64_t>(CW, 1));
  Scratch::grow(s.dfq, B * F);

  // Real rows in [−1, 1]; z, codes and conditions; G's input.
  float* xs = s.xs.data();
  for (int64_t i = 0; i < B * D; ++i) xs[i] = 2.0f * batch.x[i] - 1.0f;
  float* gin = s.gin.data();
  const uint64_t key = rng.next_u64();
  float* codes = s.codes.data();
  for (int64_t r = 0; r < B; ++r) {
    Rng row(key, static_cast<uint64_t>(r));
    for (int64_t j = 0; j < Z; ++j) gin[r * G_IN + j] = static_cast<float>(row.normal());
    if (!info) continue;
    float* c = codes + r * CW;
    std::fill(c, c + CW, 0.0f);
    int64_t at = 0;
    for (int64_t k : cfg_.categorical) {
      c[at + static_cast<int64_t>(row.below(static_cast<uint64_t>(k)))] = 1.0f;
      at += k;
    }
    for (int64_t j = 0; j < cfg_.continuous; ++j) c[at + j] = 2.0f * row.uniform_f() - 1.0f;
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
      nets.d_embed->forward(batch.conditions, cond, B);
      // The wrong sentence of row r is row r+1's: an embedding is per row, so rolling the
      // embeddings rolls the sentences.
      for (int64_t r = 0; r < B; ++r)
        std::memcpy(s.cond_wrong.data() + r * CD, cond + ((r + 1) % B) * CD, static_cast<std::size_t>(CD) * sizeof(float));
      break;
    case gan::Condition::none: break;
  }
  // G's condition block: the same as D's for label and vector; its own embedding for text;
  // the codes for infogan.
  if (CG > 0) {
    Scratch::grow(s.g_cond, B * CG);
    const float* gc = info ? codes : cond;
    if (text) {
      nets.g_embed->forward(batch.conditions, s.g_cond.data(), B);
      gc = s.g_cond.data();
    }
    for (int64_t r = 0; r < B; ++r)
      std::memcpy(gin + r * G_IN + Z, gc + r * CG, static_cast<std::size_t>(CG) * sizeof(float));
  }
  const float* fake = nets.g.forward_train(gin, B, s.g);

  if (!optimisers_) {
    nn::AdamOptions o;
    o.lr = cfg_.lr;
    o.beta1 = cfg_.beta1;
    o.beta2 = cfg_.beta2;
    nn::AdamOptions od = o;
    if (cfg_.d_lr > 0) od.lr = cfg_.d_lr;
    optimisers_ = std::make_unique<GanOptimisers>(GanOptimisers{nn::Adam(nets.d_span(), od), nn::Adam(nets.g_span(), o)});
  }

  // ---- discriminator step
  const nn::ParamSpan dspan = nets.d_span();
  nets.store.zero_grad(dspan);
  float* logit = s.logit.data();
  float* dlogit = s.dlogit.data();
  float* dcond = text ? s.dcond.data() : nullptr;
  const float w_fake = text ? 1.0f - cfg_.wrong_text_weight : 1.0f;
  // real, right condition
  const float* f_real = nets.d_trunk.forward_train(xs, B, s.d_real);
  const float* h = head_input(f_real, cond, B, F, CD, s.head_in.data());
  nets.d_head->forward(h, logit, B);
  double loss_d = gan::bce_logit_const(logit, B, 1.0f, 1.0f, dlogit);
  nets.d_head->backward(h, dlogit, s.dhead.data(), B);
  split_head_grad(s.dhead.data(), B, F, CD, s.df_real.data(), false, dcond, false);
  if (text) {  // real, wrong sentence
    h = head_input(f_real, s.cond_wrong.data(), B, F, CD, s.head_in.data());
    nets.d_head->forward(h, logit, B);
    loss_d += cfg_.wrong_text_weight * gan::bce_logit_const(logit, B, 0.0f, cfg_.wrong_text_weight, dlogit);
    nets.d_head->backward(h, dlogit, s.dhead.data(), B);
    split_head_grad(s.dhead.data(), B, F, CD, s.df_real.data(), true, s.dcond_wrong.data(), false);
    for (int64_t r = 0; r < B; ++r) {  // un-roll: row r's wrong embedding was row r+1's
      const float* src = s.dcond_wrong.data() + r * CD;
      float* dst = dcond + ((r + 1) % B) * CD;
      for (int64_t j = 0; j < CD; ++j) dst[j] += src[j];
    }
  }
  nets.d_trunk.backward(xs, s.df_real.data(), nullptr, B, s.d_real);
  // fake, right condition
  const float* f_fake = nets.d_trunk.forward_train(fake, B, s.d_fake);
  h = head_input(f_fake, cond, B, F, CD, s.head_in.data());
  nets.d_head->forward(h, logit, B);
  loss_d += w_fake * gan::bce_logit_const(logit, B, 0.0f, w_fake, dlogit);
  nets.d_head->backward(h, dlogit, s.dhead.data(), B);
  split_head_grad(s.dhead.data(), B, F, CD, s.df_fake.data(), false, dcond, true);
  double loss_info = 0;
  if (info) {
    const float* q = nets.q.forward_train(f_fake, B, s.q_fake);
    loss_info = gan::info_loss(q, codes, B, cfg_.categorical.data(), static_cast<int64_t>(cfg_.categorical.size()),
                               cfg_.continuous, cfg_.info_weight, s.dq.data());
    std::copy(q, q + B * CW, s.q.data());
    nets.q.backward(f_fake, s.dq.data(), s.dfq.data(), B, s.q_fake);
    float* df = s.df_fake.data();
    const float* dfq = s.dfq.data();
    for (int64_t i = 0; i < B * F; ++i) df[i] += dfq[i];
  }
  nets.d_trunk.backward(fake, s.df_fake.data(), nullptr, B, s.d_fake);
  if (text) nets.d_embed->backward(batch.conditions, dcond, nullptr, B);
  loss_d += cfg_.info_weight * loss_info;
  gm::require_finite_step(loss_d, dspan, threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  sum_d_ += loss_d;
  rows_d_ += B;
  last_d_ = loss_d / static_cast<double>(B);
  if (step % cfg_.d_steps != 0) return loss_d;

  // ---- generator step, on the same fake images through the updated discriminator
  const nn::ParamSpan gspan = nets.g_span();
  nets.store.zero_grad(gspan);
  const float* f_gen = nets.d_trunk.forward_train(fake, B, s.d_gen);
  h = head_input(f_gen, cond, B, F, CD, s.head_in.data());
  nets.d_head->forward(h, logit, B);
  double loss_g = gan::bce_logit_const(logit, B, 1.0f, 1.0f, dlogit);
  nets.d_head->backward_data(dlogit, s.dhead.data(), B);
  split_head_grad(s.dhead.data(), B, F, CD, s.df_fake.data(), false, nullptr, false);
  if (info) {
    const float* q = nets.q.forward_train(f_gen, B, s.q_gen);
    loss_g += cfg_.info_weight * gan::info_loss(q, codes, B, cfg_.categorical.data(),
                                                static_cast<int64_t>(cfg_.categorical.size()), cfg_.continuous,
                                                cfg_.info_weight, s.dq.data());
    nets.q.backward(f_gen, s.dq.data(), s.dfq.data(), B, s.q_gen, /*weights*/ false);
    float* df = s.df_fake.data();
    const float* dfq = s.dfq.data();
    for (int64_t i = 0; i < B * F; ++i) df[i] += dfq[i];
  }
  nets.d_trunk.backward(fake, s.df_fake.data(), s.dfake.data(), B, s.d_gen, /*weights*/ false);
  nets.g.backward(gin, s.dfake.data(), text ? s.dgin.data() : nullptr, B, s.g);
  if (text) {
    float* de = s.dcond.data();  // reused: the gradient w.r.t. g.embed's output
    for (int64_t r = 0; r < B; ++r)
      std::memcpy(de + r * CG, s.dgin.data() + r * G_IN + Z, static_cast<std::size_t>(CG) * sizeof(float));
    nets.g_embed->backward(batch.conditions, de, nullptr, B);
  }
  gm::require_finite_step(loss_g, gspan, threads_, kind(), "generator", step);
  optimisers_->g.step();
  sum_g_ += loss_g;
  rows_g_ += B;
  last_g_ = loss_g / static_cast<double>(B);
  return loss_d + loss_g;
}

}  // namespace gm
