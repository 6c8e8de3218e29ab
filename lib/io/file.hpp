// Whole-file reads with a size budget, and atomic writes: the bytes go to a temporary
// file in the target's folder, are fsync'ed, then renamed over the target (and the folder
// fsync'ed), so a crash mid-save leaves either the old file or the new one, never half.
// The temporary is a short dot-name (".gm-<16 hex>.tmp"), so any legal target name works.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gm {

// Throws io_error (cannot open/read, or not a regular file: a device, FIFO or folder is
// refused before anything is read) or out_of_memory (larger than max_bytes).
std::vector<uint8_t> read_file(const std::string& path, std::size_t max_bytes);
// The first `bytes` bytes of a regular file (fewer if it is shorter) and its size, so a
// loader can check a declared length before reading the whole file. Same errors as read_file.
std::vector<uint8_t> read_file_head(const std::string& path, std::size_t bytes, uint64_t* file_size);
void write_file_atomic(const std::string& path, const void* data, std::size_t size);

}  // namespace gm
