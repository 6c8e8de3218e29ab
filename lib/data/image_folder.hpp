// Folders of PNG / JPEG / BMP images, decoded with stb_image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace gm {

constexpr int kMaxImageSide = 4096;                                 // per image, width and height
constexpr int64_t kMaxImageFolderValues = int64_t{1} << 28;         // n * C * H * W: 1 GiB of float32
constexpr std::size_t kMaxImageFileBytes = std::size_t{256} << 20;  // per file, before decoding

// Layout: DIR/<class>/<image> — one sub-folder per label, sub-folders sorted by name give
// label 0, 1, ... and class_names; or DIR/<image> with no sub-folders — unlabelled.
// Images are picked by extension (.png .jpg .jpeg .bmp, any case); other files and names
// starting with '.' are ignored, as are folders nested deeper than one level.
// All images must have the same width and height. If every image is grey (with or without
// alpha) rows are 1 x H x W, otherwise every image is loaded as RGB, 3 x H x W (CHW);
// alpha is dropped. Values are scaled to [0,1]. Errors: io_error (missing folder),
// corrupt_file (an image that does not decode, named, with stb's reason), invalid_data
// (mixed sizes naming both files, empty class folders, budgets exceeded).
Dataset load_image_folder(const std::string& dir);

}  // namespace gm
