#include "core/engine.hpp"
#include "core/onednn.hpp"

#include <omp.h>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace gm {

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
}

int resolve_threads(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

}  // namespace gm
