// Data sets loaded by the library and the spec strings that name them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/data_view.hpp"

namespace gm {

struct Dataset {
  std::vector<float> x;  // (n, d) row-major
  int64_t n = 0;
  int64_t d = 0;
  ImageShape image;             // set for image data (IDX, image folders, bars-and-stripes)
  std::vector<int32_t> labels;  // empty or n entries in [0, num_classes)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // optional, one per class

  DataView view() const;
  // Keep the first m rows (and labels).
  void truncate(int64_t m);
};

// spec:
//   fashion-mnist:train | fashion-mnist:test
//   idx:IMAGES[:LABELS]
//   images:DIR
//   npy:FILE[:LABELS.npy]
//   builtin:bars-and-stripes[:N]
// Pixel data (uint8) is scaled to [0,1]. Throws Error with io_error / corrupt_file /
// invalid_argument and a message saying what to fix.
Dataset load_dataset(const std::string& spec);

}  // namespace gm
