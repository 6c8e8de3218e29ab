// NumPy .npy files (format 1.0, 2.0 and 3.0; https://numpy.org/neps/nep-0001-npy-format.html):
//   "\x93NUMPY" major minor, header length (uint16 LE in 1.0, uint32 LE in 2.0/3.0),
//   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
//   padded with spaces and '\n', then the elements in C order.
// Supported element types: <f4 <f8 |u1 <i4 <i8 |b1, little-endian, C order. A gzip-compressed
// .npy (e.g. x.npy.gz) is read transparently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace gm {

class GzReader;

enum class NpyType { f4, f8, u1, i4, i8, b1 };

constexpr int64_t kMaxNpyElements = int64_t{1} << 31;  // hostile shapes cannot allocate more
constexpr uint32_t kMaxNpyHeaderBytes = 1u << 16;      // numpy itself writes a few hundred

struct NpyArray {
  NpyType type = NpyType::f4;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // count() elements of type, little-endian, C order
  int64_t count() const;
};

// '<f4', '|u1', ... — the descr string numpy uses for t.
const char* npy_descr(NpyType t);
int npy_item_size(NpyType t);

// Missing file: io_error. Bad magic, unparsable header, truncated data or trailing bytes:
// corrupt_file naming the file. Other dtypes, big-endian or Fortran order: unsupported,
// with the numpy call that converts the array.
NpyArray read_npy(const std::string& path);
// Element values converted to float32 as they are (bytes are NOT scaled to [0,1]).
std::vector<float> npy_to_float(const NpyArray& a);

// The pieces of read_npy, npy_to_float and load_npy, for readers that take the rows a chunk
// at a time (data/row_stream.hpp). read_npy_header reads the header from the start of `in`
// with read_npy's checks and returns type and shape (bytes empty); the elements follow.
// npy_elements_to_float converts n elements as npy_to_float does. npy_rows_shape gives the
// n, d and image layout load_npy makes of a shape (x left empty), with its checks;
// require_finite_rows is its invalid_data for a non-finite value (rows numbered from first_row).
NpyArray read_npy_header(GzReader& in);
void npy_elements_to_float(NpyType type, const uint8_t* bytes, int64_t n, float* out);
Dataset npy_rows_shape(const std::vector<int64_t>& shape, const std::string& path);
void require_finite_rows(const float* x, int64_t first_row, int64_t rows, int64_t d, const std::string& path);
// Integer or bool elements as int64; float arrays are invalid_data (`what` names the array).
std::vector<int64_t> npy_to_int64(const NpyArray& a, const std::string& what);

// The bytes of a version 1.0 .npy file (version 2.0 if the header needs it). Callers write
// them with lib/io's write_file_atomic; lib/data does not depend on lib/io.
std::vector<uint8_t> encode_npy(NpyType type, const void* data, const std::vector<int64_t>& shape);
std::vector<uint8_t> encode_npy_f32(const float* data, const std::vector<int64_t>& shape);
std::vector<uint8_t> encode_npy_i32(const int32_t* data, const std::vector<int64_t>& shape);

// Data set from an .npy array and optional labels:
//   (N) -> d = 1;  (N, D) -> d = D;  (N, H, W) -> image 1xHxW;  (N, C, H, W) -> image CxHxW;
//   more dimensions -> trailing dimensions flattened into d, no image shape.
// Values are kept as they are (a |u1 array gives floats in 0..255; use scale/binarize after).
// Non-finite values are invalid_data. Labels: integer or bool, (N) or (N, 1), in
// [0, kMaxNpyLabel]; num_classes = max + 1.
constexpr int64_t kMaxNpyLabel = (int64_t{1} << 24) - 1;
Dataset load_npy(const std::string& path, const std::string& labels_path = "");
// load_npy's labels alone, for n rows of path (labels and num_classes set; x empty), checked
// alike. For reading a shard of the rows.
Dataset load_npy_labels(const std::string& labels_path, int64_t n, const std::string& path);

}  // namespace gm
