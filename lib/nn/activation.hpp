// Elementwise activations on oneDNN eltwise, over n contiguous floats (any shape).
//
//   relu        y = max(x, 0)                       y' = [y > 0]
//   leaky_relu  y = x if x > 0 else α·x  (α ≥ 0)     y' = 1 if y > 0 else α
//   sigmoid     y = 1 / (1 + e^{−x})                y' = y (1 − y)
//   tanh        y = tanh x                          y' = 1 − y²
//   softplus    y = log(1 + e^x)                    y' = σ(x)
//   none        y = x (the identity: a layer without activation, e.g. in nn::StageSpec;
//               an Activation object refuses it, callers skip the call instead)
//
// All but softplus use oneDNN's *_use_dst_for_bwd algorithms: backward reads the output y,
// not the input, so forward may overwrite its input (x == y) and save a buffer. Softplus
// has no such variant in oneDNN 2.6; its backward reads x.
#pragma once

#include <cstdint>
#include <memory>

namespace gm::nn {

namespace detail {
class PlanCache;
}

// The one activation enum of the kit (Activation, nn::StageSpec, the reference kernels).
enum class Act { none, relu, leaky_relu, sigmoid, tanh, softplus };

class Activation {
 public:
  explicit Activation(Act kind = Act::relu, float alpha = 0.0f);
  ~Activation();
  Activation(Activation&&) noexcept;
  Activation& operator=(Activation&&) noexcept;

  // y = f(x); in place (x == y) allowed. Thread-safe.
  void forward(const float* x, float* y, int64_t n) const;
  // dx = dy ⊙ f'(·); dx may alias dy. Pass forward's output y (uses_output()) or its input
  // x (softplus); the other may be null. Thread-safe.
  void backward(const float* x, const float* y, const float* dy, float* dx, int64_t n) const;

  bool uses_output() const { return kind_ != Act::softplus; }
  Act kind() const { return kind_; }
  float alpha() const { return alpha_; }

 private:
  Act kind_;
  float alpha_;
  std::unique_ptr<detail::PlanCache> fwd_, bwd_;
};

// ReLU as plain loops, for activations of a few hundred thousand floats or fewer: a oneDNN
// eltwise call there costs mostly the wake-up of the thread team (measured 20–60 µs per call
// on a 100 × 400 activation, against ≈ 5 µs for this loop on one thread).
//   relu_inplace           y = max(y, 0)
//   relu_backward_inplace  g = g ⊙ [y > 0]   (y is the forward output)
void relu_inplace(float* y, int64_t n);
void relu_backward_inplace(const float* y, float* g, int64_t n);

}  // namespace gm::nn
