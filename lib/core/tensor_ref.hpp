// TensorRef: a read-only view of a tensor with a dtype and a shape, the form in which model
// parameters cross layer boundaries (model files are written and read through it without
// copying). Kept apart from core/tensor.hpp so that the many files that only pass tensors
// along do not parse xtensor (it was ~100k lines in every object that saw it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace gm {

enum class DType { f32, f64, i32, i64, u8 };

// "F32", "F64", "I32", "I64", "U8" — the safetensors names.
const char* dtype_name(DType dtype);
std::size_t dtype_size(DType dtype);

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return DType::f32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::f64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::i32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::i64;
  else {
    static_assert(std::is_same_v<T, uint8_t>, "unsupported tensor element type");
    return DType::u8;
  }
}

struct TensorRef {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // shape-product elements of dtype, little-endian

  int64_t elements() const;
  std::size_t bytes() const { return static_cast<std::size_t>(elements()) * dtype_size(dtype); }
};

}  // namespace gm
