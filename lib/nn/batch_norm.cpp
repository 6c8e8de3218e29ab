#include "nn/batch_norm.hpp"

#include <cmath>
#include <vector>

#include "nn/data_parallel.hpp"
#include "nn/detail/plan_cache.hpp"
#include "nn/init.hpp"
#include "nn/sync_batch_norm.hpp"

namespace gm::nn {

using namespace detail;
using dnnl::normalization_flags;
using bnorm_fwd = dnnl::batch_normalization_forward;
using bnorm_bwd = dnnl::batch_normalization_backward;

namespace {
// (B, C, S) as 4-D. With S = 1, (B, C) row-major is channels-last: oneDNN's nhwc kernel
// vectorises over C instead of striding through it.
memory::desc data_md(int64_t B, int64_t C, int64_t S) {
  return S == 1 ? md({B, C, 1, 1}, Tag::nhwc) : md({B, C, S, 1}, Tag::nchw);
}

const normalization_flags kAffine = normalization_flags::use_scale | normalization_flags::use_shift;

bnorm_fwd::primitive_desc train_pd(int64_t B, int64_t C, int64_t S, float eps) {
  const bnorm_fwd::desc d(dnnl::prop_kind::forward_training, data_md(B, C, S), eps, kAffine);
  return bnorm_fwd::primitive_desc(d, plan_attr(), cpu_engine());
}
}  // namespace

BatchNorm::BatchNorm(ParameterStore& store, const std::string& name, int64_t C, float eps, float momentum)
    : store_(&store),
      C_(C),
      eps_(eps),
      momentum_(momentum),
      train_(std::make_unique<PlanCache>()),
      infer_(std::make_unique<PlanCache>()),
      bwd_(std::make_unique<PlanCache>()) {
  if (C <= 0) fail(Status::invalid_argument, "batch_norm {}: {} channels", name, C);
  if (!(eps > 0.0f)) fail(Status::invalid_argument, "batch_norm {}: eps {} must be > 0", name, eps);
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    fail(Status::invalid_argument, "batch_norm {}: momentum {} outside [0, 1]", name, momentum);
  gamma_ = store.add(name + ".weight", {C});
  beta_ = store.add(name + ".bias", {C});
  running_mean_ = store.add_state(name + ".running_mean", {C});
  running_var_ = store.add_state(name + ".running_var", {C});
  init_constant(store.value(gamma_), C, 1.0f);
  init_constant(store.value(running_var_), C, 1.0f);
}
BatchNorm::~BatchNorm() = default;

// ---------------------------------------------------------------- synchronised (distributed fit)

namespace {
thread_local DataParallel* t_sync = nullptr;

// x (B, C, S): value (b, c, s) at (b·C + c)·S + s.
template <class F>
void each_in_channel(int64_t B, int64_t C, int64_t S, int64_t c, F&& f) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t at = (b * C + c) * S;
    for (int64_t s = 0; s < S; ++s) f(at + s);
  }
}
}  // namespace

SyncBatchNormScope::SyncBatchNormScope(DataParallel* parallel) : previous_(t_sync) {
  if (parallel) t_sync = parallel;
}
SyncBatchNormScope::~SyncBatchNormScope() { t_sync = previous_; }
DataParallel* sync_batch_norm() { return t_sync; }

// Plain loops in double for the sums: the statistics of the global batch are
//   μ = Σ_ranks Σ x / N,  σ² = Σ_ranks Σ x² / N − μ²   (N = every rank's B·S)
void BatchNorm::forward_synced(DataParallel& dp, const float* x, float* y, float* mean, float* var, int64_t B,
                               int64_t S) {
  ParameterStore& s = *store_;
  std::vector<double> acc(static_cast<std::size_t>(2 * C_ + 1), 0.0);
  for (int64_t c = 0; c < C_; ++c) {
    double sx = 0, sxx = 0;
    each_in_channel(B, C_, S, c, [&](int64_t i) {
      sx += x[i];
      sxx += static_cast<double>(x[i]) * x[i];
    });
    acc[c] = sx;
    acc[C_ + c] = sxx;
  }
  acc[2 * C_] = static_cast<double>(B * S);
  dp.communicator().sum(acc.data(), 2 * C_ + 1);
  const double n = acc[2 * C_];
  const float* g = s.value(gamma_);
  const float* be = s.value(beta_);
  for (int64_t c = 0; c < C_; ++c) {
    const double mu = acc[c] / n;
    const double v = std::max(0.0, acc[C_ + c] / n - mu * mu);
    mean[c] = static_cast<float>(mu);
    var[c] = static_cast<float>(v);
    const float inv = static_cast<float>(1.0 / std::sqrt(v + eps_));
    const float m = mean[c];
    each_in_channel(B, C_, S, c, [&](int64_t i) { y[i] = g[c] * ((x[i] - m) * inv) + be[c]; });
  }
  const float unbias = n > 1 ? static_cast<float>(n / (n - 1)) : 1.0f;
  float* rm = s.value(running_mean_);
  float* rv = s.value(running_var_);
  for (int64_t c = 0; c < C_; ++c) {
    rm[c] = (1.0f - momentum_) * rm[c] + momentum_ * mean[c];
    rv[c] = (1.0f - momentum_) * rv[c] + momentum_ * var[c] * unbias;
  }
}

