#include "models/puzzlegan/puzzlegan_parts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace gm::puzzlegan {

void cut_patch(const float* image, int64_t C, int64_t S, int64_t P, int64_t top, int64_t left, float* patch) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < P; ++y)
      std::memcpy(patch + (c * P + y) * P, image + (c * S + top + y) * S + left,
                  static_cast<std::size_t>(P) * sizeof(float));
}

void place_on_canvas(const float* patch, int64_t C, int64_t S, int64_t P, int64_t top, int64_t left, float* canvas) {
  std::fill(canvas, canvas + (C + 1) * S * S, 0.0f);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < P; ++y)
      std::memcpy(canvas + (c * S + top + y) * S + left, patch + (c * P + y) * P,
                  static_cast<std::size_t>(P) * sizeof(float));
  float* mask = canvas + C * S * S;
  for (int64_t y = 0; y < P; ++y) std::fill(mask + (top + y) * S + left, mask + (top + y) * S + left + P, 1.0f);
}

void union_mask(const int64_t* positions, int64_t k, int64_t S, int64_t P, float* mask) {
  std::fill(mask, mask + S * S, 0.0f);
  for (int64_t j = 0; j < k; ++j) {
    const int64_t top = positions[2 * j], left = positions[2 * j + 1];
    for (int64_t y = 0; y < P; ++y) std::fill(mask + (top + y) * S + left, mask + (top + y) * S + left + P, 1.0f);
  }
}

void random_positions(Rng& rng, int64_t S, int64_t P, int64_t k, int64_t* positions) {
  const uint64_t span = static_cast<uint64_t>(S - P + 1);
  for (int64_t i = 0; i < 2 * k; ++i) positions[i] = static_cast<int64_t>(rng.below(span));
}

void object_positions(Rng& rng, const float* image, int64_t C, int64_t S, int64_t P, int64_t k, int64_t* positions,
                      std::vector<int32_t>& work) {
  // Per channel the background: the median of the 4(S − 1) border pixels.
  std::vector<float> border;
  border.reserve(static_cast<std::size_t>(4 * S));
  const int64_t side = S + 1;
  work.assign(static_cast<std::size_t>(side * side), 0);  // integral image of the object mask
  std::vector<float> background(static_cast<std::size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    const float* im = image + c * S * S;
    border.clear();
    for (int64_t i = 0; i < S; ++i) {
      border.push_back(im[i]), border.push_back(im[(S - 1) * S + i]);
      if (i > 0 && i < S - 1) border.push_back(im[i * S]), border.push_back(im[i * S + S - 1]);
    }
    auto mid = border.begin() + static_cast<std::ptrdiff_t>(border.size() / 2);
    std::nth_element(border.begin(), mid, border.end());
    background[static_cast<std::size_t>(c)] = *mid;
  }
  for (int64_t y = 0; y < S; ++y)
    for (int64_t x = 0; x < S; ++x) {
      int32_t on = 0;
      for (int64_t c = 0; c < C; ++c)
        on |= std::fabs(image[(c * S + y) * S + x] - background[static_cast<std::size_t>(c)]) > kObjectContrast;
      work[static_cast<std::size_t>((y + 1) * side + x + 1)] = on + work[static_cast<std::size_t>(y * side + x + 1)] +
                                                               work[static_cast<std::size_t>((y + 1) * side + x)] -
                                                               work[static_cast<std::size_t>(y * side + x)];
    }
  // Candidates (top · (S − P + 1) + left) appended after the integral image.
  const int64_t span = S - P + 1, area = side * side;
  auto at = [&](int64_t y, int64_t x) { return work[static_cast<std::size_t>(y * side + x)]; };
  for (int64_t t = 0; t < span; ++t)
    for (int64_t l = 0; l < span; ++l) {
      const int64_t on = at(t + P, l + P) - at(t, l + P) - at(t + P, l) + at(t, l);
      if (2 * on >= P * P) work.push_back(static_cast<int32_t>(t * span + l));
    }
  const std::size_t first = static_cast<std::size_t>(area), end = work.size();
  if (end == first) return random_positions(rng, S, P, k, positions);
  // Distinct parts: each next patch among the candidates that overlap every patch chosen so
  // far by at most a quarter of a patch, while any remain (then among all candidates).
  auto overlap = [&](int64_t a, int64_t t, int64_t l) {
    const int64_t dy = P - std::abs(positions[2 * a] - t), dx = P - std::abs(positions[2 * a + 1] - l);
    return dy > 0 && dx > 0 ? dy * dx : 0;
  };
  for (int64_t j = 0; j < k; ++j) {
    work.resize(end);
    for (std::size_t i = first; i < end; ++i) {
      const int64_t t = work[i] / span, l = work[i] % span;
      bool apart = true;
      for (int64_t a = 0; a < j && apart; ++a) apart = 4 * overlap(a, t, l) <= P * P;
      if (apart) work.push_back(work[i]);
    }
    const std::size_t from = work.size() > end ? end : first, count = (work.size() > end ? work.size() : end) - from;
    const int64_t pick = work[from + rng.below(count)];
    positions[2 * j] = pick / span, positions[2 * j + 1] = pick % span;
  }
  work.resize(end);
}

double appearance_l1(const float* gen, const float* patches, const int64_t* positions, int64_t B, int64_t k, int64_t C,
                     int64_t S, int64_t P, float weight, float* dgen) {
  const double per_image = static_cast<double>(k * C * P * P);
  const float step = static_cast<float>(weight / (per_image * static_cast<double>(B)));
  double total = 0;
  for (int64_t b = 0; b < B; ++b) {
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t part = b * k + j, top = positions[2 * part], left = positions[2 * part + 1];
      const float* p = patches + part * C * P * P;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t y = 0; y < P; ++y)
          for (int64_t x = 0; x < P; ++x) {
            const int64_t at = ((b * C + c) * S + top + y) * S + left + x;
            const float diff = gen[at] - p[(c * P + y) * P + x];
            sum += std::fabs(static_cast<double>(diff));
            if (dgen) dgen[at] += diff > 0 ? step : (diff < 0 ? -step : 0.0f);
          }
    }
    total += sum / per_image;
  }
  return total;
}

}  // namespace gm::puzzlegan

namespace gm::puzzlegan {

double mask_bce(const float* l, const float* t, int64_t B, int64_t n, float weight, float* dl) {
  const float scale = static_cast<float>(weight / (static_cast<double>(n) * static_cast<double>(B)));
  double total = 0;
  for (int64_t b = 0; b < B; ++b) {
    double row = 0;
    for (int64_t i = b * n; i < (b + 1) * n; ++i) {
      const double x = l[i];
      row += (x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))) - t[i] * x;
      if (dl) dl[i] = scale * static_cast<float>(1.0 / (1.0 + std::exp(-x)) - t[i]);
    }
    total += row / static_cast<double>(n);
  }
  return total;
}

}  // namespace gm::puzzlegan
