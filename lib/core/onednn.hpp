// The oneDNN handles behind lib/nn: one CPU engine for the process and one stream per
// calling thread. Internal: only lib/core and lib/nn include this header (docs/design.md, "Layers"), so
// no oneDNN type leaks into lib/models or the C ABI.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace gm {

// The process-wide CPU engine, created on first use (thread-safe static initialisation).
const dnnl::engine& cpu_engine();

// An in-order stream on cpu_engine() owned by the calling thread. A stream is not meant
// to be shared by threads executing at once, so each thread gets its own on first use.
dnnl::stream& thread_stream();

}  // namespace gm
