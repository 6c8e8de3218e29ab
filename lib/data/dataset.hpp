// Data sets loaded by the library and the spec strings that name them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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
  int64_t levels = 0;                    // M after quantize (binarize: 2); 0 = values as loaded

  DataView view() const;
  // Keep the first m rows (and labels).
  void truncate(int64_t m);
};

// spec:
//   fashion-mnist:train | fashion-mnist:test   (folder: $GM_FASHION_MNIST_DIR or Debian's)
//   idx:IMAGES[:LABELS]            IDX files, gzip-compressed or not (data/idx.hpp)
//   images:DIR                     PNG/JPEG/BMP, one sub-folder per class (data/image_folder.hpp)
//   npy:FILE[:LABELS.npy]          .npy arrays (data/npy.hpp)
//   patches:IMAGE_OR_DIR:SIZE[:STRIDE]  SIZE x SIZE patches of a photo or a folder's photos,
//                                  every STRIDE pixels (default SIZE) (data/patches.hpp)
//   builtin:bars-and-stripes[:N]   N in [2, 8], default 4 (data/builtin.hpp)
// The scheme ends at the first ':'; for idx and npy the next ':' separates the labels file,
// so those paths cannot contain ':' (the DIR of images: can, and the path of patches: if it
// does not end in ':<digits>').
// Pixel data of IDX files and images is scaled to [0,1]; .npy values are kept as stored.
// Throws Error with invalid_argument (bad spec; the message lists the valid forms),
// io_error (missing file), corrupt_file, unsupported or invalid_data, saying what to fix.
Dataset load_dataset(const std::string& spec);

// The data file and labels file ("" if none) of an idx: or npy: spec, checked as
// load_dataset checks them (invalid_argument for an empty part).
std::pair<std::string, std::string> spec_files(const std::string& spec);

}  // namespace gm
