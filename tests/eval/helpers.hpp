// Shared by the eval suites: a small labelled image set (Fashion-MNIST's test split when the
// Debian package is installed, else a synthetic 10-class set), and error capture.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/dataset.hpp"
#include "data/helpers.hpp"  // tests/data: catch_error
#include "data/idx.hpp"

namespace evaltest {

// Class c is a bright 8×8 square at one of 10 places on a noisy background: easy for a CNN,
// distinct enough in feature space for the distance tests.
inline gm::Dataset synthetic_images(int64_t n, uint64_t seed) {
  gm::Dataset ds;
  ds.n = n;
  ds.d = 784;
  ds.image = {1, 28, 28};
  ds.num_classes = 10;
  ds.x.resize(static_cast<std::size_t>(n * 784));
  ds.labels.resize(static_cast<std::size_t>(n));
  gm::Rng rng(seed, 0);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t c = static_cast<int32_t>(i % 10);
    ds.labels[i] = c;
    const int64_t top = 2 + 9 * (c / 5), left = 1 + 5 * (c % 5);
    for (int64_t p = 0; p < 784; ++p) {
      const int64_t r = p / 28, q = p % 28;
      const bool on = r >= top && r < top + 8 && q >= left && q < left + 8;
      ds.x[i * 784 + p] = on ? 0.7f + 0.3f * rng.uniform_f() : 0.3f * rng.uniform_f();
    }
  }
  return ds;
}

inline bool have_fashion_mnist() {
  return std::filesystem::exists(gm::fashion_mnist_dir() + "/t10k-images-idx3-ubyte.gz");
}

// The first n test images of Fashion-MNIST, or n synthetic ones.
inline gm::Dataset small_image_set(int64_t n) {
  if (!have_fashion_mnist()) {
    MESSAGE("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): using synthetic images");
    return synthetic_images(n, 7);
  }
  gm::Dataset ds = gm::load_dataset("fashion-mnist:test");
  ds.truncate(std::min(n, ds.n));
  return ds;
}

// The suites share one error catcher (tests/data/helpers.hpp).
using gm_test::catch_error;
using gm_test::Caught;

}  // namespace evaltest
