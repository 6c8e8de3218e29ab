// POSIX file helpers. Raw file descriptors rather than iostreams because the atomic write
// needs O_EXCL, fsync of the file and of its folder, and errno for the messages.
#include "io/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>

#include "core/error.hpp"

namespace gm {
namespace {

// Closes on scope exit so that every throw path releases the descriptor.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

std::string parent_folder(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A short hidden name in the target's folder: appending to the target's own name would
// break a legal 255-byte name (NAME_MAX) — "File name too long" (issue 12). Random bits
// mixed with the clock, the pid and a per-process counter make a clash with another writer
// (thread or process) astronomically unlikely, and O_EXCL still guards against it. A
// leftover from a crash is a dot-file that folder listings and the image loader skip.
std::string temp_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  uint64_t bits = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  try {
    std::random_device rd;
    bits ^= (uint64_t{rd()} << 32) ^ rd();
  } catch (const std::exception&) {
    // No entropy source: the clock, the pid and the counter are still unique within this host.
  }
  bits ^= static_cast<uint64_t>(::getpid()) << 40;
  bits ^= counter.fetch_add(1) * 0x9E3779B97F4A7C15ull;
  char name[32];
  std::snprintf(name, sizeof name, "/.gm-%016llx.tmp", static_cast<unsigned long long>(bits));
  return parent_folder(path) + name;
}

const char* file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

// write() may write less than asked (signals, pipes, quotas); false with errno set on error.
bool write_all(int fd, const uint8_t* p, std::size_t size) {
  while (size > 0) {
    const ssize_t w = ::write(fd, p, size);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    size -= static_cast<std::size_t>(w);
  }
  return true;
}

// Opens a regular file for reading. O_NONBLOCK: opening a FIFO for reading would otherwise
// wait for a writer forever; it has no effect on the regular files that are all we go on to
// read. Only regular files: /dev/zero or a pipe has no size to check, and reading one until a
// budget runs out costs gigabytes before the refusal (issue 12).
int open_regular(const std::string& path, struct stat* st) {
  int raw;
  do raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  while (raw < 0 && errno == EINTR);
  if (raw < 0) fail(Status::io_error, "cannot open '{}': {}", path, std::strerror(errno));
  Fd fd(raw);
  if (::fstat(fd.fd, st) != 0) fail(Status::io_error, "cannot stat '{}': {}", path, std::strerror(errno));
  if (!S_ISREG(st->st_mode))
    fail(Status::io_error, "'{}' is not a regular file ({}); give the path of a file", path, file_type(st->st_mode));
  return fd.release();
}

// Reads until `size` bytes or the end of the file; returns the count read.
std::size_t read_up_to(int fd, uint8_t* p, std::size_t size, const std::string& path) {
  std::size_t used = 0;
  while (used < size) {
    const ssize_t r = ::read(fd, p + used, size - used);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail(Status::io_error, "cannot read '{}': {}", path, std::strerror(errno));
    }
    if (r == 0) break;
    used += static_cast<std::size_t>(r);
  }
  return used;
}

}  // namespace

std::vector<uint8_t> read_file_head(const std::string& path, std::size_t bytes, uint64_t* file_size) {
  struct stat st {};
  Fd fd(open_regular(path, &st));
  *file_size = static_cast<uint64_t>(st.st_size);
  std::vector<uint8_t> out(std::min<uint64_t>(bytes, *file_size));
  out.resize(read_up_to(fd.fd, out.data(), out.size(), path));
  return out;
}

std::vector<uint8_t> read_file(const std::string& path, std::size_t max_bytes) {
  // fstat's size is checked against the budget before any allocation; the read loop
  // enforces it again for a file that grows while we read it. The buffer never grows past
  // limit + 1 bytes.
  struct stat st {};
  Fd fd(open_regular(path, &st));
  const std::size_t limit = std::min<std::size_t>(max_bytes, PTRDIFF_MAX - 1);
  if (static_cast<uint64_t>(st.st_size) > limit)
    fail(Status::out_of_memory, "file '{}' is {} bytes, more than the limit of {} bytes", path,
         static_cast<uint64_t>(st.st_size), max_bytes);
  std::vector<uint8_t> out;
  try {
    out.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1 so the first read can see EOF
    std::size_t used = 0;
    for (;;) {
      if (used == out.size()) {
        if (used > limit) fail(Status::out_of_memory, "file '{}' is more than the limit of {} bytes", path, max_bytes);
        out.resize(used + std::min(limit + 1 - used, std::max<std::size_t>(used, 65536)));
      }
      const std::size_t got = read_up_to(fd.fd, out.data() + used, out.size() - used, path);
      used += got;
      if (used < out.size()) break;  // end of file
    }
    if (used > limit) fail(Status::out_of_memory, "file '{}' is more than the limit of {} bytes", path, max_bytes);
    out.resize(used);
  } catch (const std::bad_alloc&) {
    fail(Status::out_of_memory, "not enough memory to read '{}'", path);
  }
  return out;
}

void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
  std::string tmp;
  int raw = -1;
  for (int attempt = 0; attempt < 8 && raw < 0; ++attempt) {
    tmp = temp_name(path);
    raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (raw < 0 && errno != EEXIST && errno != EINTR) break;
  }
  if (raw < 0) fail(Status::io_error, "cannot create a temporary file next to '{}': {}", path, std::strerror(errno));

  // From here on every failure removes the temporary file before throwing, so a failed
  // save leaves the folder as it was.
  Fd fd(raw);
  auto abandon = [&tmp, &path](const char* step) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(Status::io_error, "cannot save '{}' ({} failed): {}", path, step, std::strerror(err));
  };
  if (!write_all(fd.fd, static_cast<const uint8_t*>(data), size)) abandon("write");
  if (::fsync(fd.fd) != 0) abandon("fsync");
  // close() can report a deferred write error (e.g. on NFS); on Linux the descriptor is
  // released even when it fails, so it is never retried.
  if (::close(fd.release()) != 0) abandon("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) abandon("rename");

  // The rename is only durable once the folder entry is on disk. Some filesystems refuse
  // fsync on a folder (EINVAL); the file is already in place then, so that is not an error.
  const std::string folder = parent_folder(path);
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0)
    fail(Status::io_error, "saved '{}' but cannot open its folder to sync it: {}", path, std::strerror(errno));
  if (::fsync(dir.fd) != 0 && errno != EINVAL)
    fail(Status::io_error, "saved '{}' but syncing its folder failed: {}", path, std::strerror(errno));
}

}  // namespace gm