// dy is the gradient of this rank's mean loss, share = its rows / the global batch's times
// that of the global mean loss (the scale DataParallel::reduce applies at the end). So the sums
// over ranks take share·Σdy and share·Σdy·x̂, and dx, kept at this rank's scale, is
//   dx = γ/√(σ²+ε) · (dy − (Σ_all share·dy + x̂ · Σ_all share·dy·x̂) / (N · share))
// which with one rank (share 1) is the formula in the header. dγ, dβ are this rank's sums.
void BatchNorm::backward_synced(DataParallel& dp, const float* x, const float* dy, const float* mean, const float* var,
                                float* dx, int64_t B, int64_t S) {
  ParameterStore& s = *store_;
  const double share = static_cast<double>(dp.local_rows()) / static_cast<double>(dp.global_rows());
  std::vector<double> acc(static_cast<std::size_t>(2 * C_ + 1), 0.0);
  float* dg = s.grad(gamma_);
  float* db = s.grad(beta_);
  for (int64_t c = 0; c < C_; ++c) {
    const float inv = 1.0f / std::sqrt(var[c] + eps_);
    double sd = 0, sdx = 0;
    each_in_channel(B, C_, S, c, [&](int64_t i) {
      sd += dy[i];
      sdx += static_cast<double>(dy[i]) * ((x[i] - mean[c]) * inv);
    });
    dg[c] += static_cast<float>(sdx);
    db[c] += static_cast<float>(sd);
    acc[c] = share * sd;
    acc[C_ + c] = share * sdx;
  }
  acc[2 * C_] = static_cast<double>(B * S);
  dp.communicator().sum(acc.data(), 2 * C_ + 1);
  const double n = acc[2 * C_];
  const float* g = s.value(gamma_);
  for (int64_t c = 0; c < C_; ++c) {
    const float inv = 1.0f / std::sqrt(var[c] + eps_);
    const auto m1 = static_cast<float>(acc[c] / (n * share));
    const auto m2 = static_cast<float>(acc[C_ + c] / (n * share));
    const float gi = g[c] * inv;
    each_in_channel(B, C_, S, c, [&](int64_t i) { dx[i] = gi * (dy[i] - m1 - (x[i] - mean[c]) * inv * m2); });
  }
}
BatchNorm::BatchNorm(BatchNorm&&) noexcept = default;
BatchNorm& BatchNorm::operator=(BatchNorm&&) noexcept = default;

void BatchNorm::forward_train(const float* x, float* y, float* mean, float* var, int64_t B, int64_t S) {
  if (DataParallel* dp = sync_batch_norm()) return forward_synced(*dp, x, y, mean, var, B, S);
  ParameterStore& s = *store_;
  Exec e = train_->acquire({B, S, 0, 0, 0, 0, 0, 0}, [&] {
    return make_plan(train_pd(B, C_, S, eps_),
                     {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE, DNNL_ARG_SHIFT});
  });
  e.set(0, x);
  e.set(1, y);
  e.set(2, mean);
  e.set(3, var);
  e.set(4, s.value(gamma_));
  e.set(5, s.value(beta_));
  e.run();

  const int64_t n = B * S;
  const float unbias = n > 1 ? static_cast<float>(n) / static_cast<float>(n - 1) : 1.0f;
  float* rm = s.value(running_mean_);
  float* rv = s.value(running_var_);
  const float m = momentum_;
  for (int64_t c = 0; c < C_; ++c) {
    rm[c] = (1.0f - m) * rm[c] + m * mean[c];
    rv[c] = (1.0f - m) * rv[c] + m * var[c] * unbias;
  }
}

void BatchNorm::forward_infer(const float* x, float* y, int64_t B, int64_t S) const {
  const ParameterStore& s = *store_;
  Exec e = infer_->acquire({B, S, 0, 0, 0, 0, 0, 0}, [&] {
    const bnorm_fwd::desc d(dnnl::prop_kind::forward_inference, data_md(B, C_, S), eps_,
                            kAffine | normalization_flags::use_global_stats);
    return make_plan(bnorm_fwd::primitive_desc(d, plan_attr(), cpu_engine()),
                     {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE, DNNL_ARG_SHIFT});
  });
  e.set(0, x);
  e.set(1, y);
  e.set(2, s.value(running_mean_));
  e.set(3, s.value(running_var_));
  e.set(4, s.value(gamma_));
  e.set(5, s.value(beta_));
  e.run();
}

void BatchNorm::backward(const float* x, const float* dy, const float* mean, const float* var, float* dx, int64_t B,
                         int64_t S) {
  if (DataParallel* dp = sync_batch_norm()) return backward_synced(*dp, x, dy, mean, var, dx, B, S);
  ParameterStore& s = *store_;
  Exec e = bwd_->acquire({B, S, 0, 0, 0, 0, 0, 0}, [&] {
    const memory::desc m = data_md(B, C_, S);
    const bnorm_bwd::desc d(dnnl::prop_kind::backward, m, m, eps_, kAffine);
    const bnorm_bwd::primitive_desc pd(d, plan_attr(), cpu_engine(), train_pd(B, C_, S, eps_));
    // SHIFT must be passed although the maths does not read it (oneDNN 2.6 refuses to run
    // otherwise, docs/design.md, "The hardware").
    return make_plan(pd, {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_SCALE,
                          DNNL_ARG_SHIFT, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT});
  });
  // oneDNN overwrites dγ, dβ: compute them in temporaries and add (the layer contract).
  float* tmp = e.temp(2 * C_);
  e.set(0, x);
  e.set(1, dy);
  e.set(2, mean);
  e.set(3, var);
  e.set(4, s.value(gamma_));
  e.set(5, s.value(beta_));
  e.set(6, dx);
  e.set(7, tmp);
  e.set(8, tmp + C_);
  e.run();
  float* dg = s.grad(gamma_);
  float* db = s.grad(beta_);
  for (int64_t c = 0; c < C_; ++c) {
    dg[c] += tmp[c];
    db[c] += tmp[C_ + c];
  }
}

}  // namespace gm::nn
