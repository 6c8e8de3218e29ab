// Writes N images as one PNG grid through stb_image_write.
#pragma once

#include <cstdint>
#include <string>

#include "core/data_view.hpp"

namespace gm {

// x: (n, C*H*W) values in [0,1] (clamped), CHW layout; C is 1 (grey) or 3 (RGB).
// columns = 0 picks ceil(sqrt(n)); more columns than images are clamped to n. A 1-pixel
// black border separates images. NaN is drawn as 0. Throws invalid_argument for n < 1, no
// image shape, other channel counts, or a grid above 16384 px a side / 64 Mpx; io_error
// if the file cannot be written (the write is atomic). With levels = M >= 2 the values are
// the levels 0..M−1 of discrete pixels and are drawn as level / (M − 1).
void write_png_grid(const std::string& path, const float* x, int64_t n, const ImageShape& image, int64_t columns,
                    int64_t levels = 0);

}  // namespace gm
