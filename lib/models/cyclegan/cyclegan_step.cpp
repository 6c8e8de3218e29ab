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
    // A distributed fit's means are over the domain's rows in the global batch: this rank's
    // terms are divided by that count, their gradients weighted n / N (1 on one process).
    const int64_t N = &side == &s.a ? global_a_ : global_b_;
    const auto rows = static_cast<double>(N > 0 ? N : n);
    const float f = N > 0 ? static_cast<float>(n) / static_cast<float>(N) : 1.0f;
    const float* x = side.x.data();
    const float* fake = dir.forth.forward_train(x, n, side.gen);
    std::memcpy(side.fake.data(), fake, static_cast<std::size_t>(n * D) * sizeof(float));
    const float* rec = dir.back.forward_train(side.fake.data(), n, side.back);
    loss += lambda * gan::l1_loss(rec, x, n, D, lambda * f, side.drec.data()) / rows;
    const float* score = dir.judge.forward_train(side.fake.data(), n, side.d_gen);
    loss += 2.0 * gan::lsgan_loss(score, n, P, 1.0f, 2.0f * f, side.dscore.data()) / rows;
    const bool identity = lambda_idt > 0;
    if (identity) {
      const float* idt = dir.back.forward_train(x, n, side.idt);
      loss += lambda_idt * gan::l1_loss(idt, x, n, D, lambda_idt * f, side.didt.data()) / rows;
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
  // N: the domain's rows in a distributed fit's global batch (0 on one process), as in
  // generator_pass.
  auto term = [&](nn::Sequential& judge, const float* x, int64_t n, int64_t N, float target, nn::SequentialWork& work,
                  float* dscore) {
    if (n == 0) return;
    const float f = N > 0 ? static_cast<float>(n) / static_cast<float>(N) : 1.0f;
    const float* score = judge.forward_train(x, n, work);
    loss += gan::lsgan_loss(score, n, P, target, f, dscore) / static_cast<double>(N > 0 ? N : n);
    if (backward) judge.backward(x, dscore, nullptr, n, work);
  };
  term(nets.db, s.b.x.data(), s.b.n, global_b_, 1.0f, s.b.d_real, s.b.dscore.data());
  term(nets.db, s.a.shown.data(), s.a.n, global_a_, 0.0f, s.a.d_fake, s.a.dscore.data());
  term(nets.da, s.a.x.data(), s.a.n, global_a_, 1.0f, s.a.d_real, s.a.dscore.data());
  term(nets.da, s.b.shown.data(), s.b.n, global_b_, 0.0f, s.b.d_fake, s.b.dscore.data());
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
  if (parallel) return train_batch_distributed(batch, rng, step);
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

// A distributed fit (docs/distributed.md). The losses are means per domain, so the ranks
// first sum their domains' row counts (one small sum: every rank's counts in its own slots),
// and each rank divides its terms by the global counts; the gradients are then summed as they
// are. The history buffers must evolve as on one process: every rank gathers the whole
// batch's fakes of each domain, in batch order (rank r's rows follow those of ranks < r), and
// queries its own copy of both buffers with the step's stream — the same draws on every rank
// — then shows its discriminators the rows of its block.
double CycleGanModel::train_batch_distributed(const DataView& batch, Rng& rng, int64_t step) {
  cyclegan::Nets& nets = *nets_;
  nn::DataParallel& dp = *parallel;
  struct Restore {  // the global counts hold for this step only
    CycleGanModel& m;
    ~Restore() { m.global_a_ = m.global_b_ = 0; }
  } restore{*this};
  Scratch& s = *scratch_;
  const int P = dp.size(), r = dp.rank();
  std::vector<double> counts(static_cast<std::size_t>(2 * P), 0.0);
  dp.guard([&] {
    split(batch);
    counts[static_cast<std::size_t>(2 * r)] = static_cast<double>(s.a.n);
    counts[static_cast<std::size_t>(2 * r + 1)] = static_cast<double>(s.b.n);
  });
  dp.sum(counts.data(), 2 * P);
  int64_t offset_a = 0, offset_b = 0;
  for (int q = 0; q < P; ++q) {
    const auto a = static_cast<int64_t>(counts[static_cast<std::size_t>(2 * q)]);
    const auto b = static_cast<int64_t>(counts[static_cast<std::size_t>(2 * q + 1)]);
    if (q < r) {
      offset_a += a;
      offset_b += b;
    }
    global_a_ += a;
    global_b_ += b;
  }
  const int64_t B = dp.global_rows();
  // Every network's loss is already this rank's share of the global means: summed unscaled.
  const double loss_g = nn::reduce_step(
      parallel, nets.generator_span(), [&] { return generator_pass(true); }, /*scaled*/ true);
  nn::require_finite_step(loss_g, nets.generator_span(), threads_, kind(), "generator", step);
  optimisers_->g.step();
  const int64_t D = shape_.d, NA = global_a_, NB = global_b_;
  all_fakes_.resize(static_cast<std::size_t>((NA + NB) * D));
  float* all_a = all_fakes_.data();
  float* all_b = all_a + NA * D;
  dp.all_rows(s.a.fake.data(), s.a.n, offset_a, NA, D, all_a);
  dp.all_rows(s.b.fake.data(), s.b.n, offset_b, NB, D, all_b);
  dp.guard([&] {
    pool_a_->query(all_a, NA, rng);
    pool_b_->query(all_b, NB, rng);
    std::memcpy(s.a.shown.data(), all_a + offset_a * D, static_cast<std::size_t>(s.a.n * D) * sizeof(float));
    std::memcpy(s.b.shown.data(), all_b + offset_b * D, static_cast<std::size_t>(s.b.n * D) * sizeof(float));
  });
  const double loss_d = nn::reduce_step(
      parallel, nets.discriminator_span(), [&] { return discriminator_pass(true); }, /*scaled*/ true);
  nn::require_finite_step(loss_d, nets.discriminator_span(), threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  const auto n = static_cast<double>(B);
  sum_d_ += loss_d * n;
  sum_g_ += loss_g * n;
  rows_ += B;
  return (loss_d + loss_g) * n;
}

}  // namespace gm
