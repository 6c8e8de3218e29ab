// PixelCNN's causal convolutions two ways (issue 14): the masked full kernel (a K×K vertical
// and a 1×K horizontal convolution whose taps below / right of the centre are zeroed) against
// the rectangular equivalent that skips those taps ((K/2+1)×K padded on top only, 1×(K/2+1)
// padded on the left only). Same arithmetic on the taps that are not masked; the question is
// what the zero taps cost. One gated layer's shape: F = 64 maps in, 2F = 128 out, batch 64,
// 28×28. Prints ms per forward + backward (data and weights), best of `trials`.
// Build and run with bench/pixelcnn/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/rng.hpp"
#include "nn/compute.hpp"
#include "nn/masked_conv2d.hpp"

using namespace gm;
using namespace gm::nn;

namespace {
using Clock = std::chrono::steady_clock;

double time_ms(MaskedConv2d& conv, const std::vector<float>& x, std::vector<float>& y, const std::vector<float>& dy,
               std::vector<float>& dx, int64_t B, int64_t H, int64_t W, int trials) {
  double best = 1e30;
  conv.forward(x.data(), y.data(), B, H, W);  // plan creation outside the timing
  conv.backward(x.data(), dy.data(), dx.data(), B, H, W);
  for (int t = 0; t < trials; ++t) {
    const auto t0 = Clock::now();
    conv.forward(x.data(), y.data(), B, H, W);
    conv.backward(x.data(), dy.data(), dx.data(), B, H, W);
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int trials = argc > 2 ? std::atoi(argv[2]) : 5;
  const int64_t B = 64, H = 28, W = 28, F = 64, O = 128;
  ComputeScope scope(threads);
  std::vector<float> x(static_cast<std::size_t>(B * F * H * W)), dx(x.size());
  std::vector<float> y(static_cast<std::size_t>(B * O * H * W)), dy(y.size());
  Rng rng(1, 0);
  for (float& v : x) v = static_cast<float>(rng.normal());
  for (float& v : dy) v = static_cast<float>(rng.normal());
  std::printf("batch %ld, %ldx%ld, %ld -> %ld maps, %d threads, ms per forward+backward (best of %d)\n", B, H, W, F, O,
              threads, trials);
  std::printf("%-3s %-10s %12s %12s %8s\n", "K", "stack", "masked KxK", "rectangular", "ratio");
  const ChannelGroups one{1, 1}, gated{1, 2};
  for (int64_t K : {3, 5, 7}) {
    const int64_t h = K / 2;
    for (int vertical = 1; vertical >= 0; --vertical) {
      ParameterStore store;
      ConvSpec full{F, O, K, 1, h, true}, rect = full;
      if (vertical) {
        rect.kernel_h = h + 1;
        rect.pad_top = h;
        rect.pad_bottom = 0;
        full.kernel_h = K;
      } else {
        full.kernel_h = rect.kernel_h = 1;
        full.pad_top = full.pad_bottom = rect.pad_top = rect.pad_bottom = 0;
        rect.kernel_w = h + 1;
        rect.pad_right = 0;
      }
      // The masked kernel keeps the centre row (vertical: rows ≤ centre) or the centre tap
      // (horizontal, mask B), like the rectangular one.
      const int64_t cu = vertical ? h : 0, cv = vertical ? K - 1 : h;
      MaskedConv2d masked(store, "full", full, causal_mask(full, cu, cv, Mask::B, one, gated));
      MaskedConv2d narrow(store, "rect", rect,
                          std::vector<float>(static_cast<std::size_t>(O * F * rect.kh() * rect.kw()), 1.0f));
      masked.init(rng);
      narrow.init(rng);
      const double a = time_ms(masked, x, y, dy, dx, B, H, W, trials);
      const double b = time_ms(narrow, x, y, dy, dx, B, H, W, trials);
      std::printf("%-3ld %-10s %12.1f %12.1f %8.2f\n", K, vertical ? "vertical" : "horizontal", a, b, a / b);
      std::fflush(stdout);
    }
  }
  return 0;
}
