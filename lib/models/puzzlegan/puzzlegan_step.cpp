// One Puzzle-GAN training iteration (the maths is in puzzlegan.hpp): parts cut and encoded,
// x̃ = G(h, z); a discriminator step, then a generator step through E, M and G.
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "models/gan/gan_losses.hpp"
#include "models/puzzlegan/puzzlegan.hpp"
#include "models/puzzlegan/puzzlegan_nets.hpp"
#include "models/puzzlegan/puzzlegan_parts.hpp"
#include "models/puzzlegan/puzzlegan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

using puzzlegan::Scratch;

void PuzzleGanModel::prepare(const DataView& batch, uint64_t key) {
  puzzlegan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t B = batch.n, K = cfg_.parts, C = nets.C, S = nets.S, P = nets.P, D = nets.pixels();
  const int64_t code = nets.code(), patch = C * P * P;
  Scratch::grow(s.xs, B * D);
  Scratch::grow(s.patches, B * K * patch);
  Scratch::grow(s.canvases, B * K * nets.canvas());
  Scratch::grow(s.mask, B * S * S);
  Scratch::grow(s.h, B * code);
  Scratch::grow(s.z, B * nets.N);
  Scratch::grow(s.gin, B * nets.g_in());
  Scratch::grow(s.dscore, B * nets.scores());
  Scratch::grow(s.dfake, B * D);
  Scratch::grow(s.drec, B * D);
  Scratch::grow(s.dgin, B * nets.g_in());
  Scratch::grow(s.dlogits, B * S * S);
  Scratch::grow(s.dh, B * code);
  Scratch::grow(s.dhm, B * code);
  Scratch::grow(s.dparts, B * K * code);
  s.positions.resize(static_cast<std::size_t>(2 * B * K));

  float* xs = s.xs.data();
  for (int64_t i = 0; i < B * D; ++i) xs[i] = 2.0f * batch.x[i] - 1.0f;
  for (int64_t b = 0; b < B; ++b) {
    Rng row(key, static_cast<uint64_t>(batch.first_row + b));  // a rank's block: its rows' own streams
    int64_t* pos = s.positions.data() + 2 * b * K;
    if (cfg_.key_patches == puzzlegan::KeyPatches::object)
      puzzlegan::object_positions(row, batch.x + b * D, C, S, P, K, pos, s.key_work);
    else
      puzzlegan::random_positions(row, S, P, K, pos);
    for (int64_t i = 0; i < nets.N; ++i) s.z[b * nets.N + i] = static_cast<float>(row.normal());
    for (int64_t j = 0; j < K; ++j) {
      float* p = s.patches.data() + (b * K + j) * patch;
      puzzlegan::cut_patch(xs + b * D, C, S, P, pos[2 * j], pos[2 * j + 1], p);
      puzzlegan::place_on_canvas(p, C, S, P, pos[2 * j], pos[2 * j + 1],
                                 s.canvases.data() + (b * K + j) * nets.canvas());
    }
    puzzlegan::union_mask(pos, K, S, P, s.mask.data() + b * S * S);
  }
  // h_b = (1/K) Σ_j E(canvas_bj)
  const float* codes = nets.e.forward_train(s.canvases.data(), B * K, s.e);
  const float share = 1.0f / static_cast<float>(K);
  float* h = s.h.data();
  std::fill(h, h + B * code, 0.0f);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < K; ++j)
      for (int64_t i = 0; i < code; ++i) h[b * code + i] += share * codes[(b * K + j) * code + i];
  puzzlegan::generator_input(h, s.z.data(), B, nets.F, nets.N, nets.scores(), s.gin.data());
  s.fake = nets.g.forward_train(s.gin.data(), B, s.g);
}

double PuzzleGanModel::discriminator_pass(int64_t B, bool backward) {
  puzzlegan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t Q = nets.scores();
  nets.store.zero_grad(nets.d_span());
  // ½·mean (D(x) − 1)² + ½·mean D(x̃)²: lsgan_loss with weight 1 on each (gan_losses.hpp).
  const float* score = nets.d.forward_train(s.xs.data(), B, s.d);
  double loss = gan::lsgan_loss(score, B, Q, 1.0f, 1.0f, s.dscore.data());
  if (backward) nets.d.backward(s.xs.data(), s.dscore.data(), nullptr, B, s.d);
  score = nets.d.forward_train(s.fake, B, s.d);
  loss += gan::lsgan_loss(score, B, Q, 0.0f, 1.0f, s.dscore.data());
  if (backward) nets.d.backward(s.fake, s.dscore.data(), nullptr, B, s.d);
  return loss / static_cast<double>(B);
}

