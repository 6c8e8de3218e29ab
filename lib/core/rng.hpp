// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers:
// as easy as 1, 2, 3", SC 2011). A generator is a pure function of (key, counter), so a
// stream is named by (seed, stream id) and example i of a call can use stream i: results
// do not depend on the thread count or on the order threads run in.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace gm {

class Rng {
 public:
  // seed picks the key; stream picks an independent sequence under that key.
  Rng(uint64_t seed, uint64_t stream) noexcept
      : key_{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)},
        counter_{0, 0, static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)} {}

  uint32_t next_u32() noexcept {
    if (index_ == 4) refill();
    return block_[index_++];
  }
  uint64_t next_u64() noexcept {
    const uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [0, 1) with 24 random bits.
  float uniform_f() noexcept { return static_cast<float>(next_u32() >> 8) * 0x1.0p-24f; }
  // Bernoulli draw: 1 with probability p.
  bool bernoulli(double p) noexcept { return uniform() < p; }
  // Uniform integer in [0, n) without modulo bias (Lemire's method), n > 0.
  uint64_t below(uint64_t n) noexcept;
  // Standard normal by Box–Muller (the second value of a pair is cached).
  double normal() noexcept;
  // Standard normal conditioned on |z| <= bound (bound > 0), exactly: see rng.cpp.
  double truncated_normal(double bound) noexcept;
  // A latent draw under SampleOptions::truncation: the full normal for 0, else truncated.
  double latent_normal(double truncation) noexcept {
    return truncation > 0.0 ? truncated_normal(truncation) : normal();
  }

 private:
  void refill() noexcept;

  std::array<uint32_t, 2> key_;
  std::array<uint32_t, 4> counter_;
  std::array<uint32_t, 4> block_{};
  int index_ = 4;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace gm
