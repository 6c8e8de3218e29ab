#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/minibatch_std.hpp"
#include "nn/reference/reference.hpp"

using namespace gm::nn;
using namespace nntest;

TEST_CASE("minibatch_std: hand-computed statistic, strided groups, a batch not a multiple of G") {
  ComputeScope scope(1);
  CHECK(minibatch_std_groups(8, 4) == 2);
  CHECK(minibatch_std_groups(3, 4) == 1);  // G = min(4, B)
  CHECK(minibatch_std_groups(7, 4) == 2);  // ⌈7 / 4⌉: groups {0, 2, 4, 6} and {1, 3, 5}
  CHECK_THROWS_AS(minibatch_std_groups(4, 0), gm::Error);
  CHECK_THROWS_AS(minibatch_std_groups(0, 4), gm::Error);

  // (B=4, C=2, S=1), G = 2: M = 2 groups, {0, 2} and {1, 3}, as the official reshape (G, M, ...).
  // Group 0: channel 0 {1, 3} → σ = 1, channel 1 {0, 4} → σ = 2; s_0 = 1.5.
  // Group 1: channel 0 {5, 5} → σ = √1e-8 = 1e-4, channel 1 {−1, 2} → σ = 1.5; s_1 = 0.75005.
  const Vec x = {1, 0, 5, -1, 3, 4, 5, 2};
  Vec y(12);
  minibatch_std_forward(x.data(), y.data(), 4, 2, 1, 2);
  const Vec copy = {y[0], y[1], y[3], y[4], y[6], y[7], y[9], y[10]};
  CHECK(copy == x);
  CHECK(y[2] == doctest::Approx(1.5).epsilon(1e-7));
  CHECK(y[8] == y[2]);
  CHECK(y[5] == doctest::Approx(0.75005).epsilon(1e-6));
  CHECK(y[11] == y[5]);

  // B = 3, G = 2: M = 2, groups {0, 2} and {1}; a group of one has σ = 1e-4 everywhere.
  const Vec x3 = {1, 7, 3};  // (3, 1, 1)
  Vec y3(6);
  minibatch_std_forward(x3.data(), y3.data(), 3, 1, 1, 2);
  CHECK(y3[1] == doctest::Approx(1.0));
  CHECK(y3[5] == y3[1]);
  CHECK(y3[3] == doctest::Approx(1e-4));
}

