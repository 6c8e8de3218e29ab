#include "core/limits.hpp"

#include <algorithm>
#include <thread>

namespace gm::limits {

int max_threads() {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min<unsigned>(hw * kThreadsPerCore, 1u << 12));
}

}  // namespace gm::limits
