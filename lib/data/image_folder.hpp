// Folders of PNG / JPEG / BMP images: PNG and BMP decoded with stb_image, JPEG with libjpeg-turbo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
// corrupt_file (an image that does not decode, named, with the decoder's reason; a JPEG
// libjpeg only warns about, e.g. truncated, is corrupt too), unsupported (a CMYK/YCCK or
// other 4-component JPEG: convert it to RGB), invalid_data (mixed sizes naming both files,
// empty class folders, budgets exceeded).
Dataset load_image_folder(const std::string& dir);

// One image file (PNG, JPEG or BMP, told by content), for loaders built on this one
// (data/patches.hpp). channels: 1 for grey (with or without alpha), 3 for colour.
struct ImageInfo {
  int width = 0;
  int height = 0;
  int channels = 0;
};
// The image files of `dir` (.png .jpg .jpeg .bmp, any case; not starting with '.'; regular
// files only), sorted by name; sub-folders are not entered. io_error if it cannot be listed.
std::vector<std::string> list_image_files(const std::string& dir);
// The header only; throws io_error, corrupt_file, unsupported or invalid_data (a side
// above kMaxImageSide) as load_image_folder does, naming the file.
ImageInfo read_image_info(const std::string& path);
// The pixels as expect.channels bytes a pixel, row-major HWC: 3 gives RGB (a grey image
// replicated), 1 grey (ask for 1 only when read_image_info said 1). The file must still be
// expect.width x expect.height (corrupt_file otherwise).
std::vector<uint8_t> decode_image(const std::string& path, const ImageInfo& expect);

}  // namespace gm
