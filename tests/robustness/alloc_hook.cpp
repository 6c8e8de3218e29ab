// The allocator hook of alloc_hook.hpp: replacements of the global operator new / delete
// (every form the standard lets a program replace) and interposed aligned_alloc,
// posix_memalign and memalign.
//
// - operator new forwards to malloc (posix_memalign for the aligned forms), so a sanitizer
//   still sees, poisons and leak-checks every block; operator delete forwards to free.
// - aligned_alloc & co. are defined here, in the executable, so every module's call lands
//   here first (symbol interposition); the real function is the next definition
//   (dlsym(RTLD_NEXT)): ASan's interceptor in a sanitizer build, glibc's otherwise. A call
//   counts only when its caller (the return address) is the executable, libgenmodels or
//   oneDNN: libgomp ends the process when its own allocations fail (gomp_fatal), and libc's
//   are not ours to test.
// - Which module called is told by the return address against the executable segments of
//   each module (dl_iterate_phdr); which function, by the stack (_Unwind_Backtrace) against
//   the executable's symbol table. Both are looked up once, in arm(), before anything fails.
// - The armed state is thread-local and constant-initialised, so reading it allocates
//   nothing and other threads (oneDNN's or OpenMP's, if any) are neither counted nor failed.
#include "alloc_hook.hpp"

#include <dlfcn.h>
#include <link.h>
#include <unwind.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace {

thread_local bool t_armed = false;
thread_local int64_t t_target = 0;
thread_local alloc_hook::Counts t_counts;

enum class Source { operator_new, aligned };

struct Range {
  uintptr_t begin, end;
};

// Functions in which a failed allocation ends the process whatever genmodels does (see
// alloc_hook.hpp), matched against the mangled names of the frames on the stack.
bool in_spared_site(const char* name) noexcept {
  if (name == nullptr) return false;
  if (std::strstr(name, "json_value7destroy") != nullptr) return true;  // nlohmann::json's destructor
  const std::size_t n = std::strlen(name);
  return std::strstr(name, "10basic_json") != nullptr && n > 4 &&
         (std::strcmp(name + n - 4, "D1Ev") == 0 || std::strcmp(name + n - 4, "D2Ev") == 0);
}

// Address ranges of the spared functions in the executable, from its ELF symbol table
// (read once by arm(), before anything is armed; the test's executable is not stripped).
Range g_spared[512];
int g_num_spared = -1;

void load_spared_ranges() {
  g_num_spared = 0;
  uintptr_t base = 0;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* out) {
        *static_cast<uintptr_t*>(out) = info->dlpi_addr;
        return 1;  // the first entry is the program itself
      },
      &base);
  std::FILE* f = std::fopen("/proc/self/exe", "rb");
  if (f == nullptr) return;
  std::vector<char> elf;
  char chunk[65536];
  for (size_t got; (got = std::fread(chunk, 1, sizeof chunk, f)) > 0;) elf.insert(elf.end(), chunk, chunk + got);
  std::fclose(f);
  if (elf.size() < sizeof(ElfW(Ehdr))) return;
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(elf.data());
  if (eh->e_shoff == 0 || eh->e_shoff + eh->e_shnum * sizeof(ElfW(Shdr)) > elf.size()) return;
  const auto* sh = reinterpret_cast<const ElfW(Shdr)*>(elf.data() + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const ElfW(Shdr)& strtab = sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > elf.size() || strtab.sh_offset + strtab.sh_size > elf.size()) continue;
    const auto* syms = reinterpret_cast<const ElfW(Sym)*>(elf.data() + sh[i].sh_offset);
    const size_t count = sh[i].sh_size / sizeof(ElfW(Sym));
    for (size_t j = 0; j < count && g_num_spared < 512; ++j) {
      if (ELF64_ST_TYPE(syms[j].st_info) != STT_FUNC || syms[j].st_size == 0 || syms[j].st_name >= strtab.sh_size)
        continue;
      if (!in_spared_site(elf.data() + strtab.sh_offset + syms[j].st_name)) continue;
      const uintptr_t begin = base + syms[j].st_value;
      g_spared[g_num_spared++] = {begin, begin + syms[j].st_size};
    }
  }
}

struct Walk {
  bool spared = false;
  int depth = 0;
};

_Unwind_Reason_Code visit(struct _Unwind_Context* context, void* arg) {
  Walk& walk = *static_cast<Walk*>(arg);
  const uintptr_t ip = _Unwind_GetIP(context);
  for (int i = 0; i < g_num_spared; ++i)
    if (ip > g_spared[i].begin && ip <= g_spared[i].end) {
      walk.spared = true;
      return _URC_END_OF_STACK;
    }
  return ++walk.depth > 200 ? _URC_END_OF_STACK : _URC_NO_REASON;
}

bool called_from_spared_site() noexcept {
  Walk walk;
  _Unwind_Backtrace(visit, &walk);
  return walk.spared;
}

// Executable segments of the modules whose allocations count: ours (the executable, a
// shared libgenmodels) and oneDNN's.
Range g_ours[64], g_onednn[64];
int g_num_ours = -1, g_num_onednn = 0;

int collect(struct dl_phdr_info* info, size_t, void* first) {
  const char* name = info->dlpi_name ? info->dlpi_name : "";
  bool& is_first = *static_cast<bool*>(first);
  const bool ours = is_first || std::strstr(name, "libgenmodels") != nullptr;
  const bool onednn = std::strstr(name, "libdnnl") != nullptr;
  is_first = false;
  Range* ranges = ours ? g_ours : onednn ? g_onednn : nullptr;
  int* count = ours ? &g_num_ours : &g_num_onednn;
  if (ranges == nullptr) return 0;
  for (int i = 0; i < info->dlpi_phnum && *count < 64; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    ranges[(*count)++] = {begin, begin + ph.p_memsz};
  }
  return 0;
}

