// One StarGAN training iteration (the maths is in stargan.hpp): a discriminator step with the
// gradient penalty on every batch, a generator step on every d_steps-th.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "models/gan/gan_losses.hpp"
#include "models/stargan/stargan.hpp"
#include "models/stargan/stargan_losses.hpp"
#include "models/stargan/stargan_nets.hpp"
#include "models/stargan/stargan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

using stargan::Scratch;

void StarGanModel::prepare(const DataView& batch, uint64_t key) {
  stargan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t B = batch.n, D = nets.pixels(), K = nets.K, P = nets.patches();
  const int64_t F = nets.d_trunk.out_size();
  Scratch::grow(s.xs, B * D);
  Scratch::grow(s.gin, B * nets.g_in());
  Scratch::grow(s.gin2, B * nets.g_in());
  Scratch::grow(s.dgin2, B * nets.g_in());
  Scratch::grow(s.eps, B);
  Scratch::grow(s.xhat, B * D);
  Scratch::grow(s.gx, B * D);
  Scratch::grow(s.xpm, 2 * B * D);
  Scratch::grow(s.dsrc, 2 * B * P);
  Scratch::grow(s.dcls, B * K);
  Scratch::grow(s.dfa, 2 * B * F);
  Scratch::grow(s.dfb, B * F);
  Scratch::grow(s.dfake, B * D);
  Scratch::grow(s.drec, B * D);
  s.target.resize(static_cast<std::size_t>(B));
  s.own.assign(batch.labels, batch.labels + B);

  float* xs = s.xs.data();
  for (int64_t i = 0; i < B * D; ++i) xs[i] = 2.0f * batch.x[i] - 1.0f;
  for (int64_t r = 0; r < B; ++r) {
    Rng row(key, static_cast<uint64_t>(batch.first_row + r));  // a rank's block: its rows' own streams
    s.target[static_cast<std::size_t>(r)] = static_cast<int32_t>(row.below(static_cast<uint64_t>(K)));
    s.eps[r] = row.uniform_f();
  }
  stargan::generator_input(xs, s.target.data(), B, nets.C, nets.S * nets.S, K, s.gin.data());
  s.fake = nets.g.forward_train(s.gin.data(), B, s.g1);
}

namespace {

// Σ of n values, in double.
double sum_of(const float* v, int64_t n) {
  double t = 0;
  for (int64_t i = 0; i < n; ++i) t += v[i];
  return t;
}

// D's backward from its two heads' output gradients (dcls may be null: the source head
// alone): the heads' input gradients summed into dfa, then the trunk's; dx written if not null.
void d_backward(stargan::Nets& nets, Scratch& s, const float* x, const float* f, float* dsrc, float* dcls, float* dx,
                int64_t B, bool weights) {
  nets.d_src.backward(f, dsrc, s.dfa.data(), B, s.src, weights);
  if (dcls) {
    nets.d_cls.backward(f, dcls, s.dfb.data(), B, s.cls, weights);
    float* a = s.dfa.data();
    const float* b = s.dfb.data();
    const int64_t n = B * nets.d_trunk.out_size();
    for (int64_t i = 0; i < n; ++i) a[i] += b[i];
  }
  nets.d_trunk.backward(x, s.dfa.data(), dx, B, s.d, weights);
}

}  // namespace

double StarGanModel::discriminator_pass(const DataView& batch, bool backward) {
  stargan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t B = batch.n, K = nets.K, P = nets.patches();
  nets.store.zero_grad(nets.d_span());
  const float inv = 1.0f / static_cast<float>(B * P);
  // Real images: −mean D_src(x) + λ_cls·CE(D_cls(x), c′).
  const float* xs = s.xs.data();
  const float* f = nets.d_trunk.forward_train(xs, B, s.d);
  double loss = -sum_of(nets.d_src.forward_train(f, B, s.src), B * P) / static_cast<double>(B * P);
  const float* logits = nets.d_cls.forward_train(f, B, s.cls);
  loss += cfg_.lambda_cls * stargan::cross_entropy(logits, s.own.data(), B, K, cfg_.lambda_cls, s.dcls.data()) /
          static_cast<double>(B);
  if (backward) {
    std::fill(s.dsrc.data(), s.dsrc.data() + B * P, -inv);
    d_backward(nets, s, xs, f, s.dsrc.data(), s.dcls.data(), nullptr, B, true);
  }
  // Translated images: + mean D_src(x̃).
  f = nets.d_trunk.forward_train(s.fake, B, s.d);
  loss += sum_of(nets.d_src.forward_train(f, B, s.src), B * P) / static_cast<double>(B * P);
  if (backward) {
    std::fill(s.dsrc.data(), s.dsrc.data() + B * P, inv);
    d_backward(nets, s, s.fake, f, s.dsrc.data(), nullptr, nullptr, B, true);
  }
  if (cfg_.lambda_gp > 0) loss += penalty_pass(B, backward, 0.0f);
  return loss;
}

