// Errors inside the library: one exception type carrying a status that the C ABI maps
// one-to-one onto its GM_* codes (capi/ static_asserts the numbers match).
// Throw for anything a caller can cause; assert only real bugs.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace gm {

enum class Status : int32_t {
  ok = 0,
  invalid_argument = 1,
  unsupported = 2,
  buffer_too_small = 3,
  invalid_data = 4,
  invalid_config = 5,
  unknown_kind = 6,
  not_fitted = 7,
  io_error = 8,
  corrupt_file = 9,
  cancelled = 10,
  diverged = 11,
  out_of_memory = 12,
  version_mismatch = 13,
  internal = 99,
};

class Error : public std::runtime_error {
 public:
  Error(Status status, std::string message) : std::runtime_error(std::move(message)), status_(status) {}
  Status status() const noexcept { return status_; }

 private:
  Status status_;
};

// fail(Status::invalid_data, "row {} has value {}", i, v) — formats and throws.
template <typename... Args>
[[noreturn]] void fail(Status status, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(status, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace gm
