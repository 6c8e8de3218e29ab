#include "nn/equalized_lr.hpp"

#include <cmath>

#include "core/error.hpp"
#include "nn/buffer.hpp"
#include "nn/init.hpp"

namespace gm::nn {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 18;  // docs/nn.md, "Threads"

// c·x in the calling thread's buffer (grown once, then reused by every call of the thread).
const float* scaled_input(const float* x, float c, int64_t n) {
  thread_local Buffer copy;
  if (copy.size() < n) copy.resize(n);
  scale_copy(x, c, copy.data(), n);
  return copy.data();
}

Conv2d make_conv(ParameterStore& store, const std::string& name, const ConvSpec& spec, bool transposed) {
  if (transposed) return ConvTranspose2d(store, name, spec);
  return Conv2d(store, name, spec);
}

}  // namespace

float he_scale(int64_t fan_in, float gain) {
  if (fan_in < 1 || !(gain > 0.0f))
    fail(Status::invalid_argument, "equalised learning rate: fan-in {} and gain {} must be positive", fan_in, gain);
  return static_cast<float>(static_cast<double>(gain) / std::sqrt(static_cast<double>(fan_in)));
}

void scale_copy(const float* in, float c, float* out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = c * in[i];
}

int64_t equalized_fan_in(const ConvSpec& spec) { return spec.in_ch * spec.kh() * spec.kw(); }

void init_equalized(ParameterStore& store, ParamId weight, ParamId bias, Rng& rng) {
  init_normal(store.value(weight), store.size(weight), rng, 0.0f, 1.0f);
  if (bias.valid()) init_zeros(store.value(bias), store.size(bias));
}

EqualizedLinear::EqualizedLinear(ParameterStore& store, const std::string& name, int64_t in, int64_t out, bool bias,
                                 float gain)
    : store_(&store), layer_(store, name, in, out, bias), scale_(he_scale(in, gain)) {}

void EqualizedLinear::init(Rng& rng) { init_equalized(*store_, weight(), bias(), rng); }

void EqualizedLinear::forward(const float* x, float* y, int64_t B) const {
  layer_.forward(scaled_input(x, scale_, B * layer_.in()), y, B);
}

void EqualizedLinear::backward(const float* x, const float* dy, float* dx, int64_t B) {
  layer_.backward(scaled_input(x, scale_, B * layer_.in()), dy, dx, B);
  if (dx) scale_copy(dx, scale_, dx, B * layer_.in());
}

void EqualizedLinear::backward_data(const float* dy, float* dx, int64_t B) const {
  layer_.backward_data(dy, dx, B);
  scale_copy(dx, scale_, dx, B * layer_.in());
}

EqualizedConv2d::EqualizedConv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec, bool transposed,
                                 float gain)
    : store_(&store),
      layer_(make_conv(store, name, spec, transposed)),
      scale_(he_scale(equalized_fan_in(spec), gain)) {}

void EqualizedConv2d::init(Rng& rng) { init_equalized(*store_, weight(), bias(), rng); }

void EqualizedConv2d::forward(const float* x, float* y, int64_t B, int64_t H, int64_t W) const {
  layer_.forward(scaled_input(x, scale_, B * layer_.spec().in_ch * H * W), y, B, H, W);
}

void EqualizedConv2d::backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W) {
  const int64_t n = B * layer_.spec().in_ch * H * W;
  layer_.backward(scaled_input(x, scale_, n), dy, dx, B, H, W);
  if (dx) scale_copy(dx, scale_, dx, n);
}

void EqualizedConv2d::backward_data(const float* dy, float* dx, int64_t B, int64_t H, int64_t W) const {
  layer_.backward_data(dy, dx, B, H, W);
  scale_copy(dx, scale_, dx, B * layer_.spec().in_ch * H * W);
}

}  // namespace gm::nn
