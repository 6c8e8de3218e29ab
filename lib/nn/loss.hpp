// Losses of the likelihood models, as plain loops (elementwise work oneDNN has no primitive
// for; OpenMP over examples). Each writes the per-example loss sums per_example (B) — the
// negative log-likelihood in nats of each row — returns their total (summed in row order, so
// it does not depend on the thread count), and writes the gradient of grad_scale · total
// w.r.t. its inputs where the pointer is not null (grad_scale = 1/B gives the batch mean).
#pragma once

#include <cstdint>

namespace gm::nn {

// Bernoulli likelihood with logits l and binary (or [0,1]) targets x (B, D):
//   −log p(x | l) = Σ_d max(l,0) − l·x + log1p(e^{−|l|})   (stable form of BCE(σ(l), x))
//   ∂/∂l = σ(l) − x
double bce_with_logits(const float* logits, const float* x, int64_t B, int64_t D, double* per_example, float* dlogits,
                       float grad_scale = 1.0f);

// Gaussian likelihood N(x; μ, e^{lv}) (B, D); logvar null means lv = 0 (unit variance):
//   −log p = ½ Σ_d log 2π + lv + (x − μ)² e^{−lv}
//   ∂/∂μ = (μ − x) e^{−lv},  ∂/∂lv = ½ (1 − (x − μ)² e^{−lv})
double gaussian_nll(const float* x, const float* mean, const float* logvar, int64_t B, int64_t D, double* per_example,
                    float* dmean, float* dlogvar, float grad_scale = 1.0f);

// KL(N(μ, e^{lv}) ‖ N(0, 1)) per row of (B, Z), the VAE's regulariser (Kingma & Welling
// 2014, appendix B):
//   KL = −½ Σ_z 1 + lv − μ² − e^{lv}
//   ∂/∂μ = μ,  ∂/∂lv = ½ (e^{lv} − 1)
double kl_std_normal(const float* mu, const float* logvar, int64_t B, int64_t Z, double* per_example, float* dmu,
                     float* dlogvar, float grad_scale = 1.0f);

// Categorical likelihood with logits l (B, K) and integer labels y (B) in [0, K):
//   −log softmax(l)_y = logsumexp(l) − l_y,  logsumexp(l) = m + log Σ_k e^{l_k − m}, m = max l
//   (subtracting the max keeps every exponent ≤ 0: no overflow at any logit size)
//   ∂/∂l_k = softmax(l)_k − [k = y]
// A label outside [0, K) is invalid_argument.
double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t B, int64_t K, double* per_example,
                             float* dlogits, float grad_scale = 1.0f);

}  // namespace gm::nn
