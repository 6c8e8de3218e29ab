// Sample grids as PNG. The image is encoded to memory first and written with
// write_file_atomic, so an interrupted run never leaves a truncated PNG behind.
#include "io/png_grid.hpp"

#include <cmath>
#include <vector>

#include <stb_image_write.h>  // implementation comes from Debian's libstb

#include "core/error.hpp"
#include "io/file.hpp"

namespace gm {
namespace {

// Budget for the grid: 16384 px a side (far beyond any useful sample sheet) and 64 Mpx
// in total, so the raw buffer stays under 200 MiB even for RGB.
constexpr int64_t kMaxSide = 16384;
constexpr int64_t kMaxPixels = int64_t{1} << 26;

uint8_t to_byte(float v) {
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(v * 255.0f + 0.5f);
}

// stb calls this from C code, so no exception may escape it: remember the failure instead.
struct PngSink {
  std::vector<uint8_t> bytes;
  bool failed = false;
};

void append_bytes(void* context, void* data, int size) {
  auto* sink = static_cast<PngSink*>(context);
  const auto* p = static_cast<const uint8_t*>(data);
  try {
    sink->bytes.insert(sink->bytes.end(), p, p + size);
  } catch (...) {
    sink->failed = true;
  }
}

}  // namespace

void write_png_grid(const std::string& path, const float* x, int64_t n, const ImageShape& image, int64_t columns,
                    int64_t levels) {
  if (x == nullptr || n < 1) fail(Status::invalid_argument, "image grid needs at least one image (n = {})", n);
  if (!image.is_image())
    fail(Status::invalid_argument, "image grid needs an image shape (channels, height, width), got ({}, {}, {})",
         image.channels, image.height, image.width);
  if (image.channels != 1 && image.channels != 3)
    fail(Status::invalid_argument, "image grid supports 1 (grey) or 3 (RGB) channels, got {}", image.channels);
  if (columns < 0) fail(Status::invalid_argument, "image grid columns must be >= 0, got {}", columns);
  if (image.height >= kMaxSide || image.width >= kMaxSide)
    fail(Status::invalid_argument, "image grid: images of {}x{} exceed {} px a side", image.height, image.width,
         kMaxSide);

  int64_t cols = columns;
  if (cols == 0) {
    cols = 1;
    while (cols * cols < n && cols < kMaxSide) ++cols;  // ceil(sqrt(n)) without float rounding
  }
  if (cols > n) cols = n;  // extra empty columns would only add border
  const int64_t rows = n / cols + (n % cols != 0);
  if (cols >= kMaxSide || rows >= kMaxSide)
    fail(Status::invalid_argument, "image grid of {} x {} images exceeds {} px a side", rows, cols, kMaxSide);
  // Each cell is the image plus a 1-pixel border on its left/top; one more closes the grid.
  const int64_t width = cols * (image.width + 1) + 1;
  const int64_t height = rows * (image.height + 1) + 1;
  if (width > kMaxSide || height > kMaxSide || width * height > kMaxPixels)
    fail(Status::invalid_argument, "image grid of {}x{} px exceeds the budget of {} px a side and {} px in total",
         width, height, kMaxSide, kMaxPixels);

  const int64_t C = image.channels, H = image.height, W = image.width;
  const float scale = levels >= 2 ? 1.0f / static_cast<float>(levels - 1) : 1.0f;
  std::vector<uint8_t> pixels(static_cast<std::size_t>(width * height * C), 0);  // border = black
  for (int64_t i = 0; i < n; ++i) {
    const float* img = x + i * C * H * W;  // (C, H, W)
    const int64_t top = (i / cols) * (H + 1) + 1, left = (i % cols) * (W + 1) + 1;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t xx = 0; xx < W; ++xx)
          pixels[static_cast<std::size_t>(((top + y) * width + left + xx) * C + c)] =
              to_byte(img[(c * H + y) * W + xx] * scale);
  }

  PngSink png;
  if (stbi_write_png_to_func(append_bytes, &png, static_cast<int>(width), static_cast<int>(height), static_cast<int>(C),
                             pixels.data(), static_cast<int>(width * C)) == 0 ||
      png.failed)
    fail(Status::out_of_memory, "could not encode a {}x{} PNG", width, height);
  write_file_atomic(path, png.bytes.data(), png.bytes.size());
}

}  // namespace gm
