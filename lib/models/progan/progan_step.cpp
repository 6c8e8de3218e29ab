// One ProGAN training iteration (the maths is in progan.hpp): the batch brought to the
// schedule's stage, a discriminator step with the drift term and the gradient penalty, a
// generator step on fresh latents.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/distributed.hpp"
#include "core/error.hpp"
#include "models/progan/progan.hpp"
#include "models/progan/progan_nets.hpp"
#include "models/progan/progan_scratch.hpp"
#include "models/progan/progan_tangent.hpp"
#include "nn/fade_in.hpp"
#include "nn/minibatch_std.hpp"
#include "nn/optim.hpp"
#include "nn/resample.hpp"
#include "nn/trainer.hpp"

namespace gm {

using progan::Scratch;

void ProGanModel::prepare(const DataView& batch, progan::Phase ph, uint64_t key) {
  progan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const progan::Geometry& geo = nets.geo;
  const int64_t B = batch.n, Z = nets.Z, top = geo.stages - 1, full = geo.pixels(top), st = ph.stage;
  if (st < 0 || st > top || !(ph.alpha >= 0.0f && ph.alpha <= 1.0f) || (st == 0 && ph.fading()))
    fail(Status::invalid_argument, "progan: no phase stage {} alpha {} in a model of {} stages", st, ph.alpha,
         geo.stages);
  s.phase = ph;
  Scratch::grow(s.real, B * full);
  Scratch::grow(s.tmp, B * full);
  Scratch::grow(s.lo, B * full);
  // The real images at the stage's side: [0, 1] → [−1, 1], then 2×2 average pools (the
  // official code's downscale2d of the data, an exact box filter at every stage).
  float* cur = s.real.data();
  float* spare = s.tmp.data();
  for (int64_t i = 0; i < B * full; ++i) cur[i] = 2.0f * batch.x[i] - 1.0f;
  for (int64_t k = top; k > st; --k) {
    nn::avg_pool2x2_forward(cur, spare, B, geo.C, geo.side(k), geo.side(k));
    std::swap(cur, spare);
  }
  if (cur != s.real.data())
    std::memcpy(s.real.data(), cur, static_cast<std::size_t>(B * geo.pixels(st)) * sizeof(float));
  if (ph.fading()) {  // x ← α·x + (1 − α)·up(pool(x)), the paper's blend of real images
    const int64_t lo = geo.side(st - 1);
    nn::avg_pool2x2_forward(s.real.data(), s.lo.data(), B, geo.C, geo.side(st), geo.side(st));
    nn::upsample_nearest2x_forward(s.lo.data(), s.tmp.data(), B, geo.C, lo, lo);
    nn::fade_in_forward(ph.alpha, s.real.data(), s.tmp.data(), s.real.data(), B * geo.pixels(st));
  }
  // Per row, from the stream (key, row): the D step's latent, the G step's, then ε.
  Scratch::grow(s.z, B * Z);
  Scratch::grow(s.z2, B * Z);
  Scratch::grow(s.eps, B);
  for (int64_t r = 0; r < B; ++r) {
    // A rank's block of a distributed fit: its rows' own streams (their batch positions).
    const int64_t at = positions_.empty() ? r : positions_[static_cast<std::size_t>(r)];
    Rng row(key, static_cast<uint64_t>(at));
    for (int64_t j = 0; j < Z; ++j) s.z[r * Z + j] = static_cast<float>(row.normal());
    for (int64_t j = 0; j < Z; ++j) s.z2[r * Z + j] = static_cast<float>(row.normal());
    s.eps[r] = row.uniform_f();
  }
  const int64_t n = B * geo.pixels(st);
  Scratch::grow(s.fake, n);
  Scratch::grow(s.xhat, n);
  Scratch::grow(s.gx, n);
  Scratch::grow(s.u, n);
  Scratch::grow(s.dfake, n);
  Scratch::grow(s.dscore, B);
  const float* y = nets.g_forward(s.z.data(), B, ph, s.g);
  std::memcpy(s.fake.data(), y, static_cast<std::size_t>(n) * sizeof(float));  // x̃, detached
}

double ProGanModel::discriminator_pass(int64_t B, bool backward, double lambda) {
  progan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  nets.store.zero_grad(nets.d_span());
  const double inv = 1.0 / static_cast<double>(B);
  float* ds = s.dscore.data();
  // Real images: −mean D(x) + ε_drift·mean D(x)².
  const float* score = nets.d_forward(s.real.data(), B, s.phase, s.d);
  double loss = 0;
  for (int64_t b = 0; b < B; ++b) {
    const double v = score[b];
    loss += (-v + cfg_.drift * v * v) * inv;
    ds[b] = static_cast<float>((-1.0 + 2.0 * cfg_.drift * v) * inv);
  }
  if (backward) nets.d_backward(ds, nullptr, s.d, true);
  // Generated images: + mean D(x̃).
  score = nets.d_forward(s.fake.data(), B, s.phase, s.d);
  for (int64_t b = 0; b < B; ++b) loss += score[b] * inv;
  if (backward) {
    std::fill(ds, ds + B, static_cast<float>(inv));
    nets.d_backward(ds, nullptr, s.d, true);
  }
  if (lambda > 0) loss += penalty_pass(B, backward, lambda);
  return loss;
}

double ProGanModel::penalty_pass(int64_t B, bool backward, double lambda) {
  progan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t D = nets.geo.pixels(s.phase.stage);
  float* xhat = s.xhat.data();
  const float* real = s.real.data();
  const float* fake = s.fake.data();
  for (int64_t r = 0; r < B; ++r) {
    const float e = s.eps[r];
    for (int64_t i = 0; i < D; ++i) xhat[r * D + i] = e * real[r * D + i] + (1.0f - e) * fake[r * D + i];
  }
  // g = ∇_x̂ Σ_b D(x̂)_b: a backward pass with unit score gradients, no weights.
  nets.d_forward(xhat, B, s.phase, s.d);
  std::fill(s.dscore.data(), s.dscore.data() + B, 1.0f);
  nets.d_backward(s.dscore.data(), s.gx.data(), s.d, false);
  double penalty = 0;
  float* u = s.u.data();
  const float* gx = s.gx.data();
  for (int64_t r = 0; r < B; ++r) {
    double sq = 0;
    for (int64_t i = 0; i < D; ++i) sq += static_cast<double>(gx[r * D + i]) * gx[r * D + i];
    const double norm = std::sqrt(sq);
    penalty += (norm - 1.0) * (norm - 1.0);
    // u_b = w_b·g_b/‖g_b‖, w_b = 2λ(‖g_b‖ − 1)/B (progan_tangent.hpp).
    const double w = lambda * 2.0 * (norm - 1.0) / static_cast<double>(B);
    const float scale = norm > 0 ? static_cast<float>(w / norm) : 0.0f;
    for (int64_t i = 0; i < D; ++i) u[r * D + i] = scale * gx[r * D + i];
  }
  const double loss = lambda * penalty / static_cast<double>(B);
  if (backward) progan::d_tangent_gradient(nets, s.d, u, s.tangent);
  return loss;
}

double ProGanModel::generator_pass(int64_t B, bool backward) {
  progan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  nets.store.zero_grad(nets.g_span());
  const float* y = nets.g_forward(s.z2.data(), B, s.phase, s.g);
  const float* score = nets.d_forward(y, B, s.phase, s.d);
  double loss = 0;
  for (int64_t b = 0; b < B; ++b) loss -= score[b] / static_cast<double>(B);
  if (!backward) return loss;
  std::fill(s.dscore.data(), s.dscore.data() + B, -1.0f / static_cast<float>(B));
  nets.d_backward(s.dscore.data(), s.dfake.data(), s.d, false);
  nets.g_backward(s.dfake.data(), s.g);
  return loss;
}

double ProGanModel::discriminator_objective(const DataView& batch, progan::Phase ph, uint64_t key, bool backward) {
  require_fitted("discriminator_objective");
  prepare(batch, ph, key);
  return discriminator_pass(batch.n, backward, cfg_.lambda_gp);
}

double ProGanModel::gradient_penalty(const DataView& batch, progan::Phase ph, uint64_t key, bool backward) {
  require_fitted("gradient_penalty");
  prepare(batch, ph, key);
  nets_->store.zero_grad(nets_->d_span());
  return penalty_pass(batch.n, backward, cfg_.lambda_gp);
}

double ProGanModel::generator_objective(const DataView& batch, progan::Phase ph, uint64_t key, bool backward) {
  require_fitted("generator_objective");
  prepare(batch, ph, key);
  return generator_pass(batch.n, backward);
}

void ProGanModel::rank_rows(int64_t count, int rank, int size, std::vector<int64_t>& positions) const {
  positions.clear();
  if (count < 1) return;
  const int64_t M = nn::minibatch_std_groups(count, nets_ ? nets_->group : cfg_.mbstd_group);
  const dist::Slice mine = dist::slice_of(M, rank, size);
  for (int64_t b = 0; b < count; ++b)
    if (b % M >= mine.begin && b % M < mine.end) positions.push_back(b);
}

double ProGanModel::train_batch(const DataView& batch, Rng& rng, int64_t step) {
  require_fitted("train_batch");
  if (!optimisers_) fail(Status::invalid_argument, "progan: train_batch runs inside fit, which creates the optimisers");
  progan::Nets& nets = *nets_;
  // A distributed fit (docs/distributed.md): this rank's whole minibatch-stddev groups
  // (rank_rows; D's statistic over the same images as on one process, as the rank's block
  // keeps them in group order b mod M with M its own group count), latents and ε per batch
  // position, each network's gradient summed over the ranks before its step. The schedule
  // counts the global batch, so every rank is at the same phase.
  const int64_t B = parallel ? parallel->global_rows() : batch.n;
  const double local = static_cast<double>(batch.n);
  struct Restore {  // the group size and positions of a distributed step, undone however it ends
    ProGanModel& m;
    int64_t group;
    ~Restore() {
      m.nets_->group = group;
      m.positions_.clear();
    }
  } restore{*this, nets.group};
  if (parallel && batch.n > 0) {
    const int64_t M = nn::minibatch_std_groups(B, nets.group);
    const dist::Slice mine = dist::slice_of(M, parallel->rank(), parallel->size());
    rank_rows(B, parallel->rank(), parallel->size(), positions_);
    if (static_cast<int64_t>(positions_.size()) != batch.n)
      fail(Status::internal, "progan: a rank's block has {} rows, its groups {}", batch.n, positions_.size());
    nets.group = -mine.size();  // exactly its groups (nn/minibatch_std.hpp)
  }
  const uint64_t key = rng.next_u64();
  const progan::Phase ph = phase();
  // Lazy regularisation: the penalty, weighted λ·k, on global steps 1, 1 + k, … only (step
  // counts over every fit, so a resumed fit keeps the rhythm).
  const int64_t k = cfg_.gp_every;
  const double lambda = ((step - 1) % k + k) % k == 0 ? cfg_.lambda_gp * static_cast<double>(k) : 0.0;
  const double loss_d = nn::reduce_step(parallel, nets.d_span(), [&] {
    prepare(batch, ph, key);
    return discriminator_pass(batch.n, true, lambda) * local;
  });
  nn::require_finite_step(loss_d, nets.d_span(), threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  const double loss_g = nn::reduce_step(parallel, nets.g_span(), [&] { return generator_pass(batch.n, true) * local; });
  nn::require_finite_step(loss_g, nets.g_span(), threads_, kind(), "generator", step);
  optimisers_->g.step();
  nets.images += B;  // the schedule moves on by the images D has seen (the global batch)
  sum_d_ += loss_d;
  sum_g_ += loss_g;
  rows_d_ += B;
  rows_g_ += B;
  return loss_d + loss_g;
}

}  // namespace gm
