// Key patches: cutting them out of images, placing them on canvases, their masks and the
// appearance loss. Plain loops on (C, S, S) images and (C, P, P) patches, row-major; a
// position is (top, left), the patch covering rows top..top+P−1 and columns left..left+P−1.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.hpp"

namespace gm::puzzlegan {

// patch (C, P, P) = image (C, S, S) at (top, left).
void cut_patch(const float* image, int64_t C, int64_t S, int64_t P, int64_t top, int64_t left, float* patch);

// canvas (C + 1, S, S): the patch's C channels at (top, left) and 0 elsewhere, then its
// placement mask (1 inside the patch, 0 outside). The mask channel tells a patch pixel of value
// 0 from empty canvas, which the encoder could not otherwise.
void place_on_canvas(const float* patch, int64_t C, int64_t S, int64_t P, int64_t top, int64_t left, float* canvas);

// mask (S, S): 1 where any of the k patches at positions (k × (top, left)) lies, else 0 —
// the union of their placement masks, the mask generator's target.
void union_mask(const int64_t* positions, int64_t k, int64_t S, int64_t P, float* mask);

// k positions drawn uniformly from [0, S − P]² (the unsupervised stand-in for the paper's
// key-part detectors; docs/gan.md).
void random_positions(Rng& rng, int64_t S, int64_t P, int64_t k, int64_t* positions);

// How key patches are picked (config "key_patches"): anywhere, or on the object.
enum class KeyPatches { random, object };

// A pixel belongs to the object when some channel differs from the background by more than
// this (values in [0, 1]); the background of a channel is the median of its border pixels.
inline constexpr float kObjectContrast = 0.1f;

// k positions among those whose P×P patch has at least half of its pixels on the object of
// image (C, S, S; values in [0, 1]) — the unsupervised stand-in for the paper's key-part
// detectors, which propose distinct parts of the object and never empty background
// (docs/gan.md, "Whole images from parts"). Each is drawn uniformly among the candidates that
// overlap every earlier pick by at most P²/4 pixels, or among all candidates when none is
// left. An image with no candidate (blank, or an object smaller than half a patch) falls back
// to random_positions. work is scratch space, reused across calls.
void object_positions(Rng& rng, const float* image, int64_t C, int64_t S, int64_t P, int64_t k, int64_t* positions,
                      std::vector<int32_t>& work);

// The appearance loss of B generated images gen (B, C, S, S) against their k patches each
// (B·k, C, P, P) at positions (B·k × (top, left)): per image the mean absolute difference
// over the k·C·P² patch values (a pixel under two patches counts twice),
//     A = Σ_b (1 / (k C P²)) Σ_j Σ_{c,y,x} |gen_b[c, top_bj + y, left_bj + x] − patch_bj[c, y, x]|
// returned as that sum over images; dgen (if not null) gets weight · ∂A/∂gen / B ADDED (sign(0)
// = 0, the subgradient PyTorch's L1 uses), so weight · A / B is the batch mean's term.
double appearance_l1(const float* gen, const float* patches, const int64_t* positions, int64_t B, int64_t k, int64_t C,
                     int64_t S, int64_t P, float weight, float* dgen);

}  // namespace gm::puzzlegan

namespace gm::puzzlegan {

// The mask-prediction loss: binary cross-entropy of B rows of n logits l against targets t in
// {0, 1}, per row the mean over its n values,
//     L = Σ_b (1/n) Σ_i softplus(l_bi) − t_bi·l_bi
// returned as that sum; dl (if not null) = weight · (σ(l_bi) − t_bi) / (n·B).
double mask_bce(const float* l, const float* t, int64_t B, int64_t n, float weight, float* dl);

}  // namespace gm::puzzlegan
