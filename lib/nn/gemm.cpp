#include "nn/gemm.hpp"

#include "nn/compute.hpp"
#include "nn/detail/plan_cache.hpp"

namespace gm::nn {

using namespace detail;

namespace {
// Products below this many flops run on the calling thread (SerialScope): at ~100 GFLOP/s
// a thread, 4 MFLOP is ~40 µs, about what waking a passive OpenMP team costs.
constexpr double kSerialFlops = 4e6;
}  // namespace

Gemm::Gemm(bool trans_a, bool trans_b, bool accumulate)
    : trans_a_(trans_a), trans_b_(trans_b), accumulate_(accumulate), cache_(std::make_unique<PlanCache>()) {}
Gemm::~Gemm() = default;
Gemm::Gemm(Gemm&&) noexcept = default;
Gemm& Gemm::operator=(Gemm&&) noexcept = default;

void Gemm::run(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
               int64_t ldc, const float* bias) const {
  if (M <= 0 || N <= 0 || K <= 0)
    fail(Status::invalid_argument, "gemm needs positive sizes, got M={} N={} K={}", M, N, K);
  const bool has_bias = bias != nullptr;
  const SerialScope one_thread(2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) <
                               kSerialFlops);
  const Key key{M, N, K, lda, ldb, ldc, has_bias, 0};
  Exec e = cache_->acquire(key, [&] {
    // Logical shapes A (M, K), B (K, N), C (M, N); a transposed operand swaps its strides.
    const memory::desc a = md_strided({M, K}, trans_a_ ? Dims{1, lda} : Dims{lda, 1});
    const memory::desc b = md_strided({K, N}, trans_b_ ? Dims{1, ldb} : Dims{ldb, 1});
    const memory::desc c = md_strided({M, N}, {ldc, 1});
    dnnl::primitive_attr attr = plan_attr();
    if (accumulate_) {
      dnnl::post_ops ops;
      ops.append_sum(1.0f);
      attr.set_post_ops(ops);
    }
    if (has_bias) {
      const dnnl::matmul::desc d(a, b, md({1, N}, Tag::ab), c);
      return make_plan(dnnl::matmul::primitive_desc(d, attr, cpu_engine()),
                       {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS});
    }
    const dnnl::matmul::desc d(a, b, c);
    return make_plan(dnnl::matmul::primitive_desc(d, attr, cpu_engine()),
                     {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST});
  });
  e.set(0, A);
  e.set(1, B);
  e.set(2, C);
  if (has_bias) e.set(3, bias);
  e.run();
}

}  // namespace gm::nn
