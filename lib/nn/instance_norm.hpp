// Instance normalisation (Ulyanov et al. 2016) over x (B, C, S), S = H·W spatial positions:
// each channel of each image is normalised by its own statistics, n = S values.
//
//   μ_bc = mean_s x[b,c,s],  σ²_bc = mean_s (x − μ_bc)²   (biased, as PyTorch's InstanceNorm2d)
//   x̂ = (x − μ_bc) / √(σ²_bc + ε),  y = γ_c x̂ + β_c        (γ = 1, β = 0 without affine; ε = 1e-5)
//   backward  dβ_c += Σ_{b,s} dy,  dγ_c += Σ_{b,s} dy x̂,
//             dx = γ_c/√(σ²+ε) · (dy − mean_s dy − x̂ · mean_s(dy x̂))   (means per (b, c))
//   S = 1     x̂ = 0: the output is β exactly and dx = 0 (each value is its own mean).
//
// No running statistics: training and inference alike normalise with the instance's own
// statistics, so forward is one const, thread-safe function. That is CycleGAN's official code
// (InstanceNorm2d, affine=False, track_running_stats=False); StarGAN's official code uses
// affine=True with track_running_stats=True, whose eval mode normalises with running averages
// instead — not reproduced here: a translated image then depends only on itself, not on the
// batches training happened to see.
//
// OpenMP loops, not oneDNN: measured faster. One thread of an AVX-512 EPYC, best of 3 × 150
// calls, forward + backward in µs (two-thread times could not be taken: other jobs kept the
// 2-vCPU machine loaded, and every parallel region waited for a time slice):
//                                           (64, 64, 7·7)   (64, 32, 28·28)
//   these loops                              123 +  85       383 +  319
//   oneDNN layer_normalization over the      89 + 241       364 + 1950
//     (B·C, S) rows, γ, β as an extra loop
//   oneDNN batch_normalization on a         388 + 519      3220 + 4070
//     (1, B·C, S) view, γ, β replicated B×
// oneDNN's layer-norm scale and shift are per position, not per channel, so its backward needs
// extra passes, and its batch norm has no fast kernel for a plain layout with N = 1. Its layer
// norm's forward alone wins at S = 49; one implementation keeps forward and backward on the
// same statistics. (A one-pass E[d²] − E[d]² forward ran 1.5× faster but was 5–20× less
// accurate against the double reference: two passes.) Rows are compiled for AVX-512, AVX2
// and baseline (target_clones); a row is one thread's, and backward adds the per-row γ, β
// sums over images in a fixed order, so results do not depend on the thread count. backward
// keeps those sums (2·B·C floats) in a buffer of the calling thread, grown once.
#pragma once

#include <cstdint>
#include <string>

#include "nn/parameter_store.hpp"

namespace gm::nn {

class InstanceNorm {
 public:
  // With affine, registers "<name>.weight" γ (C) = 1 and "<name>.bias" β (C) = 0; without,
  // registers nothing.
  InstanceNorm(ParameterStore& store, const std::string& name, int64_t C, bool affine = true, float eps = 1e-5f);

  // x, y (B, C, S). Writes the statistics mean, var (B·C) when not null: backward needs
  // them. Thread-safe.
  void forward(const float* x, float* y, float* mean, float* var, int64_t B, int64_t S) const;
  // dx (B, C, S) written; with affine, dγ and dβ added into the store's gradients. x, mean
  // and var are forward's.
  void backward(const float* x, const float* dy, const float* mean, const float* var, float* dx, int64_t B, int64_t S);

  int64_t channels() const { return C_; }
  float eps() const { return eps_; }
  bool affine() const { return gamma_.valid(); }
  ParamId gamma() const { return gamma_; }  // invalid without affine
  ParamId beta() const { return beta_; }

 private:
  ParameterStore* store_;
  int64_t C_;
  float eps_;
  ParamId gamma_, beta_;
};

}  // namespace gm::nn
