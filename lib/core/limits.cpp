#include "core/limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/error.hpp"

namespace gm::limits {

namespace {
std::atomic<int64_t> g_budget{0};  // 0: the default

int64_t default_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return int64_t{8} << 30;  // unknown machine: 8 GiB
  return static_cast<int64_t>(pages) / 2 * static_cast<int64_t>(page);
}

double gib(int64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(int64_t{1} << 30); }
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
  if (bytes > memory_budget())
    fail(Status::out_of_memory,
         "{} needs {:.2f} GiB, more than the memory budget of {:.2f} GiB (half the machine's memory unless "
         "gm_set_memory_budget changed it): use a smaller configuration or fewer rows per call",
         what, gib(bytes), gib(memory_budget()));
}

}  // namespace gm::limits
