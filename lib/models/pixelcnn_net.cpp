// The Gated PixelCNN network: layers, the training pass (forward, loss, backward) and the
// exact log-likelihood. The equations are in pixelcnn_net.hpp; the sampler's incremental
// pass is in pixelcnn_sample.cpp.
#include "models/pixelcnn_net.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "nn/gated.hpp"

namespace gm::pixelcnn {

using nn::ChannelGroups;
using nn::ConvSpec;
using nn::Mask;

namespace {

ConvSpec rect(int64_t in, int64_t out, int64_t kh, int64_t kw, int64_t pt, int64_t pl, bool bias = true) {
  ConvSpec s{in, out, 0, 1, 0, bias};
  s.kernel_h = kh;
  s.kernel_w = kw;
  s.pad_top = pt;
  s.pad_bottom = 0;
  s.pad_left = pl;
  s.pad_right = kw == 1 ? 0 : kw - 1 - pl;
  return s;
}

// The sampler's faces: v on a window of rows (no top padding, the window holds the rows),
// h on a window of pixels (no left padding).
ConvSpec without_vertical_padding(ConvSpec s) {
  s.pad_top = s.pad_bottom = 0;
  return s;
}
ConvSpec without_padding(ConvSpec s) {
  s.pad_top = s.pad_bottom = s.pad_left = s.pad_right = 0;
  return s;
}

std::vector<float> centre_mask(const ConvSpec& s, Mask type, ChannelGroups in, ChannelGroups out) {
  return nn::causal_mask(s, s.kh() - 1, s.kw() - 1, type, in, out);
}

float* at(std::vector<float>& v, int64_t l, int64_t per) { return v.data() + l * per; }

void grow(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<std::size_t>(n));
}

void relu_copy(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

}  // namespace

Net::Net(const Dims& d) : d_(d), store_(std::make_unique<nn::ParameterStore>()) {
  const int64_t C = d.C, F = d.F, K = d.K, K0 = d.K0;
  if (F < C) fail(Status::invalid_argument, "pixelcnn needs at least {} feature maps", C);
  const ChannelGroups image{C, 1}, maps{C, 1}, gated{C, 2};
  nn::ParameterStore& st = *store_;
  for (int64_t l = 0; l < d.L; ++l) {
    const std::string p = "l" + std::to_string(l) + ".";
    const int64_t in = l == 0 ? C : F;
    const ConvSpec vs =
        l == 0 ? rect(C, 2 * F, K0 / 2, K0, K0 / 2 - 1, K0 / 2) : rect(F, 2 * F, K / 2 + 1, K, K / 2, K / 2);
    const int64_t kw = (l == 0 ? K0 : K) / 2 + 1;
    const ConvSpec hs = rect(in, 2 * F, 1, kw, 0, kw - 1);
    const ConvSpec vhs{2 * F, 2 * F, 1, 1, 0, false};
    const ConvSpec hhs{F, F, 1, 1, 0, true};
    nn::Conv2d v(st, p + "v", vs);
    nn::MaskedConv2d h(st, p + "h", hs, centre_mask(hs, l == 0 ? Mask::A : Mask::B, l == 0 ? image : maps, gated));
    nn::Conv2d vh(st, p + "vh", vhs);
    nn::MaskedConv2d hh(st, p + "hh", hhs, centre_mask(hhs, Mask::B, maps, maps));
    nn::ParamId label;
    if (d.classes > 0) label = st.add(p + "label", {d.classes, 2 * F});
    nn::Conv2d v_row(v, without_vertical_padding(vs));
    nn::Conv2d h_px(h.conv(), without_padding(hs));
    layers_.push_back(std::unique_ptr<Layer>(
        new Layer{std::move(v), std::move(h), std::move(vh), std::move(hh), label, std::move(v_row), std::move(h_px)}));
  }
  const ConvSpec o1{F, F, 1, 1, 0, true}, o2{F, C * d.M, 1, 1, 0, true};
  out1_ = std::make_unique<nn::MaskedConv2d>(st, "out1", o1, centre_mask(o1, Mask::B, maps, maps));
  out2_ = std::make_unique<nn::MaskedConv2d>(st, "out2", o2, centre_mask(o2, Mask::B, maps, image));
}

Net::~Net() = default;

void Net::init(Rng& rng) {
  for (auto& L : layers_) {
    L->v.init(rng);
    L->h.init(rng);
    L->vh.init(rng);
    L->hh.init(rng);
  }
  out1_->init(rng);
  out2_->init(rng);  // label biases start at 0
}

void Net::enforce_masks() {
  for (auto& L : layers_) {
    L->h.enforce();
    L->hh.enforce();
  }
  out1_->enforce();
  out2_->enforce();
}

void Net::add_label_bias(float* pre, const int32_t* labels, int64_t B, int64_t l, int64_t S) const {
  if (d_.classes == 0 || labels == nullptr) return;
  const int64_t P = 2 * d_.F;
  const float* e = store_->value(layers_[static_cast<std::size_t>(l)]->label);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = 0; p < P; ++p) {
      const float add = e[labels[b] * P + p];
      float* row = pre + (b * P + p) * S;
      for (int64_t s = 0; s < S; ++s) row[s] += add;
    }
}

