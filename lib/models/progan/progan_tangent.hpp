// The exact parameter gradient of ProGAN's gradient penalty: a forward-mode ("tangent") pass
// through D and its reverse, the reverse-over-forward product the layer kit has no double
// backward for. stargan.hpp derives the idea for a piecewise-linear D; ProGAN's D adds the
// minibatch standard deviation, which is not piecewise linear, so here the general form.
//
// The penalty, as the official code has it: F(x) = Σ_b D(x)_b over the batch (D couples the
// images through the minibatch stddev), g_b = ∇_{x_b} F(x̂), L_gp = (λ/B) Σ_b (‖g_b‖ − 1)².
// With v_b = g_b/‖g_b‖ and w_b = 2λ(‖g_b‖ − 1)/B held fixed (the derivative of the norm),
//     ∂L_gp/∂θ = ∂/∂θ ⟨∇_x F(x̂; θ), u⟩ = ∂Ḟ/∂θ,    u_b = w_b·v_b,
// where Ḟ = J_x F(x̂; θ)·u is the directional derivative of F at x̂ along u: the tangent pass.
// Every layer y = φ(x; θ) maps (x, ẋ) to (y, ẏ = ∂φ/∂x·ẋ); Ḟ's gradient runs back through
// both, each layer taking the adjoints (ȳ, ẏ̄) to (x̄, ẋ̄) and adding into θ̄:
//   convolution (weights w, bias b, equalised scale c): ẏ = conv(c·ẋ; w), no bias;
//       ẋ̄ = c·convᵀ(ẏ̄), x̄ = c·convᵀ(ȳ), w̄ += conv_w(c·ẋ, ẏ̄) + conv_w(c·x, ȳ), b̄ += Σ ȳ
//   LeakyReLU: ẏ = σ(x)·ẋ with σ ∈ {1, 0.2} fixed off the kinks (its derivative is 0 there,
//       as in PyTorch's double backward): ẋ̄ = σ·ẏ̄, x̄ = σ·ȳ
//   average pool, upsampling, the fade's blend: linear maps, the same for both
//   minibatch stddev (nn/minibatch_std.hpp): ẏ = (ẋ, ṡ), with per group m of n images over
//       N = C·S features j, d = x − μ, σ_j = √(v_j + 1e-8):
//         ṡ = (1/(nN)) Σ_j Σ_b d_bj ẋ_bj / σ_j                      (Σ_b d_bj = 0 drops μ̇)
//       ẋ̄ = its Jacobian's transpose on ẏ̄ (minibatch_std_backward), and the primal adjoint
//       gains the second-order term, with T_m = Σ_{b∈m,p} ẏ̄[b, C, p], e = ẋ − mean_m ẋ and
//       A_j = Σ_b d_bj ẋ_bj:
//         x̄_bj += T_m/(nN) · (e_bj/σ_j − A_j d_bj/(n σ_j³))           (mbstd_second_order)
// Above the minibatch stddev every layer is piecewise linear, so ȳ = 0 there; below it x̄ is
// the second-order term, carried down by D's ordinary backward (which adds w̄ and b̄). The
// cost: one more forward and two backward passes of D on B images.
#pragma once

#include <cstdint>
#include <vector>

#include "models/progan/progan_nets.hpp"
#include "nn/buffer.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::progan {

// A Sequential's tangent pass: per stage the scaled input tangent c·t_i (what the weight
// gradient reads), the layer's tangent and, with a pool, the pooled one.
struct TangentWork {
  std::vector<nn::Buffer> in, z, pool;
  nn::Buffer ga, gb, bias;
};

// t (B, net.in_size()) → the output tangent (B, net.out_size()), at the point of the last
// training pass with primal. Stages: conv layers (stride, padding, equalised or not), none /
// relu / leaky_relu, average pool; anything else throws internal.
const float* tangent_forward(nn::Sequential& net, const nn::SequentialWork& primal, nn::ParameterStore& store,
                             const float* t, int64_t B, TangentWork& tw);
// g (B, out) the adjoint of the output tangent (overwritten) → dt (B, in) written when not
// null; the weight gradients w̄ += conv_w(c·t, ġ) added into store, the biases untouched.
void tangent_backward(nn::Sequential& net, const nn::SequentialWork& primal, nn::ParameterStore& store, float* g,
                      float* dt, int64_t B, TangentWork& tw);

// The minibatch stddev's tangent: x, t (B, C, S) → out (B, C + 1, S) = (t, ṡ per group).
void mbstd_tangent_forward(const float* x, const float* t, float* out, int64_t B, int64_t C, int64_t S, int64_t group);
// The second-order term above: dx (B, C, S) written from x, the tangent t and the adjoint
// gt (B, C + 1, S) of the output tangent (only its last channel matters).
void mbstd_second_order(const float* x, const float* t, const float* gt, float* dx, int64_t B, int64_t C, int64_t S,
                        int64_t group);

// D's whole tangent pass and its reverse at the point of the last d_forward with p, for the
// input tangent u (B, C, side, side): adds ∂Ḟ/∂θ, Ḟ = Σ_b Ḋ_b, into D's gradients; returns Ḟ.
struct DTangent {
  std::vector<TangentWork> blocks;
  TangentWork rgb_new, rgb_old, last;
  nn::Buffer pooled, blend, feat, ones, g_feat, ga, gb, g_old, xbar;
};
double d_tangent_gradient(Nets& nets, DPass& p, const float* u, DTangent& t);

}  // namespace gm::progan
