// Every bound the library puts on what a caller or a file can ask of it, declared once.
// genmodels runs inside other people's processes: a number from a file or a caller must not
// be able to exhaust the stack, the memory or the threads of the host, or run for hours
// before it is refused. The C header (genmodels.h, "Limits") documents these values; a
// check that refuses one names the limit and the value it got.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gm::limits {

// JSON text from a caller or a file (configurations, model-file headers and metadata):
// nesting deeper than this is refused before it is parsed (a configuration nests at most
// two levels; a model file's header three), and so is text longer than the byte cap.
constexpr int kJsonMaxDepth = 32;
constexpr std::size_t kConfigMaxBytes = std::size_t{1} << 20;  // 1 MiB of configuration text

// Model files: the header (JSON) and the number of tensors in it, and what a load reads at
// most (the file's declared size must fit; a non-regular file is refused).
constexpr std::size_t kModelHeaderMaxBytes = std::size_t{16} << 20;  // 16 MiB
constexpr std::size_t kModelMaxTensors = 4096;
constexpr int64_t kModelFileMaxBytes = int64_t{16} << 30;  // 16 GiB

// Threads: at most this many per hardware thread (0 = all cores stays the default).
constexpr int kThreadsPerCore = 4;
// The largest thread count a call accepts: kThreadsPerCore × std::thread::hardware_concurrency().
int max_threads();

// Sizes of data and outputs: a row's width, an image's side and a call's row count.
constexpr int64_t kMaxRowWidth = int64_t{1} << 26;   // 64 M values per row
constexpr int64_t kMaxImageSide = int64_t{1} << 16;  // 65 536 pixels a side
constexpr int64_t kMaxRows = int64_t{1} << 40;       // rows in one call
// Discrete pixels: M levels, 2 (binary) to 256 (8-bit grey or colour channels).
constexpr int64_t kMaxLevels = 256;
// log_prob's importance samples per row (a vae's k), from a configuration or the options.
constexpr int64_t kMaxImportanceSamples = int64_t{1} << 20;
// Training: epochs, and epochs × batches per epoch (the optimiser steps of one fit).
constexpr int64_t kMaxEpochs = int64_t{1} << 24;
constexpr int64_t kMaxSteps = int64_t{1} << 40;

// Memory: a budget for what one model allocates for its parameters and working buffers,
// checked *before* the allocation. Linux overcommits, so an allocation far beyond the
// machine's memory often succeeds and the kernel's OOM killer later kills the whole host
// process; a refusal up front is an error the caller can act on. Default: half the
// physical memory. set_memory_budget(0) restores the default.
int64_t memory_budget();
void set_memory_budget(int64_t bytes);
// Throws out_of_memory, naming `what`, the bytes and the budget, unless count values of
// `value_size` bytes (overflow-checked) fit the budget.
void require_memory(int64_t count, int64_t value_size, const char* what);

}  // namespace gm::limits