double StarGanModel::penalty_pass(int64_t B, bool backward, float fd_step) {
  stargan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t D = nets.pixels(), P = nets.patches();
  // g_b = ∇_x Σ_p D_src(x̂_b)_p: a backward pass with unit output gradients, no weights.
  float* xhat = s.xhat.data();
  const float* xs = s.xs.data();
  for (int64_t r = 0; r < B; ++r) {
    const float e = s.eps[r];
    for (int64_t i = 0; i < D; ++i) xhat[r * D + i] = e * xs[r * D + i] + (1.0f - e) * s.fake[r * D + i];
  }
  const float* f = nets.d_trunk.forward_train(xhat, B, s.d);
  nets.d_src.forward_train(f, B, s.src);
  std::fill(s.dsrc.data(), s.dsrc.data() + B * P, 1.0f);
  d_backward(nets, s, xhat, f, s.dsrc.data(), nullptr, s.gx.data(), B, false);
  std::vector<double> norm(static_cast<std::size_t>(B));
  double penalty = 0;
  for (int64_t r = 0; r < B; ++r) {
    double sq = 0;
    for (int64_t i = 0; i < D; ++i) sq += static_cast<double>(s.gx[r * D + i]) * s.gx[r * D + i];
    norm[static_cast<std::size_t>(r)] = std::sqrt(sq);
    penalty += (std::sqrt(sq) - 1.0) * (std::sqrt(sq) - 1.0);
  }
  const double loss = cfg_.lambda_gp * penalty / static_cast<double>(B);
  if (!backward) return loss;
  // Per image, w_b = λ_gp·2(‖g_b‖ − 1)/B, the weight of ∂/∂θ ⟨∇_x f_b(x̂_b; θ), v_b⟩.
  std::vector<float> weight(static_cast<std::size_t>(B));
  for (int64_t r = 0; r < B; ++r) {
    const double n = norm[static_cast<std::size_t>(r)];
    weight[static_cast<std::size_t>(r)] = static_cast<float>(cfg_.lambda_gp * 2.0 * (n - 1.0) / static_cast<double>(B));
  }
  if (fd_step > 0) {
    fd_penalty_backward(B, norm.data(), weight.data(), fd_step);
    return loss;
  }
  // The tangent network (stargan.hpp) on u_b = w_b·v_b: its unit-output backward pass gives
  // Σ_b w_b ∂⟨∇_x f_b, v_b⟩/∂θ, as the directional derivative is linear in its direction.
  nn::Sequential& trunk = nets.d_trunk;
  const std::size_t L = trunk.size();
  std::vector<int64_t> at(L + 1, 0);  // offsets of the tangents t_0 .. t_L in s.tangent
  int64_t widest = D;
  for (std::size_t i = 0; i < L; ++i) {
    const nn::StageSpec& sp = trunk.spec(i);
    const nn::Conv2d& c = *trunk.conv(i);
    const int64_t n = sp.out * c.out_height(sp.in_h) * c.out_width(sp.in_w);
    at[i + 1] = at[i] + B * (i == 0 ? D : sp.in * sp.in_h * sp.in_w);
    widest = std::max(widest, n);
  }
  const int64_t last = trunk.out_size();
  Scratch::grow(s.tangent, at[L] + B * last);
  Scratch::grow(s.dtan_a, B * widest);
  Scratch::grow(s.dtan_b, B * widest);
  float* t = s.tangent.data();
  for (int64_t r = 0; r < B; ++r) {
    const double n = norm[static_cast<std::size_t>(r)];
    const float scale = n > 0 ? static_cast<float>(weight[static_cast<std::size_t>(r)] / n) : 0.0f;
    for (int64_t i = 0; i < D; ++i) t[r * D + i] = scale * s.gx[r * D + i];
  }
  // Forward: t_{i+1} = s_i ⊙ (W_i ∗ t_i), no bias, s_i the LeakyReLU slopes at x̂ (its
  // activations keep the sign of their inputs, so the stage outputs tell the side).
  for (std::size_t i = 0; i < L; ++i) {
    const nn::StageSpec& sp = trunk.spec(i);
    nn::Conv2d& c = *trunk.conv(i);
    const int64_t hw = c.out_height(sp.in_h) * c.out_width(sp.in_w), n = sp.out * hw;
    float* out = t + at[i + 1];
    c.forward(t + at[i], out, B, sp.in_h, sp.in_w);
    const float* bias = trunk.bias(i).valid() ? nets.store.value(trunk.bias(i)) : nullptr;
    const float* y = trunk.stage_output(i, s.d);
    for (int64_t r = 0; r < B; ++r)
      for (int64_t ch = 0; ch < sp.out; ++ch) {
        const float b = bias ? bias[ch] : 0.0f;
        for (int64_t k = r * n + ch * hw; k < r * n + (ch + 1) * hw; ++k)
          out[k] = (out[k] - b) * (y[k] > 0 ? 1.0f : sp.alpha);
      }
  }
  // Backward from unit gradients on the source head's scores; biases get nothing (the
  // tangents carry none), so their gradients are put back after each convolution's pass.
  nn::Conv2d& head = *nets.d_src.conv(0);
  std::fill(s.dsrc.data(), s.dsrc.data() + B * P, 1.0f);
  float* g = s.dtan_a.data();
  head.backward(t + at[L], s.dsrc.data(), g, B, nets.map, nets.map);
  for (std::size_t i = L; i-- > 0;) {
    const nn::StageSpec& sp = trunk.spec(i);
    nn::Conv2d& c = *trunk.conv(i);
    const int64_t n = sp.out * c.out_height(sp.in_h) * c.out_width(sp.in_w);
    const float* y = trunk.stage_output(i, s.d);
    for (int64_t k = 0; k < B * n; ++k) g[k] *= y[k] > 0 ? 1.0f : sp.alpha;
    float* next = i > 0 ? (g == s.dtan_a.data() ? s.dtan_b.data() : s.dtan_a.data()) : nullptr;
    const nn::ParamId bias = trunk.bias(i);
    std::vector<float> kept;
    if (bias.valid()) kept.assign(nets.store.grad(bias), nets.store.grad(bias) + sp.out);
    c.backward(t + at[i], g, next, B, sp.in_h, sp.in_w);
    if (bias.valid()) std::copy(kept.begin(), kept.end(), nets.store.grad(bias));
    g = next;
  }
  return loss;
}

