#include "data/gz_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace gm {

GzReader::GzReader(const std::string& path) : path_(path) {
  // Opened and checked by hand, then handed to zlib: gzopen would block forever on a FIFO
  // with no writer, read /dev/zero without end, and report a folder only at the first read
  // with a vague errno (issue 12). O_NONBLOCK makes the open of a FIFO return at once; it
  // does nothing to the regular files that are all we go on to read.
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) fail(Status::io_error, "cannot open '{}': {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool folder = S_ISDIR(st.st_mode);
    ::close(fd);
    fail(Status::io_error, "cannot open '{}': {}", path,
         folder ? "it is a folder, expected a file" : "it is not a regular file (a device, FIFO or socket)");
  }
  errno = 0;
  file_ = gzdopen(fd, "rb");
  if (!file_) {
    ::close(fd);
    fail(Status::io_error, "cannot open '{}': {}", path, errno ? std::strerror(errno) : "out of memory in zlib");
  }
  // Large buffer: decompression of a 47 MB file is dominated by per-call overhead otherwise.
  gzbuffer(file_, 1u << 18);
}

GzReader::~GzReader() {
  if (file_) gzclose(file_);
}

size_t GzReader::read_some(void* out, size_t size) {
  auto* p = static_cast<unsigned char*>(out);
  size_t done = 0;
  while (done < size) {
    // gzread takes an unsigned and returns an int: read in chunks below INT_MAX.
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, size_t{1} << 30));
    const int got = gzread(file_, p + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(file_, &code);
      fail(Status::corrupt_file, "'{}' is not a valid file or gzip stream: {}", path_,
           code == Z_ERRNO ? std::strerror(errno) : msg);
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

void GzReader::fail_truncated(size_t got, size_t size, const char* what) {
  // A truncated gzip member ends with Z_BUF_ERROR rather than a clean end of file.
  int code = 0;
  const char* msg = gzerror(file_, &code);
  fail(Status::corrupt_file, "'{}' is truncated: it ended after {} of {} bytes of {}{}{}", path_, got, size, what,
       code != Z_OK ? "; zlib: " : "", code != Z_OK ? msg : "");
}

void GzReader::read_exact(void* out, size_t size, const char* what) {
  const size_t got = read_some(out, size);
  if (got < size) fail_truncated(got, size, what);
}

void GzReader::read_vector(std::vector<uint8_t>& out, size_t size, const char* what) {
  // Memory grows with what the file has proven to hold, not with what its header declares:
  // a 9-byte hostile header can claim gigabytes (the fuzzer found a 2 GiB reservation before
  // the file turned out empty). Chunks start at 1 MiB and double with the bytes read, up to
  // 64 MiB, so a real file costs a few reallocations and a lie costs at most 1 MiB.
  constexpr size_t kFirstChunk = size_t{1} << 20, kMaxChunk = size_t{64} << 20;
  out.clear();
  while (out.size() < size) {
    const size_t before = out.size();
    const size_t want = std::min({kMaxChunk, std::max(kFirstChunk, before), size - before});
    out.resize(before + want);
    const size_t got = read_some(out.data() + before, want);
    if (got < want) fail_truncated(before + got, size, what);
  }
}

void GzReader::expect_end() {
  unsigned char extra[64];
  const size_t got = read_some(extra, sizeof extra);
  if (got > 0)
    fail(Status::corrupt_file, "'{}' has {}{} unexpected trailing bytes after the data", path_,
         got == sizeof extra ? "at least " : "", got);
}

int64_t checked_count(const int64_t* dims, size_t ndim, int64_t limit, const std::string& path) {
  for (size_t i = 0; i < ndim; ++i)
    if (dims[i] < 0) fail(Status::corrupt_file, "'{}' has a negative dimension {}", path, dims[i]);
  for (size_t i = 0; i < ndim; ++i)
    if (dims[i] == 0) return 0;
  int64_t count = 1;
  for (size_t i = 0; i < ndim; ++i) {
    // Divide instead of multiplying so the check itself cannot overflow.
    if (count > limit / dims[i])
      fail(Status::corrupt_file, "'{}' declares more than {} elements, the loader's limit", path, limit);
    count *= dims[i];
  }
  return count;
}

}  // namespace gm
