// The borrowed, validated view of caller data that every model verb takes.
#pragma once

#include <cstdint>

#include "core/error.hpp"

namespace gm {

// Image layout of a row: channels x height x width, row-major (CHW). All zero when the
// rows are plain vectors.
struct ImageShape {
  int64_t channels = 0, height = 0, width = 0;
  bool is_image() const { return channels > 0 && height > 0 && width > 0; }
  // The product, or INT64_MAX when it overflows: sides come from callers and files, and a
  // saturated size never equals a row width that passed check_image_shape / validate_view.
  int64_t size() const {
    int64_t hw = 0, chw = 0;
    if (__builtin_mul_overflow(height, width, &hw) || __builtin_mul_overflow(channels, hw, &chw)) return INT64_MAX;
    return chw;
  }
};

// Throws Error(status) unless every side is in [0, limits::kMaxImageSide] and the product is
// at most limits::kMaxRowWidth, naming `what` and the limit: corrupt_file for a file's
// shape, invalid_argument / invalid_data for a caller's.
void check_image_shape(const ImageShape& image, Status status, const char* what);

struct DataView {
  const float* x = nullptr;  // (N, D) row-major
  int64_t n = 0;
  int64_t d = 0;
  ImageShape image;
  const int32_t* labels = nullptr;  // (N) in [0, num_classes), optional
  int64_t num_classes = 0;
  const float* conditions = nullptr;  // (N, condition_dim), optional
  int64_t condition_dim = 0;
  // The level count M of discrete pixels: values are integers in [0, M), M in [2, 256]
  // (docs/levels.md). 0 = not stated: binary kinds and M-level kinds read it as their own M
  // (2 before they are fitted), real-valued kinds (vae, the GAN family) as values in [0, 1].
  int64_t levels = 0;
  // A training batch of a distributed fit holds one rank's block of the global batch: the
  // index of its row 0 in that batch (docs/distributed.md). Per-row noise is drawn from the
  // stream of row first_row + r, so it does not depend on how the batch is split. 0 otherwise.
  int64_t first_row = 0;

  const float* row(int64_t i) const { return x + i * d; }
};

// Throws invalid_data unless every value is finite; names the first bad entry.
void require_finite(const DataView& data);
// Throws invalid_data unless every value is exactly 0 or 1; names the first bad entry and
// suggests binarising. A branch-free parallel scan does the work (47M values in a few
// ms); the sequential search for the first bad entry runs only to word the error.
void require_binary(const DataView& data, const char* kind, int threads = 0);
// Throws invalid_data unless every value is an integer in [0, levels) (levels = 2: the
// message of require_binary) and data.levels is 0 or levels. Parallel like require_binary.
void require_levels(const DataView& data, int64_t levels, const char* kind, int threads = 0);
// The same rule for complete's observed entries (observed: (N, D), nonzero = observed); the
// unobserved ones are ignored and may be NaN.
void require_observed_levels(const DataView& data, const uint8_t* observed, int64_t levels, const char* kind);
// Throws invalid_argument / invalid_data on inconsistent shapes, labels out of range, row
// widths above limits::kMaxRowWidth, image sides above limits::kMaxImageSide, ...
void validate_view(const DataView& data);

}  // namespace gm
