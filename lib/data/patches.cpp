#include "data/patches.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/image_folder.hpp"

namespace gm {
namespace {

constexpr const char* kPatchesForm = "patches:IMAGE_OR_DIR:SIZE[:STRIDE]";

// Patches along one side of n pixels (n >= size >= 1, stride >= 1).
int64_t patches_along(int64_t n, int64_t size, int64_t stride) { return (n - size) / stride + 1; }

// A whole number >= 0 of at most 9 digits, or -1.
int64_t parse_count(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Dataset load_patches(const std::string& path, int64_t size, int64_t stride) {
  if (size < 1) fail(Status::invalid_argument, "patches of '{}': the patch size is {}; it must be >= 1", path, size);
  if (stride < 1) fail(Status::invalid_argument, "patches of '{}': the stride is {}; it must be >= 1", path, stride);

  std::error_code ec;
  std::vector<std::string> files;
  if (std::filesystem::is_directory(path, ec)) {
    files = list_image_files(path);
    if (files.empty())
      fail(Status::invalid_data, "'{}' holds no .png/.jpg/.jpeg/.bmp images to cut patches from", path);
  } else if (std::filesystem::exists(path, ec)) {
    files.push_back(path);
  } else {
    fail(Status::io_error, "'{}' does not exist; give an image file (PNG, JPEG, BMP) or a folder of images", path);
  }

  // Pass 1: headers only. Every limit is checked before a pixel is decoded.
  std::vector<ImageInfo> infos;
  infos.reserve(files.size());
  bool colour = false;
  std::size_t smallest = 0;  // the image with the smallest side
  for (const std::string& file : files) {
    infos.push_back(read_image_info(file));  // sides <= kMaxImageSide, or invalid_data
    colour |= infos.back().channels == 3;
    const ImageInfo& a = infos.back();
    const ImageInfo& b = infos[smallest];
    if (std::min(a.width, a.height) < std::min(b.width, b.height)) smallest = infos.size() - 1;
  }
  const ImageInfo& small = infos[smallest];
  const int64_t min_side = std::min(small.width, small.height);
  if (size > min_side)
    fail(Status::invalid_argument,
         "patches of '{}': size {} does not fit image '{}' ({}x{}); the size must be in [1, {}], the smallest image "
         "side",
         path, size, files[smallest], small.width, small.height, min_side);

  const int channels = colour ? 3 : 1;
  const int64_t d = channels * size * size;  // size <= kMaxImageSide: no overflow
  if (d > limits::kMaxRowWidth)
    fail(Status::invalid_data, "patches of '{}': a {}x{}x{} patch is {} values, above the row width limit {}", path,
         channels, size, size, d, limits::kMaxRowWidth);
  int64_t n = 0;
  for (const ImageInfo& info : infos) {
    // Each term is at most kMaxImageSide² and there are at most as many as files: no overflow.
    n += patches_along(info.height, size, stride) * patches_along(info.width, size, stride);
  }
  if (n > kMaxImageFolderValues / d)
    fail(Status::invalid_data,
         "patches of '{}': {} patches of {}x{}x{} exceed the budget of {} values; use a larger stride or fewer images",
         path, n, channels, size, size, kMaxImageFolderValues);
  limits::require_memory(n * d, static_cast<int64_t>(sizeof(float)), "the patches data set");

  Dataset ds;
  ds.n = n;
  ds.d = d;
  ds.image = ImageShape{channels, size, size};
  ds.x.resize(static_cast<std::size_t>(n * d));

  // Pass 2: one image decoded at a time, its patches copied out HWC -> CHW.
  float* row = ds.x.data();
  const int64_t plane = size * size;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const ImageInfo expect{infos[i].width, infos[i].height, channels};
    const std::vector<uint8_t> pixels = decode_image(files[i], expect);
    const int64_t w = expect.width;
    for (int64_t top = 0; top + size <= expect.height; top += stride) {
      for (int64_t left = 0; left + size <= w; left += stride, row += d) {
        for (int64_t y = 0; y < size; ++y) {
          const uint8_t* src = pixels.data() + ((top + y) * w + left) * channels;
          for (int64_t x = 0; x < size; ++x)
            for (int c = 0; c < channels; ++c)
              row[c * plane + y * size + x] = static_cast<float>(src[x * channels + c]) / 255.0f;
        }
      }
    }
  }
  return ds;
}

Dataset load_patches_spec(const std::string& rest, const std::string& spec) {
  // From the right: PATH:SIZE or PATH:SIZE:STRIDE (when the part before the last is a
  // number); the path keeps any other ':'.
  if (!rest.empty() && rest.back() == ':')
    fail(Status::invalid_argument, "'{}' ends with ':'; drop it or add the missing part ({})", spec, kPatchesForm);
  const std::size_t last = rest.rfind(':');
  if (last == std::string::npos || last == 0)
    fail(Status::invalid_argument, "'{}': give an image or folder and a patch size, {} (e.g. patches:photo.jpg:16)",
         spec, kPatchesForm);
  std::string path = rest.substr(0, last);
  std::string size_text = rest.substr(last + 1);
  std::string stride_text;
  const std::size_t before = path.rfind(':');
  if (before != std::string::npos && before > 0 && all_digits(path.substr(before + 1))) {
    stride_text = size_text;
    size_text = path.substr(before + 1);
    path = path.substr(0, before);
  }
  const int64_t size = parse_count(size_text);
  if (size < 1)
    fail(Status::invalid_argument, "'{}': the patch size '{}' is not a whole number >= 1 ({})", spec, size_text,
         kPatchesForm);
  int64_t stride = size;
  if (!stride_text.empty()) {
    stride = parse_count(stride_text);
    if (stride < 1)
      fail(Status::invalid_argument, "'{}': the stride '{}' is not a whole number >= 1 ({})", spec, stride_text,
           kPatchesForm);
  }
  return load_patches(path, size, stride);
}

}  // namespace gm
