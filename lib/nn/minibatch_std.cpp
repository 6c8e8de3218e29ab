#include "nn/minibatch_std.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "nn/buffer.hpp"

namespace gm::nn {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 18;  // docs/nn.md, "Threads"
constexpr int64_t kBlock = 256;                     // pixels per block: stack arrays of 1 KiB
constexpr float kStdEps = 1e-8f;

// The geometry of the groups: M groups, group m = {m + k·M : k < members(m)}.
struct Groups {
  int64_t B, M;
  int64_t members(int64_t m) const { return (B - m + M - 1) / M; }
};

void check(int64_t C, int64_t S) {
  if (C < 1 || S < 1) fail(Status::invalid_argument, "minibatch std: {} channels of {} pixels", C, S);
}

// Calls f(m, c) for every (group, channel) row, in parallel when the tensor is large.
template <typename F>
void for_rows(int64_t rows, int64_t values, F&& f) {
#pragma omp parallel for schedule(static) if (values >= kParallelMin && rows > 1)
  for (int64_t r = 0; r < rows; ++r) f(r);
}

// μ and σ of the group's images at pixels [p0, p0 + n) of channel c.
void block_stats(const float* x, const Groups& g, int64_t m, int64_t c, int64_t C, int64_t S, int64_t p0, int64_t n,
                 float* mu, float* sigma) {
  const int64_t k_end = g.members(m);
  const float inv_n = 1.0f / static_cast<float>(k_end);
  std::fill_n(mu, n, 0.0f);
  std::fill_n(sigma, n, 0.0f);
  for (int64_t k = 0; k < k_end; ++k) {
    const float* xr = x + ((m + k * g.M) * C + c) * S + p0;
#pragma omp simd
    for (int64_t q = 0; q < n; ++q) mu[q] += xr[q];
  }
  for (int64_t q = 0; q < n; ++q) mu[q] *= inv_n;
  for (int64_t k = 0; k < k_end; ++k) {  // two passes: the variance of values far from 0
    const float* xr = x + ((m + k * g.M) * C + c) * S + p0;
#pragma omp simd
    for (int64_t q = 0; q < n; ++q) sigma[q] += (xr[q] - mu[q]) * (xr[q] - mu[q]);
  }
  for (int64_t q = 0; q < n; ++q) sigma[q] = std::sqrt(sigma[q] * inv_n + kStdEps);
}

}  // namespace

int64_t minibatch_std_groups(int64_t B, int64_t group_size) {
  if (group_size < 0 && -group_size <= B && B >= 1) return -group_size;  // a given count of groups
  if (B < 1 || group_size < 1)
    fail(Status::invalid_argument, "minibatch std: batch {} and group size {} must be >= 1", B, group_size);
  const int64_t G = std::min(group_size, B);
  return (B + G - 1) / G;
}

void minibatch_std_forward(const float* x, float* y, int64_t B, int64_t C, int64_t S, int64_t group_size) {
  check(C, S);
  const Groups g{B, minibatch_std_groups(B, group_size)};
  for (int64_t b = 0; b < B; ++b)
    std::memcpy(y + b * (C + 1) * S, x + b * C * S, static_cast<std::size_t>(C * S) * sizeof(float));
  // Σ_p σ per (group, channel) row, on the calling thread's buffer (grown once).
  thread_local Buffer part;
  if (part.size() < g.M * C) part.resize(g.M * C);
  float* rows = part.data();
  for_rows(g.M * C, B * C * S, [&](int64_t r) {
    const int64_t m = r / C, c = r % C;
    float mu[kBlock], sigma[kBlock];
    double s = 0;
    for (int64_t p0 = 0; p0 < S; p0 += kBlock) {
      const int64_t n = std::min(kBlock, S - p0);
      block_stats(x, g, m, c, C, S, p0, n, mu, sigma);
      for (int64_t q = 0; q < n; ++q) s += sigma[q];
    }
    rows[r] = static_cast<float>(s);
  });
  for (int64_t m = 0; m < g.M; ++m) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += rows[m * C + c];
    const float stat = static_cast<float>(s / static_cast<double>(C * S));
    for (int64_t k = 0; k < g.members(m); ++k) std::fill_n(y + ((m + k * g.M) * (C + 1) + C) * S, S, stat);
  }
}

void minibatch_std_backward(const float* x, const float* dy, float* dx, int64_t B, int64_t C, int64_t S,
                            int64_t group_size) {
  check(C, S);
  const Groups g{B, minibatch_std_groups(B, group_size)};
  for_rows(g.M * C, B * C * S, [&](int64_t r) {
    const int64_t m = r / C, c = r % C, members = g.members(m);
    // D_m / (n_m·C·S): the gradient reaching the statistic, over what one σ contributes to it.
    // Recomputed per row (S values per image, in order): rows need no shared state.
    double d_stat = 0;
    for (int64_t k = 0; k < members; ++k) {
      const float* gr = dy + ((m + k * g.M) * (C + 1) + C) * S;
      for (int64_t p = 0; p < S; ++p) d_stat += gr[p];
    }
    const float coef = static_cast<float>(d_stat / static_cast<double>(members * C * S));
    float mu[kBlock], sigma[kBlock];
    for (int64_t p0 = 0; p0 < S; p0 += kBlock) {
      const int64_t n = std::min(kBlock, S - p0);
      block_stats(x, g, m, c, C, S, p0, n, mu, sigma);
      for (int64_t q = 0; q < n; ++q) sigma[q] = coef / sigma[q];
      for (int64_t k = 0; k < members; ++k) {
        const int64_t b = m + k * g.M;
        const float* xr = x + (b * C + c) * S + p0;
        const float* gr = dy + (b * (C + 1) + c) * S + p0;
        float* dr = dx + (b * C + c) * S + p0;
#pragma omp simd
        for (int64_t q = 0; q < n; ++q) dr[q] = gr[q] + (xr[q] - mu[q]) * sigma[q];
      }
    }
  });
}

}  // namespace gm::nn
