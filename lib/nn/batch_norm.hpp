// Batch normalisation (Ioffe & Szegedy 2015) over C channels of x (B, C, S), S = H·W spatial
// positions (S = 1 for a (B, C) activation). Statistics are per channel over n = B·S values.
//
//   training   μ_c = mean x[:, c, :],  σ²_c = mean (x − μ_c)²  (biased, as in the paper)
//              x̂ = (x − μ) / √(σ² + ε),  y = γ x̂ + β
//              running ← (1 − m)·running + m·batch, with the unbiased σ²·n/(n−1) for the
//              running variance (PyTorch's convention, so its models load and match here)
//   inference  the same with the running statistics
//   backward   dβ += Σ dy,  dγ += Σ dy x̂,
//              dx = γ/√(σ²+ε) · (dy − mean(dy) − x̂ · mean(dy x̂))   (means per channel)
//
// On oneDNN batch_normalization with separate scale and shift (use_scale | use_shift). The
// running statistics are state in the ParameterStore (saved with the model, never
// optimised): oneDNN only reports batch statistics, keeping the running ones is ours.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "nn/parameter_store.hpp"

namespace gm::nn {

namespace detail {
class PlanCache;
}
class DataParallel;

class BatchNorm {
 public:
  // Registers "<name>.weight" γ (C) = 1, "<name>.bias" β (C) = 0 and the state
  // "<name>.running_mean" (C) = 0, "<name>.running_var" (C) = 1.
  BatchNorm(ParameterStore& store, const std::string& name, int64_t C, float eps = 1e-5f, float momentum = 0.1f);
  ~BatchNorm();
  BatchNorm(BatchNorm&&) noexcept;
  BatchNorm& operator=(BatchNorm&&) noexcept;

  // Training: normalises with batch statistics, writes them to mean, var (C) — keep them
  // for backward — and updates the running statistics. Not thread-safe (writes state).
  void forward_train(const float* x, float* y, float* mean, float* var, int64_t B, int64_t S);
  // Inference with the running statistics. Thread-safe.
  void forward_infer(const float* x, float* y, int64_t B, int64_t S) const;
  // dx (B, C, S) written; dγ, dβ added into the store's gradients. mean, var from
  // forward_train on the same x.
  void backward(const float* x, const float* dy, const float* mean, const float* var, float* dx, int64_t B, int64_t S);

  int64_t channels() const { return C_; }
  float eps() const { return eps_; }
  ParamId gamma() const { return gamma_; }
  ParamId beta() const { return beta_; }
  ParamId running_mean() const { return running_mean_; }
  ParamId running_var() const { return running_var_; }

 private:
  // Inside a SyncBatchNormScope (nn/sync_batch_norm.hpp): the statistics of every rank's block.
  void forward_synced(DataParallel& dp, const float* x, float* y, float* mean, float* var, int64_t B, int64_t S);
  void backward_synced(DataParallel& dp, const float* x, const float* dy, const float* mean, const float* var,
                       float* dx, int64_t B, int64_t S);

  ParameterStore* store_;
  int64_t C_;
  float eps_, momentum_;
  ParamId gamma_, beta_, running_mean_, running_var_;
  std::unique_ptr<detail::PlanCache> train_, infer_, bwd_;
};

}  // namespace gm::nn
