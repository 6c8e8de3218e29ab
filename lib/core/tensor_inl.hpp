#pragma once
// Template definitions for core/tensor.hpp.
#include <type_traits>

namespace gm {

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  else if constexpr (std::is_same_v<T, double>) return DType::f64;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::i32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::i64;
  else {
    static_assert(std::is_same_v<T, uint8_t>, "unsupported tensor element type");
    return DType::u8;
  }
}

template <typename T, std::size_t Rank>
TensorRef tensor_ref(std::string name, const Tensor<T, Rank>& t) {
  TensorRef ref;
  ref.name = std::move(name);
  ref.dtype = dtype_of<T>();
  for (std::size_t i = 0; i < Rank; ++i) ref.shape.push_back(static_cast<int64_t>(t.shape()[i]));
  ref.data = t.data();
  return ref;
}

}  // namespace gm