void load_module_ranges() {
  g_num_ours = 0;
  bool first = true;
  dl_iterate_phdr(collect, &first);
}

bool within(const Range* ranges, int count, const void* address) noexcept {
  const auto a = reinterpret_cast<uintptr_t>(address);
  for (int i = 0; i < count; ++i)
    if (a >= ranges[i].begin && a < ranges[i].end) return true;
  return false;
}

bool fail_onednn() noexcept {
  static const bool fail = std::getenv("GM_ALLOC_FAIL_ONEDNN") != nullptr;
  return fail;
}

// Counts one allocation made from caller; true when it is the one to fail: the first one
// at or after the k-th that is not spared.
bool fail_now(Source source, const void* caller) noexcept {
  if (!t_armed) return false;
  const bool from_onednn = within(g_onednn, g_num_onednn, caller);
  if (source == Source::aligned && !from_onednn && !within(g_ours, g_num_ours, caller)) return false;
  int64_t& seen = source == Source::operator_new ? t_counts.news : t_counts.aligned;
  ++seen;
  if (t_target <= 0 || t_counts.injected != 0 || t_counts.total() < t_target) return false;
  if (from_onednn && !fail_onednn()) {
    ++t_counts.spared_onednn;
    return false;
  }
  t_armed = false;  // the stack walk may allocate; it is not the code under test
  const bool spared = called_from_spared_site();
  t_armed = true;
  if (spared) {
    ++t_counts.spared_json;
    return false;
  }
  t_counts.injected = 1;
  t_counts.failed_at = t_counts.total();
  return true;
}

void* plain_new(size_t n) noexcept { return std::malloc(n == 0 ? 1 : n); }

using AlignedAllocFn = void* (*)(size_t, size_t);
using PosixMemalignFn = int (*)(void**, size_t, size_t);
using MemalignFn = void* (*)(size_t, size_t);

template <typename Fn>
Fn next_definition(const char* name) {
  Fn fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  if (fn == nullptr) std::abort();
  return fn;
}
AlignedAllocFn real_aligned_alloc() {
  static const AlignedAllocFn fn = next_definition<AlignedAllocFn>("aligned_alloc");
  return fn;
}
PosixMemalignFn real_posix_memalign() {
  static const PosixMemalignFn fn = next_definition<PosixMemalignFn>("posix_memalign");
  return fn;
}
MemalignFn real_memalign() {
  static const MemalignFn fn = next_definition<MemalignFn>("memalign");
  return fn;
}

void* aligned_new(size_t n, std::align_val_t al) noexcept {
  size_t a = static_cast<size_t>(al);
  if (a < sizeof(void*)) a = sizeof(void*);
  void* p = nullptr;
  return real_posix_memalign()(&p, a, n == 0 ? 1 : n) == 0 ? p : nullptr;
}

}  // namespace

namespace alloc_hook {

void arm(int64_t k) {
  if (g_num_spared < 0) load_spared_ranges();
  if (g_num_ours < 0) load_module_ranges();
  t_counts = Counts{};
  t_target = k;
  t_armed = true;
}

Counts disarm() {
  t_armed = false;
  return t_counts;
}

}  // namespace alloc_hook

// ---- operator new / delete: every replaceable form.
void* operator new(size_t n) {
  if (fail_now(Source::operator_new, __builtin_return_address(0))) throw std::bad_alloc();
  if (void* p = plain_new(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (fail_now(Source::operator_new, __builtin_return_address(0))) throw std::bad_alloc();
  if (void* p = plain_new(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return fail_now(Source::operator_new, __builtin_return_address(0)) ? nullptr : plain_new(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return fail_now(Source::operator_new, __builtin_return_address(0)) ? nullptr : plain_new(n);
}
void* operator new(size_t n, std::align_val_t al) {
  if (fail_now(Source::operator_new, __builtin_return_address(0))) throw std::bad_alloc();
  if (void* p = aligned_new(n, al)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t al) {
  if (fail_now(Source::operator_new, __builtin_return_address(0))) throw std::bad_alloc();
  if (void* p = aligned_new(n, al)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return fail_now(Source::operator_new, __builtin_return_address(0)) ? nullptr : aligned_new(n, al);
}
void* operator new[](size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return fail_now(Source::operator_new, __builtin_return_address(0)) ? nullptr : aligned_new(n, al);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// ---- the aligned C allocators, interposed. Not inlined into each other, so that
// __builtin_return_address(0) is the caller's address.
extern "C" {

__attribute__((noinline)) void* aligned_alloc(size_t alignment, size_t size) {
  if (fail_now(Source::aligned, __builtin_return_address(0))) {
    errno = ENOMEM;
    return nullptr;
  }
  return real_aligned_alloc()(alignment, size);
}

__attribute__((noinline)) int posix_memalign(void** out, size_t alignment, size_t size) {
  if (fail_now(Source::aligned, __builtin_return_address(0))) return ENOMEM;
  return real_posix_memalign()(out, alignment, size);
}

__attribute__((noinline)) void* memalign(size_t alignment, size_t size) {
  if (fail_now(Source::aligned, __builtin_return_address(0))) {
    errno = ENOMEM;
    return nullptr;
  }
  return real_memalign()(alignment, size);
}

}  // extern "C"