void Net::label_bias_grad(const float* dpre, const int32_t* labels, int64_t B, int64_t l, int64_t S) {
  if (d_.classes == 0 || labels == nullptr) return;
  const int64_t P = 2 * d_.F;
  float* g = store_->grad(layers_[static_cast<std::size_t>(l)]->label);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = 0; p < P; ++p) {
      const float* row = dpre + (b * P + p) * S;
      float sum = 0;
      for (int64_t s = 0; s < S; ++s) sum += row[s];
      g[labels[b] * P + p] += sum;
    }
}

// ---------------------------------------------------------------- forward

void Net::forward(const float* x, const int32_t* labels, int64_t B, Workspace& ws) const {
  const int64_t C = d_.C, H = d_.H, W = d_.W, F = d_.F, L = d_.L, S = d_.plane(), M = d_.M;
  const int64_t n1 = B * F * S, n2 = 2 * n1, nx = B * C * S;
  ws.B = B;
  grow(ws.xin, nx);
  grow(ws.xshift, nx);
  grow(ws.logits, B * C * M * S);
  grow(ws.vpre, L * n2);
  grow(ws.hpre, L * n2);
  grow(ws.v, L * n1);
  grow(ws.g, L * n1);
  grow(ws.h, L * n1);
  grow(ws.r1, n1);
  grow(ws.o1, n1);
  grow(ws.tmp2, n2);
  const float scale = 2.0f / static_cast<float>(M - 1);
  for (int64_t k = 0; k < nx; ++k) ws.xin[k] = x[k] * scale - 1.0f;
  for (int64_t bc = 0; bc < B * C; ++bc) {  // x̃↓: row i holds row i − 1
    float* dst = &ws.xshift[bc * S];
    std::fill(dst, dst + W, 0.0f);
    std::copy(&ws.xin[bc * S], &ws.xin[bc * S] + (H - 1) * W, dst + W);
  }
  for (int64_t l = 0; l < L; ++l) {
    const Layer& ly = *layers_[static_cast<std::size_t>(l)];
    float* vpre = at(ws.vpre, l, n2);
    float* hpre = at(ws.hpre, l, n2);
    const float* vin = l ? at(ws.v, l - 1, n1) : ws.xshift.data();
    const float* hin = l ? at(ws.h, l - 1, n1) : ws.xin.data();
    ly.v.forward(vin, vpre, B, H, W);
    add_label_bias(vpre, labels, B, l, S);
    ly.h.forward(hin, hpre, B, H, W);
    ly.vh.forward(vpre, ws.tmp2.data(), B, H, W);
    for (int64_t k = 0; k < n2; ++k) hpre[k] += ws.tmp2[k];
    add_label_bias(hpre, labels, B, l, S);
    if (l + 1 < L) nn::gated_forward(vpre, at(ws.v, l, n1), B, F, S);  // the last v feeds nothing
    float* g = at(ws.g, l, n1);
    float* h = at(ws.h, l, n1);
    nn::gated_forward(hpre, g, B, F, S);
    ly.hh.forward(g, h, B, H, W);
    if (l > 0) {
      const float* prev = at(ws.h, l - 1, n1);
      for (int64_t k = 0; k < n1; ++k) h[k] += prev[k];
    }
  }
  relu_copy(at(ws.h, L - 1, n1), ws.r1.data(), n1);
  out1_->forward(ws.r1.data(), ws.o1.data(), B, H, W);
  relu_copy(ws.o1.data(), ws.o1.data(), n1);
  out2_->forward(ws.o1.data(), ws.logits.data(), B, H, W);
}

// ---------------------------------------------------------------- loss and log_prob

namespace {
// log Σ_m exp(z_m) over M logits strided by S.
inline double log_sum_exp(const float* z, int64_t M, int64_t S) {
  float top = z[0];
  for (int64_t m = 1; m < M; ++m) top = std::max(top, z[m * S]);
  double sum = 0;
  for (int64_t m = 0; m < M; ++m) sum += std::exp(double(z[m * S]) - top);
  return top + std::log(sum);
}
}  // namespace

void Net::row_log_probs(const float* x, const Workspace& ws, double* out) const {
  const int64_t C = d_.C, S = d_.plane(), M = d_.M;
  for (int64_t b = 0; b < ws.B; ++b) {
    double lp = 0;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        const float* z = &ws.logits[((b * C + c) * M) * S + s];
        const int64_t m = static_cast<int64_t>(x[(b * C + c) * S + s]);
        lp += z[m * S] - log_sum_exp(z, M, S);
      }
    out[b] = lp;
  }
}

