// The history buffer of generated images (Shrivastava et al. 2017), as CycleGAN's ImagePool:
// a discriminator is updated on images from the generator's recent past, not only its latest
// output, which damps the oscillation of the two players. For each generated image:
//   while the pool holds fewer than `capacity` images: store it and show it;
//   after that, with probability ½ show a uniformly chosen stored image and store the new
//   one in its place, else show the new image.
// capacity 0 shows every image as it is.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace gm::cyclegan {

class ImagePool {
 public:
  ImagePool(int64_t capacity, int64_t d) : capacity_(capacity), d_(d) {}

  // Replaces the n rows of images (n, d) in place by what the discriminator sees.
  void query(float* images, int64_t n, Rng& rng) {
    for (int64_t r = 0; r < n && capacity_ > 0; ++r) {
      float* row = images + r * d_;
      if (count() < capacity_) {
        stored_.insert(stored_.end(), row, row + d_);
        continue;
      }
      if (rng.uniform() >= 0.5) continue;
      float* old = stored_.data() + static_cast<int64_t>(rng.below(static_cast<uint64_t>(capacity_))) * d_;
      std::swap_ranges(row, row + d_, old);
    }
  }

  int64_t count() const { return d_ > 0 ? static_cast<int64_t>(stored_.size()) / d_ : 0; }
  const std::vector<float>& stored() const { return stored_; }

  // Training-state form: [count, count·d values], appended to into.
  void save(std::vector<float>& into) const {
    into.push_back(static_cast<float>(count()));
    into.insert(into.end(), stored_.begin(), stored_.end());
  }
  // Reads what save wrote at from[at...], advancing at; corrupt_file if it does not fit.
  void load(const std::vector<float>& from, std::size_t& at) {
    if (at >= from.size()) fail(Status::corrupt_file, "cyclegan training state: a history buffer is missing");
    const float c = from[at++];
    if (!(c >= 0 && c <= static_cast<float>(capacity_)) || c != static_cast<float>(static_cast<int64_t>(c)))
      fail(Status::corrupt_file, "cyclegan training state: a history buffer claims {} images of at most {}", c,
           capacity_);
    const auto values = static_cast<std::size_t>(static_cast<int64_t>(c) * d_);
    if (from.size() - at < values) fail(Status::corrupt_file, "cyclegan training state: a history buffer is cut short");
    stored_.assign(from.begin() + static_cast<std::ptrdiff_t>(at),
                   from.begin() + static_cast<std::ptrdiff_t>(at + values));
    at += values;
  }

 private:
  int64_t capacity_, d_;
  std::vector<float> stored_;  // count() rows of d values
};

}  // namespace gm::cyclegan