double PuzzleGanModel::generator_pass(int64_t B, bool backward) {
  puzzlegan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t K = cfg_.parts, C = nets.C, S = nets.S, P = nets.P, D = nets.pixels(), code = nets.code();
  const double rows = static_cast<double>(B);
  nets.store.zero_grad(nets.g_span());
  // Adversarial: ½·mean (D(x̃) − 1)², back to x̃ through D without D's weight gradients.
  const float* score = nets.d.forward_train(s.fake, B, s.d);
  terms_.adversarial = gan::lsgan_loss(score, B, nets.scores(), 1.0f, 1.0f, s.dscore.data()) / rows;
  float* dfake = s.dfake.data();
  if (backward) nets.d.backward(s.fake, s.dscore.data(), dfake, B, s.d, false);
  // Appearance and reconstruction L1 on x̃ (their gradients added into dfake).
  terms_.appearance = puzzlegan::appearance_l1(s.fake, s.patches.data(), s.positions.data(), B, K, C, S, P,
                                               cfg_.lambda_appearance, backward ? dfake : nullptr) /
                      rows;
  float* drec = s.drec.data();
  terms_.reconstruction = gan::l1_loss(s.fake, s.xs.data(), B, D, cfg_.lambda_rec, backward ? drec : nullptr) / rows;
  if (backward)
    for (int64_t i = 0; i < B * D; ++i) dfake[i] += drec[i];
  // Mask prediction from h.
  const float* logits = nets.m.forward_train(s.h.data(), B, s.m);
  terms_.mask =
      puzzlegan::mask_bce(logits, s.mask.data(), B, S * S, cfg_.lambda_mask, backward ? s.dlogits.data() : nullptr) /
      rows;
  const double loss = terms_.adversarial + cfg_.lambda_mask * terms_.mask + cfg_.lambda_appearance * terms_.appearance +
                      cfg_.lambda_rec * terms_.reconstruction;
  if (!backward) return loss;
  // G back to its input [h | z]; M back to h; both into h, then h = mean of the parts' codes.
  nets.g.backward(s.gin.data(), dfake, s.dgin.data(), B, s.g);
  nets.m.backward(s.h.data(), s.dlogits.data(), s.dhm.data(), B, s.m);
  const int64_t in = nets.g_in();
  const float share = 1.0f / static_cast<float>(K);
  float* dparts = s.dparts.data();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < code; ++i) {
      const float g = share * (s.dgin[b * in + i] + s.dhm[b * code + i]);
      for (int64_t j = 0; j < K; ++j) dparts[(b * K + j) * code + i] = g;
    }
  nets.e.backward(s.canvases.data(), dparts, nullptr, B * K, s.e);
  return loss;
}

double PuzzleGanModel::discriminator_objective(const DataView& batch, uint64_t key, bool backward) {
  require_fitted("discriminator_objective");
  prepare(batch, key);
  return discriminator_pass(batch.n, backward);
}

double PuzzleGanModel::generator_objective(const DataView& batch, uint64_t key, bool backward) {
  require_fitted("generator_objective");
  prepare(batch, key);
  return generator_pass(batch.n, backward);
}

double PuzzleGanModel::train_batch(const DataView& batch, Rng& rng, int64_t step) {
  require_fitted("train_batch");
  if (!optimisers_)
    fail(Status::invalid_argument, "puzzlegan: train_batch runs inside fit, which creates the optimisers");
  puzzlegan::Nets& nets = *nets_;
  // A distributed fit (docs/distributed.md): this rank's block of the batch (key patches and
  // z drawn per global row), D's and then E, M, G's gradients summed over the ranks before
  // each step; the passes return means over the block, the sums below count rows.
  const double local = static_cast<double>(batch.n);
  const int64_t B = parallel ? parallel->global_rows() : batch.n;
  const uint64_t key = rng.next_u64();
  const double loss_d = nn::reduce_step(parallel, nets.d_span(), [&] {
    prepare(batch, key);
    return discriminator_pass(batch.n, true) * local;
  });
  nn::require_finite_step(loss_d, nets.d_span(), threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  const double loss_g = nn::reduce_step(parallel, nets.g_span(), [&] { return generator_pass(batch.n, true) * local; });
  nn::require_finite_step(loss_g, nets.g_span(), threads_, kind(), "generator", step);
  optimisers_->g.step();
  sum_d_ += loss_d;
  sum_g_ += loss_g;
  rows_ += B;
  return loss_d + loss_g;
}

}  // namespace gm
