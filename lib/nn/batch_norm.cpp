#include "nn/batch_norm.hpp"

#include <cmath>

#include "nn/detail/plan_cache.hpp"
#include "nn/init.hpp"

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
BatchNorm::BatchNorm(BatchNorm&&) noexcept = default;
BatchNorm& BatchNorm::operator=(BatchNorm&&) noexcept = default;

void BatchNorm::forward_train(const float* x, float* y, float* mean, float* var, int64_t B, int64_t S) {
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
