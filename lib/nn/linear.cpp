#include "nn/linear.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "nn/init.hpp"

namespace gm::nn {

namespace {
// out (C, R) = aᵀ for a (R, C), or out += aᵀ with accumulate; in 32 × 32 tiles so that both
// sides stream through cache lines. Each element is written by one thread.
void transpose(const float* a, int64_t R, int64_t C, float* out, bool accumulate) {
  constexpr int64_t T = 32;
#pragma omp parallel for schedule(static) if (R * C >= (1 << 16))
  for (int64_t c0 = 0; c0 < C; c0 += T)
    for (int64_t r0 = 0; r0 < R; r0 += T)
      for (int64_t c = c0; c < std::min(C, c0 + T); ++c) {
        float* o = out + c * R;
        if (accumulate)
          for (int64_t r = r0; r < std::min(R, r0 + T); ++r) o[r] += a[r * C + c];
        else
          for (int64_t r = r0; r < std::min(R, r0 + T); ++r) o[r] = a[r * C + c];
      }
}
}  // namespace

Linear::Linear(ParameterStore& store, const std::string& name, int64_t in, int64_t out, bool bias)
    : store_(&store), in_(in), out_(out) {
  if (in <= 0 || out <= 0) fail(Status::invalid_argument, "linear {}: sizes {}→{}", name, in, out);
  w_ = store.add(name + ".weight", {out, in});
  if (bias) b_ = store.add(name + ".bias", {out});
}

void Linear::init(Rng& rng) {
  init_torch_default(store_->value(w_), in_ * out_, in_, rng);
  if (b_.valid()) init_torch_default(store_->value(b_), out_, in_, rng);
}

void Linear::forward(const float* x, float* y, int64_t B) const {
  const ParameterStore& s = *store_;
  const float* bias = b_.valid() ? s.value(b_) : nullptr;
  // W (O, I) read as Wᵀ (I, O): trans_b with ldb = I.
  fwd_.run(B, out_, in_, x, in_, s.value(w_), in_, y, out_, bias);
}

void Linear::backward_data(const float* dy, float* dx, int64_t B) const {
  bwd_data_.run(B, in_, out_, dy, out_, store_->value(w_), in_, dx, in_);
}

void Linear::backward(const float* x, const float* dy, float* dx, int64_t B) {
  ParameterStore& s = *store_;
  if (dx != nullptr) bwd_data_.run(B, in_, out_, dy, out_, s.value(w_), in_, dx, in_);
  // dyᵀ: dy (B, O) read as (O, B) with lda = O.
  bwd_weights_.run(out_, in_, B, dy, out_, x, in_, s.grad(w_), in_);
  add_bias_grad(dy, B);
}

void Linear::add_bias_grad(const float* dy, int64_t B) {
  if (!b_.valid()) return;
  // Column sum; rows in order so the result does not depend on the thread count.
  float* db = store_->grad(b_);
  const int64_t O = out_;
  for (int64_t b = 0; b < B; ++b) {
    const float* row = dy + b * O;
#pragma omp simd
    for (int64_t o = 0; o < O; ++o) db[o] += row[o];
  }
}

void Linear::forward_binary(const BinaryRows& x, float* y) {
  if (x.cols() != in_) fail(Status::invalid_argument, "linear: binary input of {} columns, the layer has {}", x.cols(), in_);
  wt_.resize(static_cast<std::size_t>(in_ * out_));
  transpose(store_->value(w_), out_, in_, wt_.data(), false);
  binary_matmul(x, wt_.data(), out_, out_, b_.valid() ? store_->value(b_) : nullptr, y, out_);
}

void Linear::backward_binary(const BinaryRows& x, const float* dy) {
  if (x.cols() != in_) fail(Status::invalid_argument, "linear: binary input of {} columns, the layer has {}", x.cols(), in_);
  gwt_.assign(static_cast<std::size_t>(in_ * out_), 0.0f);
  binary_matmul_grad(x, dy, out_, out_, gwt_.data(), out_);
  transpose(gwt_.data(), in_, out_, store_->grad(w_), true);
  add_bias_grad(dy, x.rows());
}

}  // namespace gm::nn
