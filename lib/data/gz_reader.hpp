// Internal to lib/data: a sequential reader over a file that may or may not be
// gzip-compressed. zlib's gzread passes plain files through unchanged, so IDX and .npy
// readers share one code path and `.gz` works for both. Every failure names the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct gzFile_s;  // zlib's handle; kept out of the header so callers need not include zlib.h

namespace gm {

class GzReader {
 public:
  // Throws io_error if the path is missing, is not a regular file (a folder, device or
  // FIFO: refused without reading or blocking), or cannot be opened.
  explicit GzReader(const std::string& path);
  ~GzReader();
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads exactly `size` decompressed bytes; a short read is corrupt_file saying that the
  // file ended while reading `what` (e.g. "the header", "the pixel data").
  void read_exact(void* out, size_t size, const char* what);
  // Like read_exact into `out` (resized to `size`), but memory grows only as data arrives:
  // a hostile header claiming gigabytes in a tiny file fails before touching them.
  void read_vector(std::vector<uint8_t>& out, size_t size, const char* what);
  // Throws corrupt_file unless the stream is at its end (no trailing bytes after the data).
  void expect_end();
  const std::string& path() const { return path_; }

 private:
  // Returns the number of bytes read (< size only at end of file); throws on a zlib error.
  size_t read_some(void* out, size_t size);
  [[noreturn]] void fail_truncated(size_t got, size_t size, const char* what);

  std::string path_;
  gzFile_s* file_ = nullptr;
};

// Checked product of dimensions: throws corrupt_file (naming `path`) if any dimension is
// negative or the product exceeds `limit`. Written so it cannot overflow int64.
int64_t checked_count(const int64_t* dims, size_t ndim, int64_t limit, const std::string& path);

}  // namespace gm
