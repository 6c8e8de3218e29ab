// An allocator hook for failure injection (issue 12): while armed on a thread, the k-th
// allocation that thread makes fails — operator new / new[] (every form) throws
// std::bad_alloc or returns NULL (nothrow forms), and aligned_alloc / posix_memalign /
// memalign return NULL / ENOMEM. Only one allocation fails per arming; the ones after it
// succeed, as they would once memory is freed again.
//
// Which allocations it reaches (alloc_hook.cpp says why):
//  - operator new in every module: the library, libstdc++, nlohmann::json, fmt and oneDNN's
//    own C++ objects (primitive descriptors, kernels);
//  - aligned_alloc / posix_memalign / memalign called from the test executable (which holds
//    the static libgenmodels: nn::Buffer, the parameter and workspace storage), from a shared
//    libgenmodels, and from oneDNN (dnnl::impl::malloc, its scratchpads and weights);
//  - not an allocation made inside nlohmann::json's destructor (json_value::destroy): it
//    allocates a std::vector to flatten nested values, and a failure there escapes a noexcept
//    destructor, so std::terminate ends the process whatever the caller does (nlohmann/json
//    #4653, #5135, unfixed in 3.11.2). Such a k is counted as spared, not failed. The functions are
//    found by name in the executable's own symbol table (.symtab: an unstripped build).
//  - not plain malloc / calloc / realloc, and nothing libgomp or libc allocate for
//    themselves: libgomp's gomp_malloc calls exit(1) when malloc fails, which no caller can
//    survive (issue 12, item 3, bounds the thread count instead).
#pragma once

#include <cstdint>

namespace alloc_hook {

struct Counts {
  int64_t news = 0;      // operator new calls seen while armed
  int64_t aligned = 0;   // aligned_alloc / posix_memalign / memalign calls seen while armed
  int64_t injected = 0;  // failures injected (0 or 1)
  int64_t spared = 0;    // the k-th allocation was inside a known-fatal third-party site
                         // (see spared_sites in alloc_hook.cpp) and was not failed
  int64_t total() const { return news + aligned; }
};

// Fail the k-th hooked allocation (k >= 1) on the calling thread from now on; k = 0 fails
// none and only counts.
void arm(int64_t k);
// Stop failing and counting on this thread; returns what was seen since arm().
Counts disarm();

}  // namespace alloc_hook
