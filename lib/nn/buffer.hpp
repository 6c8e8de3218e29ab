// A 64-byte aligned float array: the storage under parameter buffers, optimiser moments
// and per-call workspaces. Aligned so oneDNN and `omp simd` loops see cache-line starts.
// Grows only: shrinking keeps the allocation, so a buffer sized for the largest batch is
// reused by smaller ones without touching the allocator.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "core/limits.hpp"

namespace gm::nn {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(int64_t n) { resize(n); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { swap(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    Buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~Buffer() { std::free(data_); }

  float* data() noexcept { return data_; }
  const float* data() const noexcept { return data_; }
  int64_t size() const noexcept { return size_; }
  float& operator[](int64_t i) noexcept { return data_[i]; }
  float operator[](int64_t i) const noexcept { return data_[i]; }

  // Keeps the first min(size, n) values; new elements are zero.
  void resize(int64_t n) {
    if (n > capacity_) {
      limits::require_memory(n, 4, "a working buffer");  // before the allocation (core/limits.hpp)
      const int64_t cap = (n + 15) / 16 * 16;            // whole cache lines
      auto* p = static_cast<float*>(std::aligned_alloc(64, static_cast<std::size_t>(cap) * 4));
      if (p == nullptr) throw std::bad_alloc();
      if (size_ > 0) std::memcpy(p, data_, static_cast<std::size_t>(size_) * 4);
      std::memset(p + size_, 0, static_cast<std::size_t>(cap - size_) * 4);
      std::free(data_);
      data_ = p;
      capacity_ = cap;
    } else if (n > size_) {
      std::memset(data_ + size_, 0, static_cast<std::size_t>(n - size_) * 4);
    }
    size_ = n;
  }
  void zero() noexcept {
    if (size_ > 0) std::memset(data_, 0, static_cast<std::size_t>(size_) * 4);
  }

 private:
  void swap(Buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  float* data_ = nullptr;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
};

}  // namespace gm::nn
