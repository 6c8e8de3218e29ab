// The Gated PixelCNN network (van den Oord et al. 2016, "Conditional Image Generation with
// PixelCNN Decoders"; masks from "Pixel Recurrent Neural Networks", §3.4), without a blind
// spot: a vertical stack that sees the rows above and a horizontal stack that sees the
// pixels to the left, both built from rectangular causal convolutions (nn/conv2d.hpp,
// nn/masked_conv2d.hpp: the same arithmetic as masked K×K kernels on fewer taps).
//
// Letters: B batch, C image channels, H × W pixels, F feature maps, L gated layers, M levels.
// Order of the values: pixels in raster order, within a pixel channel 0 < … < C−1; feature
// maps are split into C groups (group g may see channels < g of the current pixel).
//
//   x̃ = 2x/(M−1) − 1 (B, C, H, W);  x̃↓ = x̃ shifted down one row (row 0 zero)
//   layer 0:  v̂ = conv_{K0/2 × K0}(x̃↓)            rows i−K0/2 … i−1 of x̃
//             ĥ = conv_{1 × (K0/2+1)}(x̃), mask A   pixels j−K0/2 … j, channels < g at j
//   layer l:  v̂ = conv_{(K/2+1) × K}(v_{l−1})     rows i−K/2 … i of v (which saw rows < i)
//             ĥ = conv_{1 × (K/2+1)}(h_{l−1}), mask B
//   every l:  v̂ += e_l[y];  ĥ += conv_{1×1}(v̂) + e_l[y]     (e_l (classes, 2F): label bias)
//             v_l = tanh(v̂_a) ⊙ σ(v̂_g);  g_l = tanh(ĥ_a) ⊙ σ(ĥ_g)          (nn/gated.hpp)
//             h_l = conv_{1×1}(g_l) (mask B) + h_{l−1} (the residual, l > 0)
//   out:      logits = conv_{1×1}(relu(conv_{1×1}(relu(h_{L−1})))) (masks B), (B, C·M, H, W):
//             channel c's M logits are maps c·M … c·M+M−1, group c.
//   p(x_{c,i,j} = m | everything before it) = softmax(logits[c·M … c·M+M−1, i, j])_m
//
// Parameters (one nn::ParameterStore, saved under these names):
//   "l<l>.v.weight" (2F, Cin, KH, K) and ".bias" (2F)     vertical convolution
//   "l<l>.h.weight" (2F, Cin, 1, K/2+1) and ".bias" (2F)  horizontal convolution (masked)
//   "l<l>.vh.weight" (2F, 2F, 1, 1)                       vertical → horizontal
//   "l<l>.hh.weight" (F, F, 1, 1) and ".bias" (F)         horizontal 1×1 (masked)
//   "l<l>.label" (classes, 2F)                            with classes > 0 only
//   "out1.weight" (F, F, 1, 1), "out1.bias" (F), "out2.weight" (C·M, F, 1, 1), "out2.bias" (C·M)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "nn/conv2d.hpp"
#include "nn/masked_conv2d.hpp"
#include "nn/parameter_store.hpp"

namespace gm::pixelcnn {

struct Dims {
  int64_t C = 1, H = 1, W = 1;
  int64_t F = 64, L = 7, K0 = 7, K = 3, M = 2, classes = 0;
  int64_t plane() const { return H * W; }
};

// The activations of one forward pass of B images, kept for backward (grown on first use).
struct Workspace {
  int64_t B = 0;
  std::vector<float> xin, xshift, logits;  // (B, C, H, W) ×2, (B, C·M, H, W)
  std::vector<float> vpre, hpre;           // L × (B, 2F, H, W)
  std::vector<float> v, g, h;              // L × (B, F, H, W)
  std::vector<float> r1, o1;               // relu(h_{L−1}), relu(out1) (B, F, H, W)
  std::vector<float> tmp2;                 // (B, 2F, H, W)
  // backward
  std::vector<float> dlogits, dh, dhin, dg, dv, dvnext, dhpre, dvpre, dtmp2;
};

class Net {
 public:
  explicit Net(const Dims& dims);
  ~Net();
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  const Dims& dims() const { return d_; }
  nn::ParameterStore& store() { return *store_; }
  const nn::ParameterStore& store() const { return *store_; }
  void init(Rng& rng);
  // Zeroes every masked weight (after parameters came from a file).
  void enforce_masks();

  // x (B, C, H, W) integer levels as floats; labels (B) in [0, classes) or null (classes = 0).
  // Fills ws.logits. Thread-safe for distinct workspaces.
  void forward(const float* x, const int32_t* labels, int64_t B, Workspace& ws) const;
  // After forward on the same ws, with ws.dlogits = dLoss/dlogits: ADDS every parameter
  // gradient into the store.
  void backward(const int32_t* labels, Workspace& ws);

  // Σ over the image of log softmax(logits)[x] per row (double), from ws.logits.
  void row_log_probs(const float* x, const Workspace& ws, double* out) const;
  // The training loss from ws.logits: returns Σ_rows −log p(x) and writes ws.dlogits =
  // d(mean over the B rows)/dlogits = (softmax − onehot(x)) / B; row_loss (B) or null.
  double nll_and_grad(const float* x, Workspace& ws, double* row_loss) const;

  // Autoregressive pass over B images, position by position in the model's order, reusing
  // work between positions: once per image row the vertical stack's row (it depends on the
  // rows above only), then per pixel and channel only the horizontal stack's column j of
  // each layer and the output head. At each position visit(c, i, j, logits) gets the (B, C·M)
  // logits of pixel (i, j) and must write x[b, c, i, j] for every b; later positions read it.
  using Visit = std::function<void(int64_t c, int64_t i, int64_t j, const float* logits)>;
  void autoregress(float* x, const int32_t* labels, int64_t B, const Visit& visit) const;

 private:
  struct Layer {
    nn::Conv2d v;         // (2F, Cin, KH, K) vertical
    nn::MaskedConv2d h;   // (2F, Cin, 1, K/2+1) horizontal
    nn::Conv2d vh;        // (2F, 2F, 1, 1) vertical → horizontal
    nn::MaskedConv2d hh;  // (F, F, 1, 1)
    nn::ParamId label;    // (classes, 2F)
    // The sampler's faces of the same weights: v on a window of rows, h on a window of pixels.
    nn::Conv2d v_row, h_px;
  };
  void add_label_bias(float* pre, const int32_t* labels, int64_t B, int64_t l, int64_t S) const;
  void label_bias_grad(const float* dpre, const int32_t* labels, int64_t B, int64_t l, int64_t S);

  Dims d_;
  std::unique_ptr<nn::ParameterStore> store_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::unique_ptr<nn::MaskedConv2d> out1_, out2_;
};

}  // namespace gm::pixelcnn
