#include "nn/linear.hpp"

#include <omp.h>

#include "core/error.hpp"
#include "nn/compute.hpp"
#include "nn/init.hpp"

namespace gm::nn {

namespace {
// Above this size each backward product runs on its own thread, both at once (backward).
constexpr double kConcurrentFlops = 16e6;
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
  auto data = [&] { bwd_data_.run(B, in_, out_, dy, out_, s.value(w_), in_, dx, in_); };
  // dyᵀ: dy (B, O) read as (O, B) with lda = O.
  auto weights = [&] { bwd_weights_.run(out_, in_, B, dy, out_, x, in_, s.grad(w_), in_); };
  // The two products are independent. When both are large, each runs on one thread of a
  // two-thread team at the same time: one wake-up of the team instead of one a product (a
  // passive OpenMP team costs ~60 µs to wake here, docs/nn.md "Threads"), and a one-thread
  // product wastes nothing on splitting its work.
  const double flops = 2.0 * static_cast<double>(B) * static_cast<double>(in_) * static_cast<double>(out_);
  if (dx != nullptr && flops >= kConcurrentFlops && omp_get_max_threads() >= 2) {
#pragma omp parallel num_threads(2)
    {
      const SerialScope one_thread(true);
      if (omp_get_thread_num() == 0) data();
      if (omp_get_thread_num() == 1 || omp_get_num_threads() == 1) weights();
    }
  } else {
    if (dx != nullptr) data();
    weights();
  }
  if (b_.valid()) {
    // Column sum; rows in order so the result does not depend on the thread count.
    float* db = s.grad(b_);
    const int64_t O = out_;
    for (int64_t b = 0; b < B; ++b) {
      const float* row = dy + b * O;
#pragma omp simd
      for (int64_t o = 0; o < O; ++o) db[o] += row[o];
    }
  }
}

}  // namespace gm::nn
