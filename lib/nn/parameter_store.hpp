// All parameters of a model in one flat float buffer, their gradients in a second buffer of
// the same layout, and non-trainable state (batch-norm running statistics) in a third.
// One allocation each means the optimiser is one fused loop over P floats, zero_grad is one
// memset, and a model file is the list of (name, shape, pointer) views this store returns.
//
// Layers register their tensors in their constructors and keep the returned ParamId; they
// resolve it to a pointer on every call (registration may move the buffers). Offsets are
// rounded up to 16 floats so every tensor starts on a cache line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor_ref.hpp"
#include "nn/buffer.hpp"

namespace gm::nn {

struct ParamId {
  int32_t index = -1;
  bool valid() const { return index >= 0; }
};

// A contiguous run of trainable values and their gradients: what an optimiser updates.
struct ParamSpan {
  float* value = nullptr;
  float* grad = nullptr;
  int64_t count = 0;
};

class ParameterStore {
 public:
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    int64_t offset = 0;  // into values()/grads() if trainable, else into state()
    int64_t size = 0;
    bool trainable = true;
  };

  ParameterStore() = default;
  // Layers hold a pointer to their store: it must not move.
  ParameterStore(const ParameterStore&) = delete;
  ParameterStore& operator=(const ParameterStore&) = delete;

  // A trainable tensor, zero-initialised. Names are unique ("enc.fc1.weight").
  ParamId add(const std::string& name, const std::vector<int64_t>& shape);
  // Non-trainable state saved with the model but never touched by an optimiser.
  ParamId add_state(const std::string& name, const std::vector<int64_t>& shape);

  float* value(ParamId id);
  const float* value(ParamId id) const;
  float* grad(ParamId id);  // trainable tensors only
  const float* grad(ParamId id) const;
  const Entry& entry(ParamId id) const;
  int64_t size(ParamId id) const { return entry(id).size; }
  // Throws invalid_argument if no tensor has this name.
  ParamId find(const std::string& name) const;
  int32_t count() const { return static_cast<int32_t>(entries_.size()); }

  // Flat views. P = trainable floats including alignment padding (padding stays 0).
  int64_t trainable_size() const { return values_.size(); }
  float* values() { return values_.data(); }
  float* grads() { return grads_.data(); }
  const float* values() const { return values_.data(); }
  const float* grads() const { return grads_.data(); }
  // Every trainable value, or the run from first to last (inclusive, in registration
  // order): a GAN steps its generator and discriminator with separate optimisers.
  ParamSpan span();
  ParamSpan span(ParamId first, ParamId last);

  void zero_grad() { grads_.zero(); }
  void zero_grad(ParamSpan span);

  // (name, F32, shape, data) for every tensor, trainable and state, in registration order.
  std::vector<TensorRef> tensors() const;
  // Number of trainable scalars (without padding): what a model reports as its size.
  int64_t parameter_count() const;

 private:
  ParamId push(const std::string& name, const std::vector<int64_t>& shape, bool trainable);

  std::vector<Entry> entries_;
  Buffer values_, grads_, state_;
};

}  // namespace gm::nn
