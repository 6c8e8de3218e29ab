// ProGAN's configuration (progan.hpp has the model): the widths of the stages, the growth
// schedule, the WGAN-GP loss and Adam.
//
// Widths. Stage k (k = 0 at the lowest resolution) has f_k = min(fmap_base >> k, fmap_max)
// feature maps (at least 1): the official code's nf(stage) = min(fmap_base / 2^stage,
// fmap_max) with fmap_decay 1. The paper's 512 … 16 at 4 … 1024 are fmap_base 8192 and
// fmap_max 512; the defaults here, 128 and 64, give 64, 64, 32, 16, 8 at 4, 8, 16, 32, 64
// (or 7, 14, 28): small enough for a CPU, wide enough for Fashion-MNIST.
//
// Schedule, in real images shown to D (progan_schedule.hpp): the first stage trains for
// stable_images, every later one fades in over fade_images and then stabilises for
// stable_images (the paper: 800 000 each); the last stage goes on for as long as fit runs.
// The defaults, 60 000 each, are one epoch of Fashion-MNIST per phase.
#pragma once

#include <cstdint>

#include "core/config.hpp"

namespace gm::progan {

struct Config {
  int64_t latent = 64;  // Z, the noise's width (the paper: 512, its first stage's width)
  int64_t fmap_base = 128, fmap_max = 64;
  int64_t fade_images = 60000, stable_images = 60000;
  int64_t mbstd_group = 4;                  // minibatch standard deviation's group size
  float lambda_gp = 10.0f, drift = 0.001f;  // WGAN-GP's λ and the paper's ε_drift
  // Lazy regularisation (Karras et al. 2020, StyleGAN2 §2.2): the penalty only on every
  // gp_every-th D step (global steps 1, 1 + k, 1 + 2k, …), weighted λ·k there, so that its
  // average weight per step stays λ. 1 = the penalty at every step (the paper's WGAN-GP).
  int64_t gp_every = 1;
  float lr = 1e-3f, beta1 = 0.0f, beta2 = 0.99f;

  // f_k, the feature maps of stage k.
  int64_t width(int64_t k) const;
};

// Reads and validates; effective receives the configuration with defaults filled in.
Config read_config(const Json& given, Json& effective);
const Schema& schema();

}  // namespace gm::progan
