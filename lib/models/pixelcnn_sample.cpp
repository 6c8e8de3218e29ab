// The incremental pass of Gated PixelCNN (Net::autoregress): what sampling and completion
// run, position by position, without recomputing the whole network per position.
//
// The vertical stack's row i depends on image rows < i only, so it is computed once per row,
// as the convolutions of each layer on a window of the rows above (the same weights through
// unpadded faces, nn::Conv2d(const Conv2d&, spec)). The horizontal stack's column j depends
// on columns ≤ j of the current row: per pixel and channel only column j of every layer is
// computed, from a window of K/2+1 columns of the layer below, plus the vertical stack's
// contribution at (i, j) (computed with the row). Columns < j were final when their own
// pixel was done. For C channels the column is recomputed after each channel: group g of a
// pixel's maps sees that pixel's channels < g through the mask-A centre tap.
//
// Cost per image, against running the whole network per position (bench/RESULTS.md,
// "PixelCNN"): one network evaluation's worth of vertical work, and C·H·W single-column
// evaluations of the horizontal stack and head.
#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "models/pixelcnn_net.hpp"
#include "nn/gated.hpp"

namespace gm::pixelcnn {

namespace {
void relu_copy(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
}  // namespace

void Net::autoregress(float* x, const int32_t* labels, int64_t B, const Visit& visit) const {
  const int64_t C = d_.C, H = d_.H, W = d_.W, F = d_.F, L = d_.L, M = d_.M, S = d_.plane();
  const int64_t P = 2 * F, CM = C * M;
  const int64_t vrows0 = d_.K0 / 2, vrows = d_.K / 2 + 1;  // window heights: layer 0, later layers
  const int64_t hcols0 = d_.K0 / 2 + 1, hcols = d_.K / 2 + 1;
  const int64_t win_rows = std::max(vrows0, vrows), win_cols = std::max(hcols0, hcols);
  const int64_t cin = std::max(C, F);
  const float scale = 2.0f / static_cast<float>(M - 1);

  std::vector<float> xin(static_cast<std::size_t>(B * C * S), 0.0f);       // scaled image so far
  std::vector<float> vmap(static_cast<std::size_t>(L * B * F * S), 0.0f);  // v_l (B, F, H, W)
  std::vector<float> vh(static_cast<std::size_t>(L * B * P * W));          // row i: vh(v̂) + e (B, 2F, 1, W)
  std::vector<float> hrow(static_cast<std::size_t>(L * B * F * W), 0.0f);  // h_l on row i (B, F, 1, W)
  std::vector<float> vwin(static_cast<std::size_t>(B * cin * win_rows * W));
  std::vector<float> vpre(static_cast<std::size_t>(B * P * W)), vout(static_cast<std::size_t>(B * F * W));
  std::vector<float> hwin(static_cast<std::size_t>(B * cin * win_cols));
  std::vector<float> px2(static_cast<std::size_t>(B * P)), pxg(static_cast<std::size_t>(B * F));
  std::vector<float> pxh(static_cast<std::size_t>(B * F)), r(static_cast<std::size_t>(B * F));
  std::vector<float> o1(static_cast<std::size_t>(B * F)), logits(static_cast<std::size_t>(B * CM));

  for (int64_t i = 0; i < H; ++i) {
    // The vertical stack's row i, every layer.
    for (int64_t l = 0; l < L; ++l) {
      const Layer& ly = *layers_[static_cast<std::size_t>(l)];
      const int64_t rows = l ? vrows : vrows0, in = l ? F : C;
      const int64_t first = l ? i - d_.K / 2 : i - vrows0;  // layer 0 reads rows i − K0/2 … i − 1
      const float* src = l ? &vmap[static_cast<std::size_t>((l - 1) * B * F * S)] : xin.data();
      for (int64_t bc = 0; bc < B * in; ++bc)
        for (int64_t u = 0; u < rows; ++u) {
          float* dst = &vwin[static_cast<std::size_t>((bc * rows + u) * W)];
          const int64_t row = first + u;
          if (row < 0)
            std::fill(dst, dst + W, 0.0f);
          else
            std::memcpy(dst, src + bc * S + row * W, static_cast<std::size_t>(W) * sizeof(float));
        }
      ly.v_row.forward(vwin.data(), vpre.data(), B, rows, W);
      add_label_bias(vpre.data(), labels, B, l, W);
      if (l + 1 < L) {
        nn::gated_forward(vpre.data(), vout.data(), B, F, W);
        float* vm = &vmap[static_cast<std::size_t>(l * B * F * S)];
        for (int64_t bf = 0; bf < B * F; ++bf)
          std::memcpy(vm + bf * S + i * W, &vout[static_cast<std::size_t>(bf * W)],
                      static_cast<std::size_t>(W) * sizeof(float));
      }
      float* vhl = &vh[static_cast<std::size_t>(l * B * P * W)];
      ly.vh.forward(vpre.data(), vhl, B, 1, W);
      add_label_bias(vhl, labels, B, l, W);
    }
    // The horizontal stack, pixel by pixel and channel by channel.
    for (int64_t j = 0; j < W; ++j)
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t l = 0; l < L; ++l) {
          const Layer& ly = *layers_[static_cast<std::size_t>(l)];
          const int64_t cols = l ? hcols : hcols0, in = l ? F : C;
          // Row i of the layer below: the scaled image (B, C, H, W) or h_{l−1} (B, F, 1, W).
          const float* src = l ? &hrow[static_cast<std::size_t>((l - 1) * B * F * W)] : xin.data() + i * W;
          const int64_t stride = l ? W : S;
          for (int64_t bc = 0; bc < B * in; ++bc)
            for (int64_t t = 0; t < cols; ++t) {
              const int64_t col = j - cols + 1 + t;
              hwin[static_cast<std::size_t>(bc * cols + t)] = col < 0 ? 0.0f : src[bc * stride + col];
            }
          ly.h_px.forward(hwin.data(), px2.data(), B, 1, cols);
          const float* vhl = &vh[static_cast<std::size_t>(l * B * P * W)];
          for (int64_t bp = 0; bp < B * P; ++bp) px2[static_cast<std::size_t>(bp)] += vhl[bp * W + j];
          nn::gated_forward(px2.data(), pxg.data(), B, F, 1);
          ly.hh.forward(pxg.data(), pxh.data(), B, 1, 1);
          float* hl = &hrow[static_cast<std::size_t>(l * B * F * W)];
          for (int64_t bf = 0; bf < B * F; ++bf) {
            float value = pxh[static_cast<std::size_t>(bf)];
            if (l > 0) value += hrow[static_cast<std::size_t>(((l - 1) * B * F + bf) * W + j)];
            hl[bf * W + j] = value;
          }
        }
        const float* top = &hrow[static_cast<std::size_t>((L - 1) * B * F * W)];
        for (int64_t bf = 0; bf < B * F; ++bf) r[static_cast<std::size_t>(bf)] = top[bf * W + j];
        relu_copy(r.data(), r.data(), B * F);
        out1_->forward(r.data(), o1.data(), B, 1, 1);
        relu_copy(o1.data(), o1.data(), B * F);
        out2_->forward(o1.data(), logits.data(), B, 1, 1);
        visit(c, i, j, logits.data());
        for (int64_t b = 0; b < B; ++b) {
          const int64_t k = (b * C + c) * S + i * W + j;
          xin[static_cast<std::size_t>(k)] = x[k] * scale - 1.0f;
        }
      }
  }
}

}  // namespace gm::pixelcnn
