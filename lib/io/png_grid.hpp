// Writes N images as one PNG grid through stb_image_write.
#pragma once

#include <cstdint>
#include <string>

#include "core/data_view.hpp"

namespace gm {

// x: (n, C*H*W) values in [0,1] (clamped), CHW layout; C is 1 (grey) or 3 (RGB).
// columns = 0 picks ceil(sqrt(n)). A 1-pixel dark border separates images.
void write_png_grid(const std::string& path, const float* x, int64_t n, const ImageShape& image,
                    int64_t columns);

}  // namespace gm
