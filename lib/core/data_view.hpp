// The borrowed, validated view of caller data that every model verb takes.
#pragma once

#include <cstdint>

namespace gm {

// Image layout of a row: channels x height x width, row-major (CHW). All zero when the
// rows are plain vectors.
struct ImageShape {
  int64_t channels = 0, height = 0, width = 0;
  bool is_image() const { return channels > 0 && height > 0 && width > 0; }
  int64_t size() const { return channels * height * width; }
};

struct DataView {
  const float* x = nullptr;  // (N, D) row-major
  int64_t n = 0;
  int64_t d = 0;
  ImageShape image;
  const int32_t* labels = nullptr;  // (N) in [0, num_classes), optional
  int64_t num_classes = 0;
  const float* conditions = nullptr;  // (N, condition_dim), optional
  int64_t condition_dim = 0;

  const float* row(int64_t i) const { return x + i * d; }
};

// Throws invalid_data unless every value is finite; names the first bad entry.
void require_finite(const DataView& data);
// Throws invalid_data unless every value is exactly 0 or 1; names the first bad entry and
// suggests binarising. A branch-free parallel scan does the work (47M values in a few
// ms); the sequential search for the first bad entry runs only to word the error.
void require_binary(const DataView& data, const char* kind, int threads = 0);
// Throws invalid_argument / invalid_data on inconsistent shapes, labels out of range, ...
void validate_view(const DataView& data);

}  // namespace gm
