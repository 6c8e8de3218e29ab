#include "nn/conv2d.hpp"

#include <algorithm>

#include "nn/compute.hpp"
#include "nn/detail/plan_cache.hpp"
#include "nn/direct_conv.hpp"
#include "nn/init.hpp"

namespace gm::nn {

using namespace detail;

namespace {

// oneDNN names the two operations differently but builds them the same way.
template <bool Transposed>
struct Ops {
  using fwd = dnnl::convolution_forward;
  using bwd_data = dnnl::convolution_backward_data;
  using bwd_weights = dnnl::convolution_backward_weights;
  static constexpr dnnl::algorithm alg = dnnl::algorithm::convolution_direct;
  static constexpr Tag weight_tag = Tag::oihw;
};
template <>
struct Ops<true> {
  using fwd = dnnl::deconvolution_forward;
  using bwd_data = dnnl::deconvolution_backward_data;
  using bwd_weights = dnnl::deconvolution_backward_weights;
  static constexpr dnnl::algorithm alg = dnnl::algorithm::deconvolution_direct;
  static constexpr Tag weight_tag = Tag::iohw;  // stored (Ci, Co, K, K)
};

constexpr int64_t kBlockedMinChannels = 16;

// The weight gradient runs on one thread below this many flops (2·B·OH·OW·Ci·Co·KH·KW).
// oneDNN's blocked backward-weights kernel splits a small problem over the minibatch and
// reduces the threads' partial gradients behind a barrier; for ProGAN's convolutions at batch
// 16 (16–64 channels, 7×7 to 28×28, 9–116 Mflop a call) that cost more than the second thread
// gave on the shared 2-vCPU machine: a 28×28 progan fit (fmap_base 64) ran 1.4–2.3× faster in
// wall clock and used 25–35% less CPU with these on one thread, side by side in one run
// (bench/RESULTS.md, "progan against dcgan at equal wall clock"). Above it two threads won:
// fmap_base 128's 230–460 Mflop calls ran 1.4× slower serial; dcgan (batch 128) is unchanged.
constexpr double kSerialWeightFlops = 128e6;

struct Geometry {
  int64_t B, Ci, Co, H, W, OH, OW, KH, KW, S, PT, PB, PL, PR;
  bool bias;
  memory::desc src() const { return md({B, Ci, H, W}, Tag::nchw); }
  memory::desc dst() const { return md({B, Co, OH, OW}, Tag::nchw); }
  // oneDNN's logical weight dims are (Co, Ci, KH, KW) for both; the tag says how they are stored.
  memory::desc weights(Tag tag) const { return md({Co, Ci, KH, KW}, tag); }
  memory::desc bias_md() const { return bias ? md({Co}, Tag::a) : memory::desc(); }
  // What the primitives are created with: oneDNN picks the layouts (blocked for its direct
  // JIT kernels), and the plan stages the caller's plain tensors in and out of them.
  // Only where both sides have at least kBlockedMinChannels channels: with one channel on a
  // side (an image in or out) the blocked kernels plus the staging measured 2–7x slower than
  // the plain path (DCGAN on 28x28, ONEDNN_VERBOSE, bench/dcgan/profile.sh).
  // Nor for 1×1 kernels at stride 1: on plain NCHW they are one GEMM per image
  // (x64:gemm:jit) and need no staging; blocked, their two reorders per call cost more than
  // the JIT kernel saves (PixelCNN's training step at F = 64: 12.8 s blocked, 7.6 s plain on
  // 2 threads, and oneDNN's own time 1.27 s of jit_1x1 + 1.05 s of reorders against 1.36 s
  // of gemm + 0.52 s of reorders; bench/RESULTS.md, "PixelCNN").
  bool blocked() const {
    if (KH == 1 && KW == 1 && S == 1) return false;
    return std::min(Ci, Co) >= kBlockedMinChannels;
  }
  memory::desc src_any() const { return blocked() ? md({B, Ci, H, W}, Tag::any) : src(); }
  memory::desc dst_any() const { return blocked() ? md({B, Co, OH, OW}, Tag::any) : dst(); }
  memory::desc weights_any(Tag plain) const { return blocked() ? md({Co, Ci, KH, KW}, Tag::any) : weights(plain); }
  Dims strides() const { return {S, S}; }
  Dims pad_l() const { return {PT, PL}; }  // oneDNN's padding_l: before each spatial axis
  Dims pad_r() const { return {PB, PR}; }  // padding_r: after it
};

template <bool T>
typename Ops<T>::fwd::primitive_desc forward_pd(const Geometry& g) {
  using O = Ops<T>;
  const typename O::fwd::desc d(dnnl::prop_kind::forward_training, O::alg, g.src_any(), g.weights_any(O::weight_tag),
                                g.bias_md(), g.dst_any(), g.strides(), g.pad_l(), g.pad_r());
  return typename O::fwd::primitive_desc(d, plan_attr(), cpu_engine());
}

template <bool T>
std::shared_ptr<Plan> forward_plan(const Geometry& g) {
  using O = Ops<T>;
  const std::vector<memory::desc> user{g.src(), g.weights(O::weight_tag), g.dst(), memory::desc()};
  if (g.bias) return make_plan(forward_pd<T>(g), {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS}, user);
  return make_plan(forward_pd<T>(g), {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, user);
}

template <bool T>
std::shared_ptr<Plan> backward_data_plan(const Geometry& g) {
  using O = Ops<T>;
  const typename O::bwd_data::desc d(O::alg, g.src_any(), g.weights_any(O::weight_tag), g.dst_any(), g.strides(),
                                     g.pad_l(), g.pad_r());
  const typename O::bwd_data::primitive_desc pd(d, plan_attr(), cpu_engine(), forward_pd<T>(g));
  return make_plan(pd, {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
                   {g.dst(), g.weights(O::weight_tag), g.src()});
}

template <bool T>
std::shared_ptr<Plan> backward_weights_plan(const Geometry& g) {
  using O = Ops<T>;
  const typename O::bwd_weights::desc d(O::alg, g.src_any(), g.weights_any(O::weight_tag), g.bias_md(), g.dst_any(),
                                        g.strides(), g.pad_l(), g.pad_r());
  const typename O::bwd_weights::primitive_desc pd(d, plan_attr(), cpu_engine(), forward_pd<T>(g));
  const std::vector<memory::desc> user{g.src(), g.dst(), g.weights(O::weight_tag), memory::desc()};
  if (g.bias) return make_plan(pd, {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS}, user);
  return make_plan(pd, {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS}, user);
}

void check_spec(const ConvSpec& s, bool transposed, const std::string& name) {
  const int64_t KH = s.kh(), KW = s.kw();
  const bool pads_ok = s.pt() >= 0 && s.pb() >= 0 && s.pl() >= 0 && s.pr() >= 0 && s.pt() < KH && s.pb() < KH &&
                       s.pl() < KW && s.pr() < KW;
  if (s.in_ch <= 0 || s.out_ch <= 0 || KH <= 0 || KW <= 0 || s.stride <= 0 || !pads_ok)
    fail(Status::invalid_argument,
         "{} {}: need channels, kernel, stride > 0 and 0 <= padding < kernel on each side (got {}→{}, k={}x{}, "
         "s={}, p={},{},{},{})",
         transposed ? "conv_transpose2d" : "conv2d", name, s.in_ch, s.out_ch, KH, KW, s.stride, s.pt(), s.pb(), s.pl(),
         s.pr());
}

}  // namespace

Conv2d::Conv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec)
    : Conv2d(store, name, spec, false) {}

Conv2d::Conv2d(ParameterStore& store, const std::string& name, const ConvSpec& spec, bool transposed)
    : store_(&store),
      spec_(spec),
      transposed_(transposed),
      fwd_(std::make_unique<PlanCache>()),
      bwd_data_(std::make_unique<PlanCache>()),
      bwd_weights_(std::make_unique<PlanCache>()) {
  check_spec(spec, transposed, name);
  const int64_t KH = spec.kh(), KW = spec.kw();
  w_ = transposed ? store.add(name + ".weight", {spec.in_ch, spec.out_ch, KH, KW})
                  : store.add(name + ".weight", {spec.out_ch, spec.in_ch, KH, KW});
  if (spec.bias) b_ = store.add(name + ".bias", {spec.out_ch});
}

Conv2d::Conv2d(const Conv2d& weights, const ConvSpec& spec)
    : store_(weights.store_),
      spec_(spec),
      transposed_(weights.transposed_),
      w_(weights.w_),
      b_(weights.b_),
      fwd_(std::make_unique<PlanCache>()),
      bwd_data_(std::make_unique<PlanCache>()),
      bwd_weights_(std::make_unique<PlanCache>()) {
  const ConvSpec& o = weights.spec_;
  const std::string& name = store_->entry(w_).name;
  check_spec(spec, transposed_, name);
  if (spec.in_ch != o.in_ch || spec.out_ch != o.out_ch || spec.kh() != o.kh() || spec.kw() != o.kw() ||
      spec.bias != o.bias)
    fail(Status::invalid_argument, "{}: a second face of a convolution needs its channels, kernel and bias", name);
}

Conv2d::~Conv2d() = default;
Conv2d::Conv2d(Conv2d&&) noexcept = default;
Conv2d& Conv2d::operator=(Conv2d&&) noexcept = default;

void Conv2d::init(Rng& rng) {
  const auto& e = store_->entry(w_);
  const int64_t fan_in = fans(e.shape).in;
  init_torch_default(store_->value(w_), e.size, fan_in, rng);
  if (b_.valid()) init_torch_default(store_->value(b_), spec_.out_ch, fan_in, rng);
}

namespace {
int64_t out_extent(const ConvSpec& s, bool transposed, int64_t n, int64_t K, int64_t before, int64_t after) {
  const int64_t S = s.stride;
  const int64_t out = transposed ? (n - 1) * S - before - after + K : (n + before + after - K) / S + 1;
  if (n <= 0 || out <= 0 || (!transposed && n + before + after < K))
    fail(Status::invalid_argument, "{}: input size {} too small for kernel {}, padding {} + {}",
         transposed ? "conv_transpose2d" : "conv2d", n, K, before, after);
  return out;
}
}  // namespace

int64_t Conv2d::out_height(int64_t H) const {
  return out_extent(spec_, transposed_, H, spec_.kh(), spec_.pt(), spec_.pb());
}
int64_t Conv2d::out_width(int64_t W) const {
  return out_extent(spec_, transposed_, W, spec_.kw(), spec_.pl(), spec_.pr());
}
int64_t Conv2d::out_size(int64_t n) const {
  const ConvSpec& s = spec_;
  if (s.kh() != s.kw() || s.pt() != s.pb() || s.pt() != s.pl() || s.pt() != s.pr())
    fail(Status::invalid_argument, "conv2d: out_size is for square kernels and even padding; use out_height/out_width");
  return out_height(n);
}

namespace {
Geometry geometry(const ConvSpec& s, int64_t B, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  return {B, s.in_ch, s.out_ch, H, W, OH, OW, s.kh(), s.kw(), s.stride, s.pt(), s.pb(), s.pl(), s.pr(), s.bias};
}
}  // namespace

namespace {
// The direct loops' geometry (nn/direct_conv.hpp), for a layer they apply to.
bool use_direct(const ConvSpec& s, bool transposed) {
  return !transposed && direct::applies(s.in_ch, s.out_ch, s.kh(), s.kw());
}
double weight_flops(const Geometry& g) {
  return 2.0 * static_cast<double>(g.B) * static_cast<double>(g.OH) * static_cast<double>(g.OW) *
         static_cast<double>(g.Ci) * static_cast<double>(g.Co) * static_cast<double>(g.KH) * static_cast<double>(g.KW);
}

direct::Geometry direct_geometry(const Geometry& g) {
  return {g.B, g.Ci, g.Co, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.S, g.PT, g.PL};
}
}  // namespace

void Conv2d::forward(const float* x, float* y, int64_t B, int64_t H, int64_t W) const {
  const Geometry g = geometry(spec_, B, H, W, out_height(H), out_width(W));
  if (use_direct(spec_, transposed_))
    return direct::forward(direct_geometry(g), x, store_->value(w_), b_.valid() ? store_->value(b_) : nullptr, y);
  Exec e = fwd_->acquire({B, H, W, 0, 0, 0, 0, 0},
                         [&] { return transposed_ ? forward_plan<true>(g) : forward_plan<false>(g); });
  e.set(0, x);
  e.set(1, store_->value(w_));
  e.set(2, y);
  if (b_.valid()) e.set(3, store_->value(b_));
  e.run();
}

void Conv2d::backward_data(const float* dy, float* dx, int64_t B, int64_t H, int64_t W) const {
  const Geometry g = geometry(spec_, B, H, W, out_height(H), out_width(W));
  if (use_direct(spec_, transposed_)) return direct::backward_data(direct_geometry(g), dy, store_->value(w_), dx);
  Exec e = bwd_data_->acquire(Key{B, H, W, 0, 0, 0, 0, 0},
                              [&] { return transposed_ ? backward_data_plan<true>(g) : backward_data_plan<false>(g); });
  e.set(0, dy);
  e.set(1, store_->value(w_));
  e.set(2, dx);
  e.run();
}

void Conv2d::backward(const float* x, const float* dy, float* dx, int64_t B, int64_t H, int64_t W) {
  ParameterStore& s = *store_;
  const Geometry g = geometry(spec_, B, H, W, out_height(H), out_width(W));
  const Key key{B, H, W, 0, 0, 0, 0, 0};
  if (dx != nullptr) backward_data(dy, dx, B, H, W);
  if (use_direct(spec_, transposed_))
    return direct::backward_weights(direct_geometry(g), x, dy, s.grad(w_), b_.valid() ? s.grad(b_) : nullptr);
  const SerialScope one_thread(weight_flops(g) < kSerialWeightFlops);
  Exec e = bwd_weights_->acquire(
      key, [&] { return transposed_ ? backward_weights_plan<true>(g) : backward_weights_plan<false>(g); });
  const int64_t nw = s.size(w_), nb = b_.valid() ? spec_.out_ch : 0;
  float* tmp = e.temp(nw + nb);
  e.set(0, x);
  e.set(1, dy);
  e.set(2, tmp);
  if (nb > 0) e.set(3, tmp + nw);
  e.run();
  float* dw = s.grad(w_);
#pragma omp parallel for simd schedule(static) if (nw >= (1 << 15))
  for (int64_t i = 0; i < nw; ++i) dw[i] += tmp[i];
  if (nb > 0) {
    float* db = s.grad(b_);
    for (int64_t o = 0; o < nb; ++o) db[o] += tmp[nw + o];
  }
}

}  // namespace gm::nn
