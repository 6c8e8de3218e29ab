// CycleGAN's residual block (Zhu et al. 2017, appendix 7.2, after Johnson et al. 2016), C
// channels in and out, spatial size unchanged:
//
//   y = x + IN₂(conv₂(pad(ReLU(IN₁(conv₁(pad(x)))))))
//
//   conv   3×3, stride 1, C → C, no bias: a per-channel constant before instance norm is
//          removed again by its mean (CycleGAN's code has one, and it receives zero gradient)
//   IN     nn::InstanceNorm, with or without γ, β (the constructor's affine)
//   pad    1 pixel: reflection (nn/reflect_pad.hpp) or the convolution's own zeros
//   no activation after the sum (the paper's and the official code's block; ResNet's has one)
//
// Padding: reflection, as the paper and its code (ReflectionPad2d), is the default. oneDNN's
// convolutions pad with zeros only, so the reflection is its own small op (a copy into a
// (B, C, H+2, W+2) buffer, and the adjoint that folds the gradient back; reference and tests
// like every layer) in front of a convolution without padding. Zeros would give every border
// pixel a dark frame after each of the generator's 2n convolutions, and at the 7×7 that
// 28×28 images have after two stride-2 stages, 24 of the 49 pixels are border. It costs time:
// one thread, forward + backward of a block at (B, C) = (64, 64), best of 15:
//            zeros          reflection
//   7×7      3.9 +  8.7 ms  5.2 + 14.9 ms   (the convolutions run on 9×9 inputs, and the
//   14×14   25.1 + 52.6 ms 27.3 + 60.1 ms    backward-data pass fills the whole padded frame)
// reflect = false gives the zero-padded block for a model that would rather have the speed.
//
// Backward, from dy:  dz₂ = IN₂ᵀ(dy);  dh = padᵀ(conv₂ᵀ(dz₂));  dh ⊙= [h > 0];
//                     dz₁ = IN₁ᵀ(dh);  dx = dy + padᵀ(conv₁ᵀ(dz₁)).
//
// Parameters, registered in this order under "<name>.":
//   conv1.weight (C, C, 3, 3), in1.weight (C), in1.bias (C),
//   conv2.weight (C, C, 3, 3), in2.weight (C), in2.bias (C)       (the in*. ones with affine only)
#pragma once

#include <cstdint>
#include <string>

#include "core/rng.hpp"
#include "nn/buffer.hpp"
#include "nn/conv2d.hpp"
#include "nn/instance_norm.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

// What backward needs from forward, for B images of H×W; sized on first use, only grows.
struct ResidualWork {
  Buffer pad_x;           // (B, C, H+2, W+2) reflect(x), reflection only
  Buffer z1, h;           // conv₁'s output and ReLU(IN₁(z₁)), (B, C, H, W)
  Buffer pad_h;           // reflect(h), reflection only
  Buffer z2;              // conv₂'s output
  Buffer mean1, var1;     // IN₁'s statistics (B·C)
  Buffer mean2, var2;     // IN₂'s
  Buffer grad_a, grad_b;  // backward's temporaries, padded size
};

class ResidualBlock {
 public:
  ResidualBlock(ParameterStore& store, const std::string& name, int64_t C, bool affine = true, bool reflect = true);

  // The convolutions' PyTorch default (U(±1/√(9C))); instance norm starts at γ = 1, β = 0.
  void init(Rng& rng);

  // x, y (B, C, H, W), y must not alias x. Keeps in work what backward needs. Thread-safe
  // with distinct works (no running state: training and inference are the same pass).
  void forward(const float* x, float* y, int64_t B, int64_t H, int64_t W, ResidualWork& work) const;
  // After forward on the same x and work: dx (B, C, H, W) written if not null (it must not
  // alias dy); the convolutions' weight gradients added when weights is true. Instance
  // norm's γ, β gradients are added either way, as nn::Sequential does with batch norm's.
  void backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W, ResidualWork& work,
                bool weights = true);

  int64_t channels() const { return C_; }
  bool reflect() const { return reflect_; }
  const Conv2d& conv1() const { return conv1_; }
  const Conv2d& conv2() const { return conv2_; }
  const InstanceNorm& norm1() const { return in1_; }
  const InstanceNorm& norm2() const { return in2_; }
  // The first and last tensor registered (conv1.weight; in2.bias, or conv2.weight without affine).
  ParamId first_param() const { return conv1_.weight(); }
  ParamId last_param() const { return in2_.affine() ? in2_.beta() : conv2_.weight(); }

 private:
  void reserve(ResidualWork& work, int64_t B, int64_t H, int64_t W) const;

  int64_t C_;
  bool reflect_;
  Conv2d conv1_;
  InstanceNorm in1_;
  Conv2d conv2_;
  InstanceNorm in2_;
};

}  // namespace gm::nn
