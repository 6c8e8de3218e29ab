// One cyclegan training iteration (the maths is in cyclegan.hpp): the generator step, then the
// discriminator step on the same fakes through the history buffers.
#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "models/cyclegan/cyclegan.hpp"
#include "models/cyclegan/cyclegan_nets.hpp"
#include "models/cyclegan/cyclegan_scratch.hpp"
#include "models/gan/gan_losses.hpp"

namespace gm {

using cyclegan::Scratch;
using cyclegan::Side;

void CycleGanModel::split(const DataView& batch) {
  Scratch& s = *scratch_;
  const int64_t D = shape_.d, P = nets_->patches();
  int64_t n[2] = {0, 0};
  for (int64_t r = 0; r < batch.n; ++r) ++n[batch.labels[r] == 1];
  Side* sides[2] = {&s.a, &s.b};
  for (int k = 0; k < 2; ++k) {
    Side& side = *sides[k];
    side.n = n[k];
    const int64_t rows = std::max<int64_t>(n[k], 1);
    for (nn::Buffer* buf : {&side.x, &side.fake, &side.shown, &side.dfake, &side.dtmp, &side.drec, &side.didt})
      Scratch::grow(*buf, rows * D);
    Scratch::grow(side.dscore, rows * P);
    side.n = 0;
  }
  for (int64_t r = 0; r < batch.n; ++r) {
    Side& side = *sides[batch.labels[r] == 1];
    const float* x = batch.row(r);
    float* dst = side.x.data() + side.n * D;
    for (int64_t i = 0; i < D; ++i) dst[i] = 2.0f * x[i] - 1.0f;
    ++side.n;
  }
}

double CycleGanModel::generator_pass(bool backward) {
  cyclegan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t D = shape_.d, P = nets.patches();
  const float lambda = cfg_.lambda_cycle, lambda_idt = cfg_.lambda_cycle * cfg_.lambda_identity;
  if (backward) nets.store.zero_grad(nets.generator_span());
  double loss = 0;
  // Side a: G makes b images, F takes them back, D_b judges them, F(a) is the identity term.
  // Side b: the mirror image (F, G, D_a, G(b)).
  struct Direction {
    Side& side;
    nn::Sequential& forth;
    nn::Sequential& back;
    nn::Sequential& judge;
  };
  for (Direction dir : {Direction{s.a, nets.g, nets.f, nets.db}, Direction{s.b, nets.f, nets.g, nets.da}}) {
    Side& side = dir.side;
    const int64_t n = side.n;
    if (n == 0) continue;
    const auto rows = static_cast<double>(n);
    const float* x = side.x.data();
    const float* fake = dir.forth.forward_train(x, n, side.gen);
    std::memcpy(side.fake.data(), fake, static_cast<std::size_t>(n * D) * sizeof(float));
    const float* rec = dir.back.forward_train(side.fake.data(), n, side.back);
    loss += lambda * gan::l1_loss(rec, x, n, D, lambda, side.drec.data()) / rows;
    const float* score = dir.judge.forward_train(side.fake.data(), n, side.d_gen);
    loss += 2.0 * gan::lsgan_loss(score, n, P, 1.0f, 2.0f, side.dscore.data()) / rows;
    const bool identity = lambda_idt > 0;
    if (identity) {
      const float* idt = dir.back.forward_train(x, n, side.idt);
      loss += lambda_idt * gan::l1_loss(idt, x, n, D, lambda_idt, side.didt.data()) / rows;
    }
    if (!backward) continue;
    dir.back.backward(side.fake.data(), side.drec.data(), side.dfake.data(), n, side.back);
    dir.judge.backward(side.fake.data(), side.dscore.data(), side.dtmp.data(), n, side.d_gen, /*weights*/ false);
    float* dfake = side.dfake.data();
    const float* dtmp = side.dtmp.data();
    for (int64_t i = 0; i < n * D; ++i) dfake[i] += dtmp[i];
    dir.forth.backward(x, dfake, nullptr, n, side.gen);
    if (identity) dir.back.backward(x, side.didt.data(), nullptr, n, side.idt);
  }
  return loss;
}

double CycleGanModel::discriminator_pass(bool backward) {
  cyclegan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t P = nets.patches();
  if (backward) nets.store.zero_grad(nets.discriminator_span());
  double loss = 0;
  // ½·MSE(D(x), t) over n rows: lsgan_loss with weight 1 (gan_losses.hpp).
  auto term = [&](nn::Sequential& judge, const float* x, int64_t n, float target, nn::SequentialWork& work,
                  float* dscore) {
    if (n == 0) return;
    const float* score = judge.forward_train(x, n, work);
    loss += gan::lsgan_loss(score, n, P, target, 1.0f, dscore) / static_cast<double>(n);
    if (backward) judge.backward(x, dscore, nullptr, n, work);
  };
  term(nets.db, s.b.x.data(), s.b.n, 1.0f, s.b.d_real, s.b.dscore.data());
  term(nets.db, s.a.shown.data(), s.a.n, 0.0f, s.a.d_fake, s.a.dscore.data());
  term(nets.da, s.a.x.data(), s.a.n, 1.0f, s.a.d_real, s.a.dscore.data());
  term(nets.da, s.b.shown.data(), s.b.n, 0.0f, s.b.d_fake, s.b.dscore.data());
  return loss;
}

double CycleGanModel::generator_objective(const DataView& batch, bool backward) {
  require_fitted("generator_objective");
  scratch_ = std::make_unique<Scratch>();
  split(batch);
  return generator_pass(backward);
}

double CycleGanModel::discriminator_objective(const DataView& batch, bool backward) {
  require_fitted("discriminator_objective");
  scratch_ = std::make_unique<Scratch>();
  split(batch);
  generator_pass(false);
  const int64_t D = shape_.d;
  for (Side* side : {&scratch_->a, &scratch_->b})
    std::memcpy(side->shown.data(), side->fake.data(), static_cast<std::size_t>(side->n * D) * sizeof(float));
  return discriminator_pass(backward);
}

double CycleGanModel::train_batch(const DataView& batch, Rng& rng, int64_t step) {
  require_fitted("train_batch");
  if (!optimisers_)
    fail(Status::invalid_argument, "{}: train_batch runs inside fit, which creates the optimisers", kind());
  cyclegan::Nets& nets = *nets_;
  split(batch);
  const double loss_g = generator_pass(true);
  nn::require_finite_step(loss_g, nets.generator_span(), threads_, kind(), "generator", step);
  optimisers_->g.step();
  // The fakes made before the generators' update, through the history buffers.
  Scratch& s = *scratch_;
  const int64_t D = shape_.d;
  for (auto [side, pool] : {std::pair{&s.a, pool_a_.get()}, std::pair{&s.b, pool_b_.get()}}) {
    std::memcpy(side->shown.data(), side->fake.data(), static_cast<std::size_t>(side->n * D) * sizeof(float));
    pool->query(side->shown.data(), side->n, rng);
  }
  const double loss_d = discriminator_pass(true);
  nn::require_finite_step(loss_d, nets.discriminator_span(), threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  const auto n = static_cast<double>(batch.n);
  sum_d_ += loss_d * n;
  sum_g_ += loss_g * n;
  rows_ += batch.n;
  return (loss_d + loss_g) * n;
}

}  // namespace gm
