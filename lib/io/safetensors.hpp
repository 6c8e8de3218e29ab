// The safetensors container (https://github.com/huggingface/safetensors, format section):
//   8 bytes little-endian u64 N | N bytes of JSON header | raw tensor bytes
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the byte after the header) and may hold "__metadata__", a map of
// strings. Tensors are contiguous, row-major, little-endian; we write them in the order
// given, with no gaps and no trailing bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor_ref.hpp"

namespace gm {

using Metadata = std::map<std::string, std::string>;

struct SafetensorsContents {
  Metadata metadata;
  std::vector<TensorRef> tensors;  // views into the decoded buffer, in file order
};

std::vector<uint8_t> encode_safetensors(const std::vector<TensorRef>& tensors, const Metadata& metadata);

// Validates everything before returning (header of at most limits::kModelHeaderMaxBytes,
// nested at most limits::kJsonMaxDepth, with at most limits::kModelMaxTensors tensors,
// parsed in O(n log n); dtype/rank from closed lists,
// overflow-checked sizes, offsets in range, non-overlapping and covering the data
// exactly, no trailing bytes). Throws Error(corrupt_file) with what is wrong. The views
// point into `data`, which must outlive them. Values are not checked for finiteness —
// models do that against their own ranges.
SafetensorsContents decode_safetensors(const uint8_t* data, std::size_t size);

// The first check of decode_safetensors, on the first `size` bytes of a file of file_size
// bytes: corrupt_file unless the file holds the 8-byte length and the header it declares
// fits both limits::kModelHeaderMaxBytes and the file. A loader calls it on the head of a
// file before reading the rest, so a bad file costs 8 bytes of reading, not gigabytes.
void check_safetensors_prefix(const uint8_t* data, std::size_t size, uint64_t file_size);

}  // namespace gm
