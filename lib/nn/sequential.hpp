// A chain of stages, each
//   [upsample] → layer → [norm] → [activation] → [pixel norm] → [average pool],
// with the activations a backward pass needs kept in a caller-owned Work. The GAN family builds its generators and
// discriminators from it (MLP, DCGAN, and CycleGAN's / StarGAN's residual generators and
// PatchGAN discriminators); any family whose network is a plain chain can.
//
//   layer       dense (Linear), conv (Conv2d) or deconv (ConvTranspose2d), NCHW activations;
//               a dense stage after a conv stage reads the (C, H, W) block as one flat row,
//               which is exactly PyTorch's flatten of NCHW. A conv stage may pad by
//               reflection instead of zeros (nn/reflect_pad.hpp, CycleGAN's 7×7 convolutions).
//               residual: CycleGAN's block (nn/residual_block.hpp), in = out channels, the
//               spatial size unchanged; kernel, stride, padding and bias are the block's own
//               (3×3, 1, 1, none) and the spec's are ignored.
//               mix: spatial mixing y = x + M_g x across the H·W positions of each channel
//               (nn/spatial_mix.hpp), `groups` matrices, in = out channels, the size unchanged;
//               kernel, stride, padding and bias are ignored, and it takes no norm.
//   norm        batch norm: per output channel (per feature for dense), batch statistics in
//               training and running statistics in inference (nn/batch_norm.hpp);
//               instance norm (conv and deconv stages): per image and channel, the same in
//               training and inference (nn/instance_norm.hpp), with or without γ, β.
//               A residual stage takes neither (its block has its own instance norms).
//   activation  nn::Act: none, relu, leaky_relu(α), tanh, sigmoid (not softplus: its backward
//               reads the input, which the in-place activation overwrites)
//   ProGAN's options (issue 16; nn/equalized_lr.hpp, pixel_norm.hpp, resample.hpp):
//   equalized   dense, conv, deconv: the layer's weights are used as c·w, c = gain/√fan_in
//               (fan_in = in for dense, in·kernel² for conv and deconv); the layer runs on a
//               scaled copy of its input and its input gradient is scaled by c after.
//               init_default then draws w ~ N(0, 1) and zeroes the bias.
//   upsample    conv: nearest 2× upsampling of the input before the layer; in_h, in_w are the
//               input's size before it (not with reflect).
//   pixel_norm  after the activation: each pixel's C = out channels scaled to unit mean
//               square (a dense stage's out features as one vector).
//   avg_pool    conv, deconv: 2×2 average pool after the activation (and the pixel norm), as
//               the official discriminator's conv → bias → act → downscale; the layer's output
//               must have an even height and width.
//
// Parameter names: "<name>.weight", "<name>.bias" for the layer, "<name>.bn.weight", ".bias",
// ".running_mean", ".running_var" for batch norm, "<name>.in.weight", ".bias" for an affine
// instance norm; a residual stage registers its block's under "<name>." (conv1.weight,
// in1.weight, in1.bias, conv2.weight, in2.weight, in2.bias; nn/residual_block.hpp).
//
// Stored per stage for backward: z = the layer's output (the norm's input) and y = the
// activation's output (the same buffer as z without a norm, as the activations run in place),
// the norm's statistics, the reflection-padded, upsampled or scaled input of the layer, the
// pixel norm's and the pool's outputs and a residual block's own work. backward walks the
// stages in reverse:
//   g ← poolᵀ(g);  g ← pixel_normᵀ(g) (needs y);  g ← g ⊙ f'(y);  g ← normᵀ(g) (needs z and
//   the statistics);  g ← layerᵀ(g), then the upsampling's or padding's adjoint and ×c.
// backward(..., weights = false) propagates to the input without touching any layer's weight
// gradient (a GAN's generator step through its discriminator); the norms' γ, β gradients are
// added either way (C floats; callers zero a network's gradients before the step using them).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "nn/activation.hpp"
#include "nn/batch_norm.hpp"
#include "nn/buffer.hpp"
#include "nn/conv2d.hpp"
#include "nn/instance_norm.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"
#include "nn/residual_block.hpp"
#include "nn/spatial_mix.hpp"

