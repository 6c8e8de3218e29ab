#include "core/rng.hpp"

namespace gm {

namespace {
constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) noexcept {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}
}  // namespace

void Rng::refill() noexcept {
  std::array<uint32_t, 4> x = counter_;
  std::array<uint32_t, 2> k = key_;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, x[0], hi0, lo0);
    mulhilo(kMul1, x[2], hi1, lo1);
    x = {hi1 ^ x[1] ^ k[0], lo1, hi0 ^ x[3] ^ k[1], lo0};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  block_ = x;
  index_ = 0;
  // 64-bit block counter in words 0..1; words 2..3 hold the stream id.
  if (++counter_[0] == 0) ++counter_[1];
}

uint64_t Rng::below(uint64_t n) noexcept {
  // Lemire 2019: multiply-shift with rejection of the biased low range.
  uint64_t x = next_u64();
  __uint128_t m = static_cast<__uint128_t>(x) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      x = next_u64();
      m = static_cast<__uint128_t>(x) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Rng::normal() noexcept {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * M_PI * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

// Rejection, exact either way. For bound >= 1, from the normal itself: it lands inside with
// probability >= P(|z| <= 1) = 68%. For smaller bounds that acceptance vanishes (0.8% at
// 0.01), so propose u uniform on [-bound, bound] and keep it with probability
// exp(-u^2/2) / max exp(-u^2/2) = exp(-u^2/2) >= exp(-1/2) = 61%: the kept u have density
// proportional to exp(-u^2/2) on the interval, the truncated normal.
double Rng::truncated_normal(double bound) noexcept {
  if (bound >= 1.0) {
    for (;;) {
      const double z = normal();
      if (std::abs(z) <= bound) return z;
    }
  }
  for (;;) {
    const double u = bound * (2.0 * uniform() - 1.0);
    if (uniform() < std::exp(-0.5 * u * u)) return u;
  }
}

}  // namespace gm
