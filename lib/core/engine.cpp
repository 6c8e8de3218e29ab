#include "core/engine.hpp"

#include <omp.h>

#include <algorithm>

#include "core/limits.hpp"
#include "core/onednn.hpp"

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace gm {

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
}

// Clamped to limits::max_threads(): the verbs refuse a larger request with a message, and
// this keeps any other path from asking libgomp for a team it cannot create (it prints
// "Out of memory" and calls exit(1) in the host process).
int resolve_threads(int requested) {
  return std::min(requested > 0 ? requested : omp_get_max_threads(), limits::max_threads());
}

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

}  // namespace gm