TEST_CASE("minibatch_std: the loops match the reference, group sizes 1 to B, divisible or not") {
  struct Case {
    int64_t B, C, S, G;
  };
  // The last two are past 2^18 values (rows in parallel); (7, 3, 5, 4) and (10, 4, 300, 4)
  // have unequal groups, (10, ..., 300) blocks of 256 pixels.
  for (const Case k : {Case{1, 1, 1, 4}, Case{4, 3, 4, 1}, Case{4, 3, 4, 4}, Case{8, 5, 16, 4}, Case{7, 3, 5, 4},
                       Case{3, 2, 9, 4}, Case{10, 4, 300, 4}, Case{16, 256, 64, 4}, Case{12, 64, 400, 3}}) {
    CAPTURE(k.B);
    CAPTURE(k.C);
    CAPTURE(k.S);
    CAPTURE(k.G);
    ComputeScope scope(2);
    const Vec x = randn(k.B * k.C * k.S, 1, 2.0f), dy = randn(k.B * (k.C + 1) * k.S, 2);
    Vec y(dy.size()), y_ref(dy.size()), dx(x.size()), dx_ref(x.size());
    minibatch_std_forward(x.data(), y.data(), k.B, k.C, k.S, k.G);
    minibatch_std_backward(x.data(), dy.data(), dx.data(), k.B, k.C, k.S, k.G);
    ref::minibatch_std_forward(x.data(), y_ref.data(), k.B, k.C, k.S, k.G);
    ref::minibatch_std_backward(x.data(), dy.data(), dx_ref.data(), k.B, k.C, k.S, k.G);
    CHECK(rel_err(y, y_ref) < 1e-5);
    CHECK(rel_err(dx, dx_ref) < 1e-5);
    // The statistic's own part of dx, against the reference's (the copy part is exact and
    // would hide a small error).
    Vec stat(x.size()), stat_ref(x.size());
    for (int64_t b = 0; b < k.B; ++b)
      for (int64_t i = 0; i < k.C * k.S; ++i) {
        const std::size_t at = static_cast<std::size_t>(b * k.C * k.S + i);
        stat[at] = dx[at] - dy[static_cast<std::size_t>(b * (k.C + 1) * k.S + i)];
        stat_ref[at] = dx_ref[at] - dy[static_cast<std::size_t>(b * (k.C + 1) * k.S + i)];
      }
    if (k.G > 1 && k.B > 1) CHECK(rel_err(stat, stat_ref) < 1e-3);

    ComputeScope one(1);
    Vec y1(y.size()), dx1(dx.size());
    minibatch_std_forward(x.data(), y1.data(), k.B, k.C, k.S, k.G);
    minibatch_std_backward(x.data(), dy.data(), dx1.data(), k.B, k.C, k.S, k.G);
    CHECK(std::memcmp(y1.data(), y.data(), y.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(dx1.data(), dx.data(), dx.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("minibatch_std: finite-difference input gradient through the statistic of every group") {
  ComputeScope scope(1);
  struct Case {
    int64_t B, G;
  };
  for (const Case k : {Case{4, 2}, Case{4, 4}, Case{5, 4}, Case{3, 4}}) {
    CAPTURE(k.B);
    CAPTURE(k.G);
    const int64_t C = 3, S = 4;
    Vec x = randn(k.B * C * S, 3);
    // Two objectives: everything (copies and statistic), and the statistic channel alone,
    // where dropping the group's coupling leaves dx = 0 instead of an O(1) answer.
    for (const bool stat_only : {false, true}) {
      CAPTURE(stat_only);
      Vec r = randn(k.B * (C + 1) * S, 4);
      if (stat_only)
        for (int64_t b = 0; b < k.B; ++b) std::fill_n(r.begin() + b * (C + 1) * S, C * S, 0.0f);
      Vec y(r.size()), dx(x.size());
      auto loss = [&] {
        minibatch_std_forward(x.data(), y.data(), k.B, C, S, k.G);
        return dot(r, y.data());
      };
      minibatch_std_backward(x.data(), r.data(), dx.data(), k.B, C, S, k.G);
      CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss) < 1e-2);
      // A gradient that ignores the statistic (dx = the copied channels' dy) must fail.
      Vec copy_only(x.size());
      for (int64_t b = 0; b < k.B; ++b) std::copy_n(r.begin() + b * (C + 1) * S, C * S, copy_only.begin() + b * C * S);
      CHECK(grad_check(x.data(), copy_only.data(), static_cast<int64_t>(x.size()), loss) > 0.1);
    }
  }
}

TEST_CASE("minibatch_std: a rank's whole groups (a given group count) give the full batch's rows") {
  // progan's distributed fit (docs/distributed.md): rank r of P takes the images b with
  // b mod M in its dist::slice_of the M groups, in batch order, and runs the statistic with
  // exactly its w groups (group_size = −w). Its rows of y and dx must be the full batch's.
  ComputeScope scope(1);
  CHECK(minibatch_std_groups(7, -3) == 3);
  CHECK(minibatch_std_groups(3, -3) == 3);
  CHECK_THROWS_AS(minibatch_std_groups(2, -3), gm::Error);  // more groups than images
  const int64_t C = 3, S = 5;
  for (const int64_t B : {8, 10, 13}) {
    const int64_t M = minibatch_std_groups(B, 4);
    const Vec x = randn(B * C * S, 7, 2.0f), dy = randn(B * (C + 1) * S, 8);
    Vec y(dy.size()), dx(x.size());
    minibatch_std_forward(x.data(), y.data(), B, C, S, 4);
    minibatch_std_backward(x.data(), dy.data(), dx.data(), B, C, S, 4);
    for (int P = 1; P <= 4; ++P) {
      int64_t covered = 0;
      for (int r = 0; r < P; ++r) {
        CAPTURE(B);
        CAPTURE(P);
        CAPTURE(r);
        const int64_t m0 = M / P * r + std::min<int64_t>(r, M % P), w = M / P + (r < M % P ? 1 : 0);
        std::vector<int64_t> rows;
        for (int64_t b = 0; b < B; ++b)
          if (b % M >= m0 && b % M < m0 + w) rows.push_back(b);
        covered += static_cast<int64_t>(rows.size());
        if (rows.empty()) continue;
        const auto n = static_cast<int64_t>(rows.size());
        Vec xl(n * C * S), dyl(n * (C + 1) * S), yl(dyl.size()), dxl(xl.size());
        for (int64_t i = 0; i < n; ++i) {
          std::memcpy(&xl[i * C * S], &x[rows[i] * C * S], C * S * sizeof(float));
          std::memcpy(&dyl[i * (C + 1) * S], &dy[rows[i] * (C + 1) * S], (C + 1) * S * sizeof(float));
        }
        minibatch_std_forward(xl.data(), yl.data(), n, C, S, -w);
        minibatch_std_backward(xl.data(), dyl.data(), dxl.data(), n, C, S, -w);
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t k = 0; k < (C + 1) * S; ++k)
            CHECK(yl[i * (C + 1) * S + k] == doctest::Approx(y[rows[i] * (C + 1) * S + k]).epsilon(1e-6));
          for (int64_t k = 0; k < C * S; ++k)
            CHECK(dxl[i * C * S + k] == doctest::Approx(dx[rows[i] * C * S + k]).epsilon(1e-5));
        }
      }
      CHECK(covered == B);
    }
  }
}
