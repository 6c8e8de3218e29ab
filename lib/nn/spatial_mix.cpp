#include "nn/spatial_mix.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace gm::nn {

SpatialMix::SpatialMix(ParameterStore& store, const std::string& name, int64_t C, int64_t S, int64_t G)
    : store_(&store), C_(C), S_(S), G_(G) {
  if (C < 1 || S < 1 || G < 1 || C % G != 0)
    fail(Status::invalid_config, "{}: spatial mixing needs channels >= 1 divisible by groups >= 1 (got {} and {})",
         name, C, G);
  weight_ = store.add(name + ".weight", {G, S, S});
}

void SpatialMix::init_zero() { std::fill(store_->value(weight_), store_->value(weight_) + G_ * S_ * S_, 0.0f); }

// Rows of one (image, group) block: C/G channels of S values, contiguous.
void SpatialMix::forward(const float* x, float* y, int64_t B) const {
  std::memcpy(y, x, static_cast<std::size_t>(B * C_ * S_) * sizeof(float));
  const float* M = store_->value(weight_);
  if (G_ == 1) {
    fwd_.run(B * C_, S_, S_, x, S_, M, S_, y, S_);
    return;
  }
  const int64_t rows = C_ / G_;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t g = 0; g < G_; ++g) {
      const int64_t at = (b * C_ + g * rows) * S_;
      fwd_.run(rows, S_, S_, x + at, S_, M + g * S_ * S_, S_, y + at, S_);
    }
}

void SpatialMix::backward(const float* x, const float* dy, float* dx, int64_t B, bool weights) {
  const float* M = store_->value(weight_);
  float* dM = store_->grad(weight_);
  const int64_t rows = G_ == 1 ? B * C_ : C_ / G_, blocks_b = G_ == 1 ? 1 : B;
  if (dx) std::memcpy(dx, dy, static_cast<std::size_t>(B * C_ * S_) * sizeof(float));
  for (int64_t b = 0; b < blocks_b; ++b)
    for (int64_t g = 0; g < G_; ++g) {
      const int64_t at = (b * C_ + g * rows) * S_;
      if (dx) bwd_x_.run(rows, S_, S_, dy + at, S_, M + g * S_ * S_, S_, dx + at, S_);
      // dM_g (S, S) += dy_blockᵀ (S, rows) · x_block (rows, S)
      if (weights) bwd_w_.run(S_, S_, rows, dy + at, S_, x + at, S_, dM + g * S_ * S_, S_);
    }
}

}  // namespace gm::nn
