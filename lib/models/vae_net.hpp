// The two networks of a vae (see vae.hpp for the model) as lists of stages. A stage is a
// dense, convolution or transposed-convolution layer, optionally followed by a ReLU that
// runs in place on the layer's output (oneDNN's relu_use_dst_for_bwd backward reads that
// output, and the layer's own backward needs only its input: one buffer per stage).
//
// A Network's forward is const and thread-safe: every activation lives in the caller's
// NetWork. backward adds the parameter gradients into the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/generative_model.hpp"
#include "models/vae.hpp"
#include "nn/activation.hpp"
#include "nn/buffer.hpp"
#include "nn/conv2d.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"

namespace gm::vae {

struct Stage {
  enum Kind { dense, conv, deconv };
  Kind kind = dense;
  bool relu = false;
  int64_t in = 0, out = 0;  // floats per row
  int64_t h = 0, w = 0;     // input height and width (conv, deconv)
  std::unique_ptr<nn::Linear> linear;
  std::unique_ptr<nn::Conv2d> conv2d;  // a Conv2d or a ConvTranspose2d
};

// Activations of one network for B rows: acts[i] (B, stage i out), and two gradient buffers
// (B, widest stage). Buffers only grow, so alternating batch sizes do not allocate.
struct NetWork {
  std::vector<nn::Buffer> acts;
  nn::Buffer grad_a, grad_b;
};

// One layer of the architecture, before anything is allocated. dense: in, out are widths;
// conv / deconv: channels, with a 4×4 kernel, stride 2, padding 1, so an (in, h, w) input
// becomes (out, h/2, w/2), or (out, 2h, 2w) transposed.
struct LayerPlan {
  bool decoder = false;
  Stage::Kind kind = Stage::dense;
  std::string name;
  int64_t in = 0, out = 0, h = 0, w = 0;
  bool relu = false;
};

// The layers a configuration implies for data of this shape, encoder first. Throws
// `status` if a conv architecture does not fit the shape (an image whose height and width
// are multiples of 2^(number of conv layers)).
std::vector<LayerPlan> plan_layers(const Config& cfg, const DataShape& shape, Status status);

struct TensorShape {
  std::string name;
  std::vector<int64_t> shape;
};
// Every tensor of the plan, in the order VaeNet registers them (dec.logvar last).
std::vector<TensorShape> plan_tensors(const Config& cfg, const DataShape& shape, const std::vector<LayerPlan>& plan);

class Network {
 public:
  void add(nn::ParameterStore& store, const LayerPlan& layer);
  void init(Rng& rng);

  int64_t in() const { return stages_.front().in; }
  int64_t out() const { return stages_.back().out; }

  // x (B, in) → (B, out), a pointer into work. Thread-safe.
  const float* forward(const float* x, int64_t B, NetWork& work) const;
  // After forward(x) with the same work: dy (B, out) is overwritten, dx (B, in) is written
  // unless null, and the parameter gradients are added into the store.
  void backward(const float* x, float* dy, float* dx, int64_t B, NetWork& work);

 private:
  void reserve(NetWork& work, int64_t B) const;
  std::vector<Stage> stages_;
};

// Every parameter of one vae in one store: the encoder x → [μ | λ] (2Z), the decoder
// z → logits or means (D) and, for a learned Gaussian variance, the log-variance (D).
class VaeNet {
 public:
  VaeNet(const Config& cfg, const DataShape& shape, const std::vector<LayerPlan>& plan);
  void init(Rng& rng);

  nn::ParameterStore store;
  Network encoder, decoder;
  nn::ParamId logvar;  // (D), learned Gaussian variance only
};

}  // namespace gm::vae
