#include "core/limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "core/error.hpp"

namespace gm::limits {

namespace {
std::atomic<int64_t> g_budget{0};  // 0: the default

int64_t default_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return int64_t{8} << 30;  // unknown machine: 8 GiB
  return static_cast<int64_t>(pages) / 2 * static_cast<int64_t>(page);
}

// "512 bytes", "3.5 MiB", "12.0 GiB": a budget of a few kilobytes must not read "0.00 GiB".
std::string human_bytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  return fmt::format("{:.1f} {}", v, units[u]);
}
}  // namespace

int max_threads() {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min<unsigned>(hw * kThreadsPerCore, 1u << 12));
}

int64_t memory_budget() {
  const int64_t b = g_budget.load(std::memory_order_relaxed);
  if (b > 0) return b;
  static const int64_t fallback = default_budget();
  return fallback;
}

void set_memory_budget(int64_t bytes) { g_budget.store(std::max<int64_t>(bytes, 0), std::memory_order_relaxed); }

void require_memory(int64_t count, int64_t value_size, const char* what) {
  int64_t bytes = 0;
  if (count < 0 || value_size < 0 || __builtin_mul_overflow(count, value_size, &bytes))
    fail(Status::out_of_memory, "{}: {} values of {} bytes is not a representable size", what, count, value_size);
  const int64_t budget = memory_budget();
  if (bytes > budget) {
    const bool set_by_caller = g_budget.load(std::memory_order_relaxed) > 0;
    fail(Status::out_of_memory,
         "{} needs {}, more than the memory budget of {} ({}): use a smaller configuration or fewer rows per "
         "call{}",
         what, human_bytes(bytes), human_bytes(budget),
         set_by_caller ? "set with gm_set_memory_budget" : "half of this machine's memory",
         set_by_caller ? ", or raise the budget" : ", or raise the budget with gm_set_memory_budget");
  }
}

}  // namespace gm::limits
