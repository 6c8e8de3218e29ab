#include "nn/residual_block.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "nn/activation.hpp"
#include "nn/reflect_pad.hpp"

namespace gm::nn {

namespace {
ConvSpec conv3x3(int64_t C, bool reflect) { return ConvSpec{C, C, 3, 1, reflect ? 0 : 1, false}; }

void grow(Buffer& b, int64_t n) {
  if (b.size() < n) b.resize(n);
}
}  // namespace

ResidualBlock::ResidualBlock(ParameterStore& store, const std::string& name, int64_t C, bool affine, bool reflect)
    : C_(C),
      reflect_(reflect),
      conv1_(store, name + ".conv1", conv3x3(C, reflect)),
      in1_(store, name + ".in1", C, affine),
      conv2_(store, name + ".conv2", conv3x3(C, reflect)),
      in2_(store, name + ".in2", C, affine) {}

void ResidualBlock::init(Rng& rng) {
  conv1_.init(rng);
  conv2_.init(rng);
}

void ResidualBlock::reserve(ResidualWork& work, int64_t B, int64_t H, int64_t W) const {
  if (reflect_) reflect_pad_check(H, W, 1);
  const int64_t n = B * C_ * H * W, padded = B * C_ * (H + 2) * (W + 2);
  if (reflect_) {
    grow(work.pad_x, padded);
    grow(work.pad_h, padded);
  }
  for (Buffer* b : {&work.z1, &work.h, &work.z2}) grow(*b, n);
  for (Buffer* b : {&work.mean1, &work.var1, &work.mean2, &work.var2}) grow(*b, B * C_);
  grow(work.grad_a, reflect_ ? padded : n);
  grow(work.grad_b, reflect_ ? padded : n);
}

void ResidualBlock::forward(const float* x, float* y, int64_t B, int64_t H, int64_t W, ResidualWork& work) const {
  reserve(work, B, H, W);
  const int64_t S = H * W, n = B * C_ * S;
  // The convolutions read the padded input (no padding of their own) or x itself (padding 1).
  const int64_t HI = reflect_ ? H + 2 : H, WI = reflect_ ? W + 2 : W;
  const float* in = x;
  if (reflect_) {
    reflect_pad_forward(x, work.pad_x.data(), B, C_, H, W, 1);
    in = work.pad_x.data();
  }
  conv1_.forward(in, work.z1.data(), B, HI, WI);
  in1_.forward(work.z1.data(), work.h.data(), work.mean1.data(), work.var1.data(), B, S);
  relu_inplace(work.h.data(), n);
  in = work.h.data();
  if (reflect_) {
    reflect_pad_forward(work.h.data(), work.pad_h.data(), B, C_, H, W, 1);
    in = work.pad_h.data();
  }
  conv2_.forward(in, work.z2.data(), B, HI, WI);
  in2_.forward(work.z2.data(), y, work.mean2.data(), work.var2.data(), B, S);
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void ResidualBlock::backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W,
                             ResidualWork& work, bool weights) {
  const int64_t S = H * W, n = B * C_ * S;
  if (work.z1.size() < n || work.mean1.size() < B * C_)
    fail(Status::internal, "ResidualBlock::backward without a matching forward");
  const int64_t HI = reflect_ ? H + 2 : H, WI = reflect_ ? W + 2 : W;
  float* ga = work.grad_a.data();
  float* gb = work.grad_b.data();
  // conv's gradient w.r.t. the block-level tensor into out (skipped when null): through tmp
  // and the padding's adjoint with reflection, else directly. tmp must not be dz.
  auto conv_back = [&](Conv2d& conv, const float* conv_in, const float* dz, float* out, float* tmp) {
    float* d_in = out ? (reflect_ ? tmp : out) : nullptr;
    if (weights)
      conv.backward(conv_in, dz, d_in, B, HI, WI);
    else if (d_in)
      conv.backward_data(dz, d_in, B, HI, WI);
    if (reflect_ && out) reflect_pad_backward(tmp, out, B, C_, H, W, 1);
  };

  in2_.backward(work.z2.data(), dy, work.mean2.data(), work.var2.data(), ga, B, S);  // dz₂
  float* dh = reflect_ ? ga : gb;  // ga is free again once conv₂ᵀ has read it
  conv_back(conv2_, reflect_ ? work.pad_h.data() : work.h.data(), ga, dh, gb);
  relu_backward_inplace(work.h.data(), dh, n);
  float* dz1 = dh == ga ? gb : ga;
  in1_.backward(work.z1.data(), dh, work.mean1.data(), work.var1.data(), dz1, B, S);
  if (!dx && !weights) return;
  conv_back(conv1_, reflect_ ? work.pad_x.data() : x, dz1, dx, dh);
  if (dx)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i];
}

}  // namespace gm::nn