// The finite-difference variant (stargan.hpp): [∇_θ f_b(x̂ + h v) − ∇_θ f_b(x̂ − h v)] / (2h)
// over the 2B rows x̂ ± h v in one pass, each patch score weighted ±w_b/(2h).
void StarGanModel::fd_penalty_backward(int64_t B, const double* norm, const float* weight, float h) {
  stargan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t D = nets.pixels(), P = nets.patches();
  const float* xhat = s.xhat.data();
  float* xpm = s.xpm.data();
  float* dsrc = s.dsrc.data();
  for (int64_t r = 0; r < B; ++r) {
    const float scale = norm[r] > 0 ? static_cast<float>(h / norm[r]) : 0.0f;
    for (int64_t i = 0; i < D; ++i) {
      const float step = scale * s.gx[r * D + i];
      xpm[r * D + i] = xhat[r * D + i] + step;
      xpm[(B + r) * D + i] = xhat[r * D + i] - step;
    }
    const float w = weight[r] / (2.0f * h);
    std::fill(dsrc + r * P, dsrc + (r + 1) * P, w);
    std::fill(dsrc + (B + r) * P, dsrc + (B + r + 1) * P, -w);
  }
  const float* f = nets.d_trunk.forward_train(xpm, 2 * B, s.d);
  nets.d_src.forward_train(f, 2 * B, s.src);
  d_backward(nets, s, xpm, f, dsrc, nullptr, nullptr, 2 * B, true);
}

