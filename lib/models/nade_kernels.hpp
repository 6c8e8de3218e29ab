// The O(H·D) inner loops of nade (see nade.hpp for the model), in two builds: plain loops
// for any x86-64 (nade_kernels.cpp: the fallback and the tests' cross-check) and AVX2 + FMA
// intrinsics (nade_kernels_avx2.cpp). kernels() picks once per process by CPUID. Each
// build is deterministic; the two differ in the last bits.
//
// Binary data makes the recurrence sparse: a_{i+1} = a_i + W_i x_i changes only where
// x_i = 1, and so does h = σ(a). Every kernel carries h beside a and recomputes the sigmoid
// only after a pixel that is on (31% of binarised Fashion-MNIST pixels): the dot products
// V_i · h are then the only work done at every pixel.
//
// Layout (the parameter store's, see nade.hpp): W (D, H) row i = the hidden-unit weights of
// pixel i; V (D, H) row i = the output weights of pixel i; b (D); c (H). Rows x of data are
// (n, D) with every value 0 or 1. A hidden range [h0, h0 + hc) lets training split H across
// threads with disjoint gradients; log_prob and sampling use the whole range.
#pragma once

#include <cstdint>

#include "core/rng.hpp"

namespace gm::nade {

struct Weights {
  const float* w = nullptr;  // (D, H)
  const float* v = nullptr;  // (D, H)
  const float* b = nullptr;  // (D)
  const float* c = nullptr;  // (H)
  int64_t d = 0, h = 0;
};

struct Kernels {
  const char* name;

  // Forward over hidden units [h0, h0 + hc) for n rows x (n, D), all rows in lockstep over i.
  //   part (n, D) out: part[r, i] = Σ_{k in range} V[i, k] σ(a_i[k])   (logit i minus b_i)
  //   a, h (n, hc) out: a_D = c + Σ_i W_i x_i and σ(a_D) on the range, where backward starts.
  // With the whole range (h0 = 0, hc = H) part is bit-identical to draw's logits − b.
  void (*forward)(const Weights& p, int64_t h0, int64_t hc, const float* x, int64_t n, float* a, float* h, float* part);

  // The backward recurrence over the same range, i = D−1 … 0:
  //   a_i = a_{i+1} − W_i x_i (walked back by subtraction: nothing is stored per pixel),
  //   h_i = σ(a_i), gV_i += g_i h_i, gW_i += x_i s, s += g_i V_i ⊙ h_i ⊙ (1 − h_i)
  // with s = Σ_{j>i} δa_j, then gc += s. g (n, D) = d loss / d logit. a, h (n, hc) in: from
  // forward (consumed). s (n, hc) scratch. gw, gv (D, H) and gc (H) are the full
  // gradient arrays; only columns [h0, h0 + hc) are touched (added into).
  void (*backward)(const Weights& p, int64_t h0, int64_t hc, const float* x, const float* g, int64_t n, float* a,
                   float* h, float* s, float* gw, float* gv, float* gc);

  // Sequential draw of n rows in raster order, all rows in lockstep over i. Pixels with
  // observed[r·cond_stride + i] != 0 are clamped to values[same] (0 or 1) and add
  // log p(x_i | x_<i) to log_w[r]; the others are drawn with rng[r] (one uniform each).
  // observed/values may be null (plain sampling); log_w may be null. cond_stride = 0
  // shares one row. a, h (n, H) scratch; out (n, D).
  void (*draw)(const Weights& p, int64_t n, const float* values, const uint8_t* observed, int64_t cond_stride, Rng* rng,
               float* a, float* h, float* out, double* log_w);

  // x ← σ(x) elementwise, the fast sigmoid the other kernels use (for tests and encode).
  void (*sigmoid)(float* x, int64_t n);
};

// The best build for this CPU (AVX2 + FMA when CPUID reports both).
const Kernels& kernels();
// The baseline x86-64 build: the fallback, and a cross-check for the tests.
const Kernels& generic_kernels();

}  // namespace gm::nade
