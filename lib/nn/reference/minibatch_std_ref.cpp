// Reference kernels for the minibatch standard deviation (nn/minibatch_std.hpp): the groups
// listed image by image, statistics in double, and backward by the chain rule term by term
// (the variance's derivative through the group mean kept, though it sums to zero).
#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/reference/reference.hpp"

namespace gm::nn::ref {

namespace {
inline int64_t at(int64_t b, int64_t c, int64_t p, int64_t C, int64_t S) { return (b * C + c) * S + p; }

// The images of each group: group m holds every b < B with b mod M = m, M = ⌈B / G⌉.
std::vector<std::vector<int64_t>> groups(int64_t B, int64_t group_size) {
  const int64_t G = std::min(group_size, B), M = (B + G - 1) / G;
  std::vector<std::vector<int64_t>> out(static_cast<std::size_t>(M));
  for (int64_t b = 0; b < B; ++b) out[static_cast<std::size_t>(b % M)].push_back(b);
  return out;
}
constexpr double kStdEps = 1e-8;
}  // namespace

void minibatch_std_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, int64_t group_size) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < S; ++p) y[at(b, c, p, C + 1, S)] = x[at(b, c, p, C, S)];
  for (const auto& g : groups(B, group_size)) {
    const double n = double(g.size());
    double sum = 0;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < S; ++p) {
        double mu = 0, v = 0;
        for (int64_t b : g) mu += x[at(b, c, p, C, S)];
        mu /= n;
        for (int64_t b : g) v += (x[at(b, c, p, C, S)] - mu) * (x[at(b, c, p, C, S)] - mu);
        sum += std::sqrt(v / n + kStdEps);
      }
    const double stat = sum / double(C * S);
    for (int64_t b : g)
      for (int64_t p = 0; p < S; ++p) y[at(b, C, p, C + 1, S)] = float(stat);
  }
}

void minibatch_std_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S,
                            int64_t group_size) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < S; ++p) dx[at(b, c, p, C, S)] = dy[at(b, c, p, C + 1, S)];
  for (const auto& g : groups(B, group_size)) {
    const double n = double(g.size());
    // dL/d stat: the stat fills the last channel of every image of the group.
    double d_stat = 0;
    for (int64_t b : g)
      for (int64_t p = 0; p < S; ++p) d_stat += dy[at(b, C, p, C + 1, S)];
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < S; ++p) {
        double mu = 0, v = 0;
        for (int64_t b : g) mu += x[at(b, c, p, C, S)];
        mu /= n;
        for (int64_t b : g) v += (x[at(b, c, p, C, S)] - mu) * (x[at(b, c, p, C, S)] - mu);
        v /= n;
        const double sigma = std::sqrt(v + kStdEps);
        // stat = Σ σ / (C·S);  ∂σ/∂x_k = (∂v/∂x_k) / 2σ;  ∂v/∂x_k = (2/n) Σ_j (x_j − μ)([j = k] − 1/n)
        for (int64_t k : g) {
          double dv = 0;
          for (int64_t j : g) dv += (x[at(j, c, p, C, S)] - mu) * ((j == k ? 1.0 : 0.0) - 1.0 / n);
          dv *= 2.0 / n;
          dx[at(k, c, p, C, S)] += float(d_stat * dv / (2.0 * sigma) / double(C * S));
        }
      }
  }
}

}  // namespace gm::nn::ref
