// Square patches cut from photographs: the spec patches:IMAGE_OR_DIR:SIZE[:STRIDE].
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace gm {

// SIZE x SIZE patches of one image file (PNG, JPEG or BMP, told by content) or of every
// image file in a folder (.png .jpg .jpeg .bmp, names sorted, not recursive, names starting
// with '.' skipped), read with the image-folder decoders (data/image_folder.hpp). Patches
// start every `stride` pixels (stride = size: side by side, no overlap), in raster order:
// top to bottom, left to right, image after image. An image of H x W gives
// ((H - size) / stride + 1) x ((W - size) / stride + 1) patches; the right and bottom edges
// left over are dropped. Rows are C x size x size (CHW), values in [0, 1], no labels.
// Channels: 1 when every image is grey (with or without alpha), else 3, a grey image
// replicated into R, G and B (the rule of images:DIR). Alpha is dropped.
// Errors: invalid_argument (size < 1, size above the smallest image side, stride < 1),
// io_error (missing path), invalid_data (a folder without images, an image side above
// kMaxImageSide, more values than kMaxImageFolderValues), out_of_memory (the memory budget,
// core/limits.hpp), and the decoders' corrupt_file / unsupported, each naming the file.
Dataset load_patches(const std::string& path, int64_t size, int64_t stride);

// The part of a spec after "patches:": IMAGE_OR_DIR:SIZE[:STRIDE]. The numbers are taken
// from the right, so the path may contain ':' but not end in ':<digits>'. `spec` is the
// whole string, for messages.
Dataset load_patches_spec(const std::string& rest, const std::string& spec);

}  // namespace gm
