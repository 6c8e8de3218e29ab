// ProGAN's growth schedule (Karras et al. 2018, §2; the official code's TrainingSchedule with
// lod_training_kimg = stable_images and lod_transition_kimg = fade_images): which stage D and
// G train at, and the fade-in's α, after n real images have been shown to D.
//
//   stage 0        images [0, T_s)                         α = 1 (nothing to fade from)
//   stage k ≥ 1    fade   [T_s + (k−1)(T_f + T_s), … + T_f)  α = (n − start) / T_f ∈ [0, 1)
//                  stable [… + T_f, … + T_f + T_s)          α = 1
//   the last stage stays once reached (its stable phase lasts as long as fit runs).
//
// n counts the images before a batch: a batch trains at the phase its first image falls in, as
// the official code computes lod from cur_nimg before each minibatch. α is computed in double
// and rounded once, so the same n always gives the same float.
#pragma once

#include <cstdint>

namespace gm::progan {

struct Phase {
  int64_t stage = 0;   // 0 = the lowest resolution
  float alpha = 1.0f;  // 1 outside a fade
  bool fading() const { return alpha < 1.0f; }
};

inline Phase phase_at(int64_t images, int64_t stages, int64_t fade_images, int64_t stable_images) {
  Phase p;
  if (images < stable_images || stages <= 1) return p;
  const int64_t after = images - stable_images, cycle = fade_images + stable_images;
  const int64_t k = 1 + after / cycle;
  if (k >= stages) {  // past the start of the last stage's stable phase, or exactly at it
    p.stage = stages - 1;
    return p;
  }
  p.stage = k;
  const int64_t into = after % cycle;
  if (into < fade_images) p.alpha = static_cast<float>(static_cast<double>(into) / static_cast<double>(fade_images));
  return p;
}

}  // namespace gm::progan