double Net::nll_and_grad(const float* x, Workspace& ws, double* row_loss) const {
  // Per image and channel the logits are an M × S block (map m's plane is contiguous), so
  // every pass below runs along the S pixels of one map: the maximum, then e = exp(z − top)
  // written straight into dlogits with its sum, then the scaling by 1 / (B · sum); one float
  // exp per logit (the loss itself is accumulated in double).
  const int64_t B = ws.B, C = d_.C, S = d_.plane(), M = d_.M;
  grow(ws.dlogits, B * C * M * S);
  const float inv_b = 1.0f / static_cast<float>(B);
  std::vector<float> top(static_cast<std::size_t>(S)), sum(static_cast<std::size_t>(S));
  double total = 0;
  for (int64_t b = 0; b < B; ++b) {
    double nll = 0;
    for (int64_t c = 0; c < C; ++c) {
      const float* z = &ws.logits[static_cast<std::size_t>(((b * C + c) * M) * S)];
      float* dz = &ws.dlogits[static_cast<std::size_t>(((b * C + c) * M) * S)];
      const float* target = x + (b * C + c) * S;
      std::copy(z, z + S, top.begin());
      for (int64_t m = 1; m < M; ++m)
        for (int64_t s = 0; s < S; ++s) top[s] = std::max(top[s], z[m * S + s]);
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t s = 0; s < S; ++s) sum[s] += (dz[m * S + s] = std::exp(z[m * S + s] - top[s]));
      for (int64_t s = 0; s < S; ++s) {
        const int64_t t = static_cast<int64_t>(target[s]);
        nll += double(top[s]) + std::log(double(sum[s])) - z[t * S + s];
        sum[s] = inv_b / sum[s];
      }
      for (int64_t m = 0; m < M; ++m)
        for (int64_t s = 0; s < S; ++s) dz[m * S + s] *= sum[s];
      for (int64_t s = 0; s < S; ++s) dz[static_cast<int64_t>(target[s]) * S + s] -= inv_b;
    }
    if (row_loss) row_loss[b] = nll;
    total += nll;
  }
  return total;
}

// ---------------------------------------------------------------- backward

void Net::backward(const int32_t* labels, Workspace& ws) {
  const int64_t B = ws.B, H = d_.H, W = d_.W, F = d_.F, L = d_.L, S = d_.plane();
  const int64_t n1 = B * F * S, n2 = 2 * n1;
  for (auto* v : {&ws.dh, &ws.dhin, &ws.dg, &ws.dv, &ws.dvnext}) grow(*v, n1);
  for (auto* v : {&ws.dhpre, &ws.dvpre, &ws.dtmp2}) grow(*v, n2);
  // Output head: logits = out2(relu(out1(relu(h)))).
  out2_->backward(ws.o1.data(), ws.dlogits.data(), ws.dg.data(), B, H, W);
  for (int64_t k = 0; k < n1; ++k)
    if (ws.o1[k] <= 0.0f) ws.dg[k] = 0.0f;
  out1_->backward(ws.r1.data(), ws.dg.data(), ws.dh.data(), B, H, W);
  for (int64_t k = 0; k < n1; ++k)
    if (ws.r1[k] <= 0.0f) ws.dh[k] = 0.0f;
  // dh: dLoss/dh_l; dv: dLoss/dv_l from layer l + 1's vertical convolution (0 for the last).
  for (int64_t l = L - 1; l >= 0; --l) {
    Layer& ly = *layers_[static_cast<std::size_t>(l)];
    const float* vpre = at(ws.vpre, l, n2);
    const float* hpre = at(ws.hpre, l, n2);
    const float* vin = l ? at(ws.v, l - 1, n1) : ws.xshift.data();
    const float* hin = l ? at(ws.h, l - 1, n1) : ws.xin.data();
    ly.hh.backward(at(ws.g, l, n1), ws.dh.data(), ws.dg.data(), B, H, W);
    nn::gated_backward(hpre, ws.dg.data(), ws.dhpre.data(), B, F, S);
    if (l + 1 < L)
      nn::gated_backward(vpre, ws.dv.data(), ws.dvpre.data(), B, F, S);
    else
      std::fill(ws.dvpre.begin(), ws.dvpre.begin() + n2, 0.0f);
    label_bias_grad(ws.dhpre.data(), labels, B, l, S);
    ly.vh.backward(vpre, ws.dhpre.data(), ws.dtmp2.data(), B, H, W);
    for (int64_t k = 0; k < n2; ++k) ws.dvpre[k] += ws.dtmp2[k];
    label_bias_grad(ws.dvpre.data(), labels, B, l, S);
    ly.h.backward(hin, ws.dhpre.data(), l ? ws.dhin.data() : nullptr, B, H, W);
    ly.v.backward(vin, ws.dvpre.data(), l ? ws.dvnext.data() : nullptr, B, H, W);
    if (l > 0) {
      for (int64_t k = 0; k < n1; ++k) ws.dh[k] += ws.dhin[k];  // the residual and the h convolution
      std::swap(ws.dv, ws.dvnext);
    }
  }
}

}  // namespace gm::pixelcnn
