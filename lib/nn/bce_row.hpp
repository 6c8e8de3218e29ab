// The Bernoulli likelihood's elementwise kernel (under nn::bce_with_logits, the vae, fvsbn),
// written so that GCC vectorises it (no calls into libm inside the loops: glibc only offers
// vector expf/log1pf under -ffast-math). Profiling showed the scalar log1p and exp at ~20%
// of a vae training step and ~30% of fvsbn's log_prob; these loops run the same maths 4
// floats per instruction on the library's baseline ISA (SSE2) and 8 with AVX2.
//
//   −log p(x | l) = softplus(l) − x·l = max(l, 0) − x·l + log1p(e^{−|l|})
//   ∂/∂l          = σ(l) − x,  σ(l) = (l ≥ 0 ? 1 : e^{−|l|}) / (1 + e^{−|l|})
//
// exp_neg is Cephes' expf (range reduction by ln 2 to |r| ≤ ln 2 / 2, degree-5 minimax
// polynomial, scale by 2^n through the exponent bits), ≤ 2 ulp on (−87, 0]. log1p_unit uses
// log1p(e) = 2 atanh(s), s = e / (2 + e) ∈ [0, 1/3], and the odd series to s¹³: the first
// omitted term is below 2·3⁻¹⁵/15 ≈ 1e-8 absolute, and small e gives s ≈ e/2 with no
// cancellation, so the relative error stays near float rounding everywhere.
#pragma once

#include <cstdint>
#include <cstring>

namespace gm::nn {

// e^x for x ≤ 0; below −87 (where 2^n leaves the normal range) the result is 0, and so it
// is for any x down to −inf and for NaN. Written without a branch or a select on x: GCC
// keeps those as control flow under -ftrapping-math and then refuses to vectorise (measured
// again in issue 12: 4 of bce_row.cpp's 12 loops stayed vectorised). Comparisons that
// produce masks, and integer arithmetic on the bits, vectorise.
[[gnu::always_inline]] inline float exp_neg(float x) {
  // n = round(x / ln 2) by the 1.5·2^23 trick (SSE2 has no vector floor); exact for
  // |x / ln 2| < 2^22, and the library is built without -ffast-math, so it is not folded.
  constexpr float kMagic = 12582912.0f;  // 1.5·2^23: t's last mantissa bits hold n
  const float t = x * 1.44269504088896341f + kMagic;
  const float n = t - kMagic;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;  // x − n ln 2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // n as an integer from t's bits, not static_cast<int32_t>(n): converting a float outside
  // int32's range is undefined behaviour (UBSan and the model-file fuzzer found it at a logit
  // of −1e21). The bit difference is n whenever |n| < 2^22, and merely wrong (but defined)
  // beyond, where `keep` is 0 anyway.
  uint32_t t_bits;
  std::memcpy(&t_bits, &t, sizeof t_bits);
  const auto ni = static_cast<int32_t>(t_bits - 0x4B400000u);  // 0x4B400000 = bits of kMagic
  // keep: 2^n is a normal float and x is a number in range (false for NaN and x ≤ −104).
  const uint32_t keep = 0u - static_cast<uint32_t>((ni >= -126) & (x > -104.0f));
  const uint32_t bits = ((static_cast<uint32_t>(ni) + 127u) << 23) & keep;  // 2^n, or 0
  float scale, result;
  std::memcpy(&scale, &bits, sizeof scale);
  result = p * scale;
  // Out of range the answer is 0 by the mask, not p · 0: for a huge |x| the polynomial of
  // r overflows, and inf · 0 was NaN.
  uint32_t result_bits;
  std::memcpy(&result_bits, &result, sizeof result_bits);
  result_bits &= keep;
  std::memcpy(&result, &result_bits, sizeof result);
  return result;
}

// log(1 + e) for e ∈ [0, 1].
[[gnu::always_inline]] inline float log1p_unit(float e) {
  const float s = e / (2.0f + e), s2 = s * s;
  float p = 1.0f / 13.0f;
  p = p * s2 + 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return 2.0f * s * p;
}

// Per-pixel terms t = softplus(l) − x·l and, with g, g = scale·(σ(l) − x), for n pixels.
[[gnu::always_inline]] inline void bce_terms(const float* __restrict l, const float* __restrict x, int64_t n,
                                             float* __restrict t, float* __restrict g, float scale) {
  if (g != nullptr) {
    for (int64_t d = 0; d < n; ++d) {
      const float a = l[d] < 0.0f ? -l[d] : l[d];
      const float e = exp_neg(-a);
      const float pos = l[d] > 0.0f ? l[d] : 0.0f;
      t[d] = pos - x[d] * l[d] + log1p_unit(e);
      g[d] = scale * ((l[d] >= 0.0f ? 1.0f : e) / (1.0f + e) - x[d]);
    }
  } else {
    for (int64_t d = 0; d < n; ++d) {
      const float a = l[d] < 0.0f ? -l[d] : l[d];
      const float pos = l[d] > 0.0f ? l[d] : 0.0f;
      t[d] = pos - x[d] * l[d] + log1p_unit(exp_neg(-a));
    }
  }
}

// −log p(x | l) of one row of D pixels; with g, also writes g = scale·(σ(l) − x). Terms and
// partial sums of 256 pixels in float (vectorised), the row total in double. Compiled for
// AVX2 and baseline x86-64 (bce_row.cpp); the builds differ in the last bits of the
// partial sums, each is deterministic.
double bce_row(const float* l, const float* x, int64_t D, float* g, float scale);

}  // namespace gm::nn
