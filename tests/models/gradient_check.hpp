// The GAN kinds' gradient check (stargan, progan): an analytic parameter gradient against
// central differences on networks with kinks.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "nn/parameter_store.hpp"

namespace gm_test {

// The analytic gradient of objective in span against central differences, on about `picks`
// entries sampled evenly. The networks are piecewise smooth (ReLU and LeakyReLU kinks, L1,
// instance norm over 2×2 maps), so an entry is judged only where the function is smooth over
// the step: where the differences at steps eps and eps/2 agree (the truncation error of a
// smooth function falls 4×; a kink inside the step changes the slope by O(1)). The sampling
// and that rule do not look at the analytic value, so a wrong gradient cannot hide; the
// check also needs most entries judged. f32 networks give the differences a noise of about
// 1e-5 / eps, hence the absolute part of the tolerance.
struct GradientCheck {
  int64_t judged = 0, skipped = 0, wrong = 0;
  double scale = 0;
};

inline GradientCheck check_gradient(const gm::nn::ParamSpan& span, const std::function<double(bool)>& objective,
                                    int64_t picks, float eps = 1e-3f) {
  objective(true);
  const std::vector<float> analytic(span.grad, span.grad + span.count);
  GradientCheck c;
  const int64_t stride = std::max<int64_t>(1, span.count / picks);
  std::vector<std::pair<int64_t, std::pair<double, double>>> nums;
  for (int64_t i = stride / 2; i < span.count; i += stride) {
    auto central = [&](float h) {
      const float saved = span.value[i];
      span.value[i] = saved + h;
      const double up = objective(false);
      span.value[i] = saved - h;
      const double down = objective(false);
      span.value[i] = saved;
      return (up - down) / (2.0 * static_cast<double>(h));
    };
    nums.push_back({i, {central(eps), central(eps / 2)}});
    c.scale = std::max(c.scale, std::fabs(static_cast<double>(analytic[static_cast<std::size_t>(i)])));
  }
  for (const auto& [i, n] : nums) {
    const double coarse = n.first, fine = n.second, a = analytic[static_cast<std::size_t>(i)];
    if (std::fabs(coarse - fine) > 0.05 * std::fabs(fine) + 0.01 * c.scale) {
      ++c.skipped;
      continue;
    }
    ++c.judged;
    if (std::fabs(a - fine) > 0.05 * std::fabs(fine) + 0.01 * c.scale) {
      ++c.wrong;
      MESSAGE("entry " << i << ": analytic " << a << ", central differences " << coarse << " and " << fine);
    }
  }
  return c;
}

inline void require_good(const GradientCheck& c) {
  INFO("judged " << c.judged << ", skipped (not smooth over the step) " << c.skipped << ", wrong " << c.wrong);
  CHECK(c.scale > 1e-3);
  CHECK(c.wrong == 0);
  CHECK(c.judged >= 3 * c.skipped);
}

}  // namespace gm_test
