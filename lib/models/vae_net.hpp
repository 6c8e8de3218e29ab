// The two networks of a vae (see vae.hpp for the model), each an nn::Sequential: stages of a
// dense, convolution or transposed-convolution layer, optionally followed by a ReLU in place
// on the layer's output. The encoder ends in one dense head x → [μ | λ] (2Z a row), which
// the vae splits; the decoder maps z to logits or means.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/generative_model.hpp"
#include "models/vae.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::vae {

// One stage of the architecture, before anything is allocated. dense: in, out are widths;
// conv / deconv: channels, with a 4×4 kernel, stride 2, padding 1, so an (in, h, w) input
// becomes (out, h/2, w/2), or (out, 2h, 2w) transposed; activation none or relu.
struct LayerPlan {
  bool decoder = false;
  nn::StageSpec stage;
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

// Every parameter of one vae in one store: the encoder x → [μ | λ] (2Z), the decoder
// z → logits or means (D) and, for a learned Gaussian variance, the log-variance (D).
class VaeNet {
 public:
  VaeNet(const Config& cfg, const DataShape& shape, const std::vector<LayerPlan>& plan);
  void init(Rng& rng);

  nn::ParameterStore store;
  nn::Sequential encoder, decoder;
  nn::ParamId logvar;  // (D), learned Gaussian variance only
};

}  // namespace gm::vae