double StarGanModel::generator_pass(const DataView& batch, bool backward) {
  stargan::Nets& nets = *nets_;
  Scratch& s = *scratch_;
  const int64_t B = batch.n, D = nets.pixels(), K = nets.K, P = nets.patches(), HW = nets.S * nets.S;
  nets.store.zero_grad(nets.g_span());
  // Adversarial and classification terms on x̃ through the current D.
  const float* f = nets.d_trunk.forward_train(s.fake, B, s.d);
  double loss = -sum_of(nets.d_src.forward_train(f, B, s.src), B * P) / static_cast<double>(B * P);
  const float* logits = nets.d_cls.forward_train(f, B, s.cls);
  loss += cfg_.lambda_cls * stargan::cross_entropy(logits, s.target.data(), B, K, cfg_.lambda_cls, s.dcls.data()) /
          static_cast<double>(B);
  if (backward) {
    std::fill(s.dsrc.data(), s.dsrc.data() + B * P, -1.0f / static_cast<float>(B * P));
    d_backward(nets, s, s.fake, f, s.dsrc.data(), s.dcls.data(), s.dfake.data(), B, false);
  }
  // Reconstruction G(x̃, c′) against x.
  stargan::generator_input(s.fake, s.own.data(), B, nets.C, HW, K, s.gin2.data());
  const float* rec = nets.g.forward_train(s.gin2.data(), B, s.g2);
  loss +=
      cfg_.lambda_rec * gan::l1_loss(rec, s.xs.data(), B, D, cfg_.lambda_rec, s.drec.data()) / static_cast<double>(B);
  // Identity (lambda_identity > 0, not the paper's): G(x, c′) against x — a map to the domain
  // an image is already in should leave it as it is.
  const bool identity = cfg_.lambda_identity > 0;
  if (identity) {
    Scratch::grow(s.gin3, B * nets.g_in());
    Scratch::grow(s.didt, B * D);
    stargan::generator_input(s.xs.data(), s.own.data(), B, nets.C, HW, K, s.gin3.data());
    const float* idt = nets.g.forward_train(s.gin3.data(), B, s.g3);
    loss += cfg_.lambda_identity * gan::l1_loss(idt, s.xs.data(), B, D, cfg_.lambda_identity, s.didt.data()) /
            static_cast<double>(B);
  }
  if (!backward) return loss;
  if (identity) nets.g.backward(s.gin3.data(), s.didt.data(), nullptr, B, s.g3);
  nets.g.backward(s.gin2.data(), s.drec.data(), s.dgin2.data(), B, s.g2);
  const int64_t in = nets.g_in();
  for (int64_t r = 0; r < B; ++r)  // the image channels of [x̃ | c′]
    for (int64_t i = 0; i < D; ++i) s.dfake[r * D + i] += s.dgin2[r * in + i];
  nets.g.backward(s.gin.data(), s.dfake.data(), nullptr, B, s.g1);
  return loss;
}

double StarGanModel::discriminator_objective(const DataView& batch, uint64_t key, bool backward) {
  require_fitted("discriminator_objective");
  prepare(batch, key);
  return discriminator_pass(batch, backward);
}

double StarGanModel::gradient_penalty(const DataView& batch, uint64_t key, bool backward, float fd_step) {
  require_fitted("gradient_penalty");
  prepare(batch, key);
  nets_->store.zero_grad(nets_->d_span());
  return penalty_pass(batch.n, backward, fd_step);
}

double StarGanModel::generator_objective(const DataView& batch, uint64_t key, bool backward) {
  require_fitted("generator_objective");
  prepare(batch, key);
  return generator_pass(batch, backward);
}

double StarGanModel::train_batch(const DataView& batch, Rng& rng, int64_t step) {
  require_fitted("train_batch");
  if (!optimisers_)
    fail(Status::invalid_argument, "stargan: train_batch runs inside fit, which creates the optimisers");
  stargan::Nets& nets = *nets_;
  // A distributed fit (docs/distributed.md): this rank's block of the batch (its target
  // domains and ε drawn per global row), each network's gradient summed over the ranks before
  // its step; the passes return means over the block, the sums below count rows.
  const double local = static_cast<double>(batch.n);
  const int64_t B = parallel ? parallel->global_rows() : batch.n;
  const uint64_t key = rng.next_u64();
  const double loss_d = nn::reduce_step(parallel, nets.d_span(), [&] {
    prepare(batch, key);
    return discriminator_pass(batch, true) * local;
  });
  nn::require_finite_step(loss_d, nets.d_span(), threads_, kind(), "discriminator", step);
  optimisers_->d.step();
  sum_d_ += loss_d;
  rows_d_ += B;
  if (step % cfg_.d_steps != 0) return loss_d;
  const double loss_g = nn::reduce_step(parallel, nets.g_span(), [&] { return generator_pass(batch, true) * local; });
  nn::require_finite_step(loss_g, nets.g_span(), threads_, kind(), "generator", step);
  optimisers_->g.step();
  sum_g_ += loss_g;
  rows_g_ += B;
  return loss_d + loss_g;
}

}  // namespace gm
