// Host tensors and the borrowed views that cross layer boundaries.
//  - Tensors a model owns are xtensor containers (row-major, contiguous).
//  - TensorRef is a read-only view with a dtype, used to save and load model files
//    without copying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

namespace gm {

template <typename T, std::size_t Rank>
using Tensor = xt::xtensor<T, Rank, xt::layout_type::row_major>;

enum class DType { f32, f64, i32, i64, u8 };

// "F32", "F64", "I32", "I64", "U8" — the safetensors names.
const char* dtype_name(DType dtype);
std::size_t dtype_size(DType dtype);

struct TensorRef {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // shape-product elements of dtype, little-endian

  int64_t elements() const;
  std::size_t bytes() const { return static_cast<std::size_t>(elements()) * dtype_size(dtype); }
};

template <typename T, std::size_t Rank>
TensorRef tensor_ref(std::string name, const Tensor<T, Rank>& t);

}  // namespace gm

#include "core/tensor_inl.hpp"
