// A chain of stages, each  layer → [batch norm] → [activation],  with the activations a
// backward pass needs kept in a caller-owned Work. The GAN family builds its generators and
// discriminators from it (MLP and DCGAN alike); any family whose network is a plain chain can.
//
//   layer       dense (Linear), conv (Conv2d) or deconv (ConvTranspose2d), NCHW activations;
//               a dense stage after a conv stage reads the (C, H, W) block as one flat row,
//               which is exactly PyTorch's flatten of NCHW.
//   batch norm  per output channel (per feature for dense), batch statistics in training
//               and running statistics in inference (nn/batch_norm.hpp)
//   activation  nn::Act: none, relu, leaky_relu(α), tanh, sigmoid (not softplus: its backward
//               reads the input, which the in-place activation overwrites)
//
// Stored per stage for backward: z = the layer's output (batch norm's input) and y = the
// stage's output (the activation's output; the same buffer as z without batch norm, as the
// activations run in place). backward walks the stages in reverse:
//   g ← g ⊙ f'(y);  g ← BN⁻ᵀ(g) (needs z and the batch statistics);  g ← layerᵀ(g).
// backward(..., weights = false) propagates to the input without touching any parameter
// gradient (a GAN's generator step through its discriminator).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/activation.hpp"
#include "nn/batch_norm.hpp"
#include "nn/buffer.hpp"
#include "nn/conv2d.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

enum class Layer { dense, conv, deconv };

struct StageSpec {
  Layer layer = Layer::dense;
  std::string name;            // parameter prefix: "<name>.weight", "<name>.bn.weight", ...
  int64_t in = 0, out = 0;     // features (dense) or channels (conv, deconv)
  int64_t in_h = 1, in_w = 1;  // input spatial size (conv, deconv)
  int64_t kernel = 0, stride = 1, padding = 0;
  bool bias = true;
  bool batch_norm = false;
  Act act = Act::none;  // relu runs as plain loops, the others on oneDNN eltwise
  float alpha = 0.2f;   // leaky_relu slope
};

// Activations of one pass for B rows; sized on first use, only grows.
struct SequentialWork {
  struct StageBuffers {
    Buffer z, y, mean, var;
  };
  std::vector<StageBuffers> stages;
  Buffer grad_a, grad_b;
  int64_t rows = 0;
};

class Sequential {
 public:
  Sequential() = default;
  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(Sequential&&) noexcept = default;

  // Registers the stage's parameters in store (the store must outlive this object). Throws
  // invalid_config if the spec does not chain onto the previous stage.
  void add(ParameterStore& store, const StageSpec& spec);

  // Every layer's default (PyTorch) initialisation; batch norm starts at γ = 1, β = 0.
  void init_default(Rng& rng);

  int64_t in_size() const;   // floats per input row
  int64_t out_size() const;  // floats per output row
  std::size_t size() const { return stages_.size(); }
  const StageSpec& spec(std::size_t i) const { return stages_[i].spec; }
  // Parameters of stage i's layer and batch norm (for custom initialisers).
  ParamId weight(std::size_t i) const;
  ParamId bias(std::size_t i) const;  // invalid without bias
  const BatchNorm* batch_norm(std::size_t i) const { return stages_[i].bn.get(); }
  // The first and last trainable tensor this network registered: the span an optimiser of
  // this network alone steps (ParameterStore::span(first, last)).
  ParamId first_param() const { return first_; }
  ParamId last_param() const { return last_; }

  // Training pass (batch statistics; updates running statistics). Returns the output
  // (B, out_size()), valid until the next pass with the same work.
  const float* forward_train(const float* x, int64_t B, SequentialWork& work);
  // Inference pass (running statistics). Thread-safe with distinct works.
  const float* forward_infer(const float* x, int64_t B, SequentialWork& work) const;
  // After forward_train on the same x and work: dy (B, out_size()) is overwritten (the
  // activation's backward runs in place), dx (B, in_size()) written if not null, parameter
  // gradients added when weights is true.
  void backward(const float* x, float* dy, float* dx, int64_t B, SequentialWork& work, bool weights = true);
  // Stage i's output (B, stage i's out floats) of the last pass with work: an inner layer's
  // activations, e.g. a classifier's features before its last stage.
  const float* stage_output(std::size_t i, const SequentialWork& work) const {
    return stages_[i].bn ? work.stages[i].y.data() : work.stages[i].z.data();
  }

 private:
  struct Stage {
    StageSpec spec;
    int64_t out_h = 1, out_w = 1;
    std::unique_ptr<Linear> linear;
    std::unique_ptr<Conv2d> conv;
    std::unique_ptr<BatchNorm> bn;
    std::unique_ptr<Activation> act;  // oneDNN eltwise for all but relu
    int64_t in_floats() const { return spec.layer == Layer::dense ? spec.in : spec.in * spec.in_h * spec.in_w; }
    int64_t out_floats() const { return spec.out * out_h * out_w; }
    int64_t spatial() const { return out_h * out_w; }
  };

  void reserve(SequentialWork& work, int64_t B) const;
  void layer_forward(const Stage& s, const float* in, float* z, int64_t B) const;
  void activate(const Stage& s, float* y, int64_t n) const;

  std::vector<Stage> stages_;
  ParamId first_, last_;
};

}  // namespace gm::nn
