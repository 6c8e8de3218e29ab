// Optimisers as one fused loop over a flat ParamSpan (OpenMP threads, SIMD lanes): every
// parameter of a model is updated in one pass that reads grad, value and the moments once.
// The moment buffers are allocated at construction; step() allocates nothing.
//
// A span is taken from a ParameterStore once all layers are registered (registration moves
// the buffers). The caller zeroes the gradients before each backward pass.
#pragma once

#include <cstdint>

#include "nn/buffer.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  // false: L2, weight_decay·θ is added to the gradient (PyTorch Adam).
  // true: decoupled, θ ← (1 − lr·weight_decay)·θ before the Adam step (AdamW,
  // Loshchilov & Hutter 2019).
  bool decoupled = false;
};

// Kingma & Ba 2015, in PyTorch's arithmetic so the two track each other step for step:
//   m ← β1 m + (1−β1) g,   v ← β2 v + (1−β2) g²
//   θ ← θ − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
class Adam {
 public:
  explicit Adam(ParamSpan span, const AdamOptions& options = {});
  void step();
  // The trainer's step: checks that every gradient is finite and only then steps, in one
  // thread team (each thread scans its chunk, a barrier, each updates its chunk), and zeroes
  // the gradients it consumed for the next backward pass. Returns false, with nothing
  // changed, if a gradient is NaN or infinite. One pass over the gradients instead of three
  // (scan, update, memset) and one OpenMP wake-up instead of two: 5–10% of a vae step.
  bool step_if_finite_and_zero_grad();
  void set_lr(float lr) { opt_.lr = lr; }
  const AdamOptions& options() const { return opt_; }
  int64_t steps() const { return t_; }
  // The step count and the two moment buffers (span().count floats each): what a checkpoint
  // keeps so that a resumed fit takes the very same steps. set_state throws invalid_argument
  // when the sizes differ from this optimiser's span.
  int64_t size() const { return span_.count; }
  const float* first_moment() const { return m_.data(); }
  const float* second_moment() const { return v_.data(); }
  void set_state(int64_t steps, const float* m, const float* v);

 private:
  ParamSpan span_;
  AdamOptions opt_;
  int64_t t_ = 0;
  Buffer m_, v_;
};

struct SgdOptions {
  float lr = 1e-2f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;  // L2: added to the gradient
  bool nesterov = false;
};

// PyTorch's SGD (dampening 0):  g ← ∇ + wd·θ;  u ← μ u + g;  θ ← θ − lr·(nesterov ? g + μ u : u)
class Sgd {
 public:
  explicit Sgd(ParamSpan span, const SgdOptions& options = {});
  void step();
  void set_lr(float lr) { opt_.lr = lr; }
  const SgdOptions& options() const { return opt_; }

 private:
  ParamSpan span_;
  SgdOptions opt_;
  Buffer u_;
};

}  // namespace gm::nn