namespace gm::nn {

enum class Layer { dense, conv, deconv, residual, mix };

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
  // Appended for CycleGAN and StarGAN (issue 15); the defaults leave every earlier spec as it was.
  bool instance_norm = false;  // conv, deconv: instance norm after the layer (not with batch_norm)
  bool affine = true;          // the instance norm's γ, β: this stage's, or a residual block's two
  bool reflect = false;        // pad by reflection, not zeros: a conv stage by padding, a residual block by 1
  // Appended for ProGAN (issue 16); the defaults leave every earlier spec as it was.
  bool equalized = false;    // dense, conv, deconv: equalised learning rate, weights used as c·w
  float gain = 1.41421356f;  // c = gain / √fan_in: √2 before a (leaky) ReLU, 1 for a last layer
  bool upsample = false;     // conv: nearest 2× upsampling of the input first
  bool pixel_norm = false;   // pixel norm after the activation
  bool avg_pool = false;     // conv, deconv: 2×2 average pool after the activation and pixel norm
  int64_t groups = 1;        // a mix stage's matrices (channels per matrix: in / groups)
};

// The tensors (name, shape) Sequential::add(store, spec) registers, in its order, trainable and
// state: what a model's loader checks a file against before it builds the network.
std::vector<std::pair<std::string, std::vector<int64_t>>> stage_tensors(const StageSpec& spec);

// Activations of one pass for B rows; sized on first use, only grows.
struct SequentialWork {
  struct StageBuffers {
    Buffer z, y, mean, var;
    Buffer pad;        // a reflection-padded conv stage's input
    ResidualWork res;  // a residual stage's block
    Buffer up;         // an upsampling conv stage's upsampled input
    Buffer scaled;     // an equalised stage's scaled input (when neither padded nor upsampled)
    Buffer pn, pool;   // the pixel norm's and the average pool's outputs
  };
  std::vector<StageBuffers> stages;
  Buffer grad_a, grad_b;
  Buffer grad_pad;  // a reflection-padded conv stage's input gradient, before folding
  Buffer grad_up;   // an upsampling conv stage's upsampled input gradient, before summing
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

  // Every layer's default (PyTorch) initialisation — N(0, 1) weights and zero biases for an
  // equalised stage; the norms start at γ = 1, β = 0.
  void init_default(Rng& rng);

  int64_t in_size() const;   // floats per input row
  int64_t out_size() const;  // floats per output row
  std::size_t size() const { return stages_.size(); }
  const StageSpec& spec(std::size_t i) const { return stages_[i].spec; }
  // Parameters of stage i's layer and norm (for custom initialisers). A residual stage's
  // weight is its first convolution's, its bias invalid; residual(i) has the rest.
  ParamId weight(std::size_t i) const;
  ParamId bias(std::size_t i) const;  // invalid without bias
  const BatchNorm* batch_norm(std::size_t i) const { return stages_[i].bn.get(); }
  const InstanceNorm* instance_norm(std::size_t i) const { return stages_[i].in.get(); }
  const ResidualBlock* residual(std::size_t i) const { return stages_[i].res.get(); }
  const SpatialMix* mix(std::size_t i) const { return stages_[i].mix.get(); }
  // Stage i's convolution (conv and deconv stages; null for the others), for a caller that
  // runs more than the chain's own passes with its weights (StarGAN's double backward). An
  // equalised stage's convolution reads the stored weights: its map is weight_scale(i) times
  // this one's.
  Conv2d* conv(std::size_t i) { return stages_[i].conv.get(); }
  // The equalised learning rate's c of stage i; 1 for a stage without it.
  float weight_scale(std::size_t i) const { return stages_[i].scale; }
  // The first and last trainable tensor this network registered: the span an optimiser of
  // this network alone steps (ParameterStore::span(first, last)).
  ParamId first_param() const { return first_; }
  ParamId last_param() const { return last_; }

