// An allocator hook for failure injection (issue 12): while armed on a thread, the k-th
// allocation that thread makes fails (or the first after it that is not spared, below) — operator new / new[] (every
// form) throws std::bad_alloc or returns NULL (nothrow forms), and aligned_alloc / posix_memalign / memalign return
// NULL / ENOMEM. Only one allocation fails per arming; the ones after it succeed, as they would once memory is freed
// again.
//
// Which allocations it counts and fails:
//  - operator new in every module: the library, libstdc++, nlohmann::json and fmt;
//  - aligned_alloc / posix_memalign / memalign called from the test executable (which holds
//    the static libgenmodels: nn::Buffer, the parameter and workspace storage) or from a
//    shared libgenmodels.
// Which it counts but spares (the allocation succeeds, the next one is failed instead, and
// the skipped ones are reported as spared), because a failure there ends the process or
// leaks whatever genmodels does:
//  - inside nlohmann::json's destructor (json_value::destroy): it allocates a std::vector to
//    flatten nested values, and a failure there escapes a noexcept destructor, so
//    std::terminate ends the process (nlohmann/json #4653, #5135; Debian 12 has 3.11.2).
//    Found by name in the executable's own symbol table (.symtab: an unstripped build).
//  - oneDNN's own allocations, operator new or aligned (dnnl::impl::malloc), unless
//    GM_ALLOC_FAIL_ONEDNN=1 is set in the environment. oneDNN 2.6 (Debian 12) allocates its
//    C-compatible objects (dnnl_primitive_attr, primitive descriptors) with a class operator
//    new (c_compatible, src/common/utils.hpp) that hands NULL from a failed posix_memalign to
//    the constructor, which writes through it (SIGSEGV in dnnl_primitive_attr_create); and a
//    std::bad_alloc inside dnnl_primitive_desc_iterator_create leaks the half-built iterator.
// Which it does not see at all: plain malloc / calloc / realloc, and whatever libgomp and
// libc allocate for themselves (libgomp's gomp_malloc calls exit(1) when malloc fails, which
// no caller survives; issue 12, item 3, bounds the thread count instead).
#pragma once

#include <cstdint>

namespace alloc_hook {

struct Counts {
  int64_t news = 0;           // operator new calls seen while armed
  int64_t aligned = 0;        // aligned_alloc / posix_memalign / memalign calls seen while armed
  int64_t injected = 0;       // failures injected (0 or 1)
  int64_t failed_at = 0;      // the index (from 1) of the allocation that failed, if any
  int64_t spared_json = 0;    // allocations from the k-th on inside nlohmann::json's destructor
  int64_t spared_onednn = 0;  // allocations from the k-th on that were oneDNN's own
  int64_t total() const { return news + aligned; }
  bool spared() const { return spared_json + spared_onednn != 0; }
};

// Fail the first allocation at or after the k-th that is not spared (k >= 1), on the
// calling thread, from now on; k = 0 fails none and only counts.
void arm(int64_t k);
// Stop failing and counting on this thread; returns what was seen since arm().
Counts disarm();

}  // namespace alloc_hook
