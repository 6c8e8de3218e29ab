// The demo's pictures: rows of images with a title, a label above each row and an optional
// caption under each image, scaled up and written as an RGB PNG (text from stb_easy_font).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/data_view.hpp"

namespace gm::cli {

using Rgb = std::array<uint8_t, 3>;

struct FigureRow {
  std::string label;                  // drawn above the row ("" = none)
  std::vector<const float*> images;   // each (C*H*W) values in [0, 1], CHW; C is 1 or 3
  std::vector<std::string> captions;  // empty, or one short text under each image
  // Optional, one per image: (H*W) flags; a nonzero pixel is drawn in `marked_colour`
  // instead of its value (the hidden part of a masked image).
  std::vector<const uint8_t*> marked;
};

struct Figure {
  std::string title;               // first line, twice the text size ("" = none)
  std::vector<std::string> notes;  // lines under the title, normal size
  ImageShape image;
  int64_t columns = 0;  // images per line; a longer row wraps (0 = the longest row's count)
  int scale = 0;        // pixels per image pixel (0 = the smallest making an image >= 56 px)
  Rgb marked_colour{70, 110, 200};
  std::vector<FigureRow> rows;
};

// Writes the figure as a PNG (atomically). Throws invalid_argument for a figure with no
// image layout, other channel counts or one too large, io_error if it cannot be written.
void write_figure(const std::string& path, const Figure& figure);

}  // namespace gm::cli
