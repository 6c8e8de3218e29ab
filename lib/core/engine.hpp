// The process-wide oneDNN CPU engine and the thread policy shared by oneDNN and the
// library's own OpenMP loops (one pool: mixing thread pools costs tens of µs a switch).
#pragma once

#include <string>

namespace gm {

// "2.6.x" of the oneDNN that is linked.
std::string onednn_version();
// requested > 0 → requested, else the OpenMP default (all cores).
int resolve_threads(int requested);

}  // namespace gm
