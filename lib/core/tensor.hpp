// Host tensors a model owns: xtensor containers (row-major, contiguous), and tensor_ref()
// to hand one to a model file as a TensorRef. Include this only where a Tensor is held;
// code that passes tensors along needs just core/tensor_ref.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "core/tensor_ref.hpp"

namespace gm {

template <typename T, std::size_t Rank>
using Tensor = xt::xtensor<T, Rank, xt::layout_type::row_major>;

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