  // Training pass (batch statistics; updates batch norm's running statistics). Returns the output
  // (B, out_size()), valid until the next pass with the same work.
  const float* forward_train(const float* x, int64_t B, SequentialWork& work);
  // Inference pass (batch norm's running statistics). Thread-safe with distinct works.
  const float* forward_infer(const float* x, int64_t B, SequentialWork& work) const;
  // After forward_train on the same x and work: dy (B, out_size()) is overwritten (the
  // activation's backward runs in place), dx (B, in_size()) written if not null, parameter
  // gradients added when weights is true.
  void backward(const float* x, float* dy, float* dx, int64_t B, SequentialWork& work, bool weights = true);
  // Stage i's output (B, stage i's out floats) of the last pass with work: an inner layer's
  // activations, e.g. a classifier's features before its last stage.
  const float* stage_output(std::size_t i, const SequentialWork& work) const {
    const Stage& s = stages_[i];
    const SequentialWork::StageBuffers& w = work.stages[i];
    if (s.spec.avg_pool) return w.pool.data();
    if (s.spec.pixel_norm) return w.pn.data();
    return s.normed() ? w.y.data() : w.z.data();
  }

 private:
  struct Stage {
    StageSpec spec;
    int64_t layer_h = 1, layer_w = 1;  // the layer's output (before an average pool)
    int64_t out_h = 1, out_w = 1;      // the stage's output
    float scale = 1.0f;                // equalised: the layer runs on scale · its input
    std::unique_ptr<Linear> linear;
    std::unique_ptr<Conv2d> conv;
    std::unique_ptr<BatchNorm> bn;
    std::unique_ptr<InstanceNorm> in;
    std::unique_ptr<ResidualBlock> res;
    std::unique_ptr<SpatialMix> mix;
    std::unique_ptr<Activation> act;  // oneDNN eltwise for all but relu
    bool normed() const { return bn || in; }
    bool padded() const { return spec.reflect && conv; }  // reflection-padded conv
    bool scaled() const { return scale != 1.0f; }
    int64_t padded_floats() const { return spec.in * (spec.in_h + 2 * spec.padding) * (spec.in_w + 2 * spec.padding); }
    int64_t upsampled_floats() const { return 4 * spec.in * spec.in_h * spec.in_w; }
    int64_t in_floats() const { return spec.layer == Layer::dense ? spec.in : spec.in * spec.in_h * spec.in_w; }
    int64_t layer_floats() const { return spec.out * layer_h * layer_w; }
    int64_t out_floats() const { return spec.out * out_h * out_w; }
    int64_t spatial() const { return layer_h * layer_w; }  // per channel, for the norms
  };

  void reserve(SequentialWork& work, int64_t B) const;
  // The layer's input as it runs (upsampled, padded, scaled: a work buffer, or in itself)
  // and its height and width. prepare writes the copies; stored reads them back for backward.
  const float* prepare_input(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t B, int64_t& H,
                             int64_t& W) const;
  const float* stored_input(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t& H,
                            int64_t& W) const;
  void layer_forward(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t B) const;
  // Activation, pixel norm and pool after the norm; returns the stage's output.
  const float* finish_stage(const Stage& s, SequentialWork::StageBuffers& w, int64_t B) const;
  void norm_forward(const Stage& s, SequentialWork::StageBuffers& w, int64_t B, bool train) const;
  void layer_backward(Stage& s, const float* in, const float* g, float* next, SequentialWork& work, std::size_t i,
                      int64_t B, bool weights);
  void activate(const Stage& s, float* y, int64_t n) const;

  std::vector<Stage> stages_;
  ParamId first_, last_;
  ParameterStore* store_ = nullptr;  // for the equalised stages' initialisation
};

}  // namespace gm::nn
