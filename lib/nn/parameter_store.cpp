#include "nn/parameter_store.hpp"

#include <cstring>

#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace gm::nn {

namespace {
int64_t round_up16(int64_t n) { return (n + 15) / 16 * 16; }
}  // namespace

ParamId ParameterStore::push(const std::string& name, const std::vector<int64_t>& shape, bool trainable) {
  if (name.empty()) fail(Status::invalid_argument, "parameter name is empty");
  for (const Entry& e : entries_)
    if (e.name == name) fail(Status::invalid_argument, "parameter '{}' is registered twice", name);
  int64_t size = 1;
  for (int64_t s : shape) {
    if (s <= 0) fail(Status::invalid_argument, "parameter '{}' has a dimension {} <= 0", name, s);
    if (__builtin_mul_overflow(size, s, &size))
      fail(Status::out_of_memory, "parameter '{}' of shape [{}] has more values than int64 holds", name,
           fmt::join(shape, ", "));
  }
  // Values, gradients and the optimiser's two moments: four floats per parameter, checked
  // against the memory budget before anything grows (core/limits.hpp).
  int64_t total = 0;
  if (__builtin_add_overflow(static_cast<int64_t>(values_.size() + state_.size()), size, &total)) total = INT64_MAX;
  limits::require_memory(total, 16, "the model's parameters (values, gradients, optimiser state)");
  Entry e{name, shape, 0, size, trainable};
  if (trainable) {
    e.offset = values_.size();
    values_.resize(e.offset + round_up16(size));
    grads_.resize(values_.size());
  } else {
    e.offset = state_.size();
    state_.resize(e.offset + round_up16(size));
  }
  entries_.push_back(std::move(e));
  return ParamId{static_cast<int32_t>(entries_.size() - 1)};
}

ParamId ParameterStore::add(const std::string& name, const std::vector<int64_t>& shape) {
  return push(name, shape, true);
}

ParamId ParameterStore::add_state(const std::string& name, const std::vector<int64_t>& shape) {
  return push(name, shape, false);
}

const ParameterStore::Entry& ParameterStore::entry(ParamId id) const {
  if (id.index < 0 || id.index >= count())
    fail(Status::internal, "parameter id {} out of range ({} registered)", id.index, count());
  return entries_[static_cast<std::size_t>(id.index)];
}

float* ParameterStore::value(ParamId id) {
  const Entry& e = entry(id);
  return (e.trainable ? values_.data() : state_.data()) + e.offset;
}

const float* ParameterStore::value(ParamId id) const {
  const Entry& e = entry(id);
  return (e.trainable ? values_.data() : state_.data()) + e.offset;
}

float* ParameterStore::grad(ParamId id) {
  const Entry& e = entry(id);
  if (!e.trainable) fail(Status::internal, "'{}' is state, it has no gradient", e.name);
  return grads_.data() + e.offset;
}

const float* ParameterStore::grad(ParamId id) const { return const_cast<ParameterStore*>(this)->grad(id); }

ParamId ParameterStore::find(const std::string& name) const {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].name == name) return ParamId{static_cast<int32_t>(i)};
  fail(Status::invalid_argument, "no parameter named '{}'", name);
}

ParamSpan ParameterStore::span() { return {values_.data(), grads_.data(), values_.size()}; }

ParamSpan ParameterStore::span(ParamId first, ParamId last) {
  const Entry& a = entry(first);
  const Entry& b = entry(last);
  if (!a.trainable || !b.trainable || b.offset < a.offset)
    fail(Status::internal, "span '{}'..'{}' is not a run of trainable tensors", a.name, b.name);
  const int64_t end = b.offset + round_up16(b.size);
  return {values_.data() + a.offset, grads_.data() + a.offset, end - a.offset};
}

void ParameterStore::zero_grad(ParamSpan span) {
  if (span.count > 0) std::memset(span.grad, 0, static_cast<std::size_t>(span.count) * 4);
}

std::vector<TensorRef> ParameterStore::tensors() const {
  std::vector<TensorRef> refs;
  refs.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    refs.push_back({e.name, DType::f32, e.shape, value(ParamId{static_cast<int32_t>(i)})});
  }
  return refs;
}

int64_t ParameterStore::parameter_count() const {
  int64_t n = 0;
  for (const Entry& e : entries_)
    if (e.trainable) n += e.size;
  return n;
}

}  // namespace gm::nn
