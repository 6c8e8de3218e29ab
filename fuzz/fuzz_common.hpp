// Shared by the libFuzzer harnesses (fuzz/README.md): a private scratch folder for the
// loaders that read paths, the gzip wrapping that puts fuzzer bytes behind zlib, and the
// rules every harness enforces — an input may be refused with a status, never crash, hang,
// leak, throw something other than gm::Error, or come back as GM_INTERNAL.
#pragma once

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "genmodels/genmodels.h"

namespace gm_fuzz {

// A finding: print what broke and abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "\ngenmodels fuzz finding: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// One folder per process, on tmpfs when there is one: loaders read files by path, and a
// harness rewrites the same few names on every input. Removed at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string base = "/dev/shm";
    if (access(base.c_str(), W_OK) != 0) {
      const char* t = std::getenv("TMPDIR");
      base = t && *t ? t : "/tmp";
    }
    std::string templ = base + "/gm-fuzz.XXXXXX";
    if (!mkdtemp(templ.data())) finding("cannot create a scratch folder under " + base);
    static const std::string keep = templ;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return templ;
  }();
  return dir;
}

inline void write_file(const std::string& path, const uint8_t* data, std::size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  f.close();
  if (!f) finding("cannot write scratch file " + path);
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file(path, bytes.data(), bytes.size());
}

// A complete gzip stream (what `gzip -c` writes) of the bytes.
inline std::vector<uint8_t> gzip_bytes(const uint8_t* data, std::size_t size) {
  z_stream z{};
  // windowBits 15 + 16: gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) finding("deflateInit2");
  std::vector<uint8_t> out(deflateBound(&z, static_cast<uLong>(size)) + 64);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) finding("deflate did not finish");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Runs body; gm::Error is a clean refusal (returns false), anything else is a finding.
template <typename Body>
bool expect_clean(const char* what, Body&& body) {
  try {
    body();
    return true;
  } catch (const gm::Error& e) {
    if (e.status() == gm::Status::internal) finding(std::string(what) + ": Status::internal: " + e.what());
    return false;
  } catch (const std::exception& e) {
    finding(std::string(what) + " threw a non-gm::Error exception (" + typeid(e).name() + "): " + e.what());
  } catch (...) {
    finding(std::string(what) + " threw a non-std exception");
  }
}

// For the C ABI: GM_INTERNAL means an exception the library did not expect escaped its code.
// err by reference: read after the call that fills it (GCC evaluates the arguments of
// check_status("x", gm_f(&err), err) right to left, and saw the NULL from before the call).
inline int32_t check_status(const char* what, int32_t status, gm_error* const& err) {
  if (status == GM_INTERNAL)
    finding(std::string(what) + " returned GM_INTERNAL: " + (err ? gm_error_message(err) : "(no message)"));
  if (status != GM_OK && err == nullptr) finding(std::string(what) + " failed without an error object");
  if (status != GM_OK && gm_error_code(err) != status) finding(std::string(what) + ": error code != status");
  if (status != GM_OK && (gm_error_message(err) == nullptr || *gm_error_message(err) == '\0'))
    finding(std::string(what) + " failed with an empty message");
  gm_error_free(err);
  return status;
}

// Issue 12 ("Scores are finite or refused"): a score returned with GM_OK must be finite.
// GM_FUZZ_ALLOW_NONFINITE=1 turns the check off (to keep fuzzing past a known defect).
inline bool nonfinite_allowed() {
  static const bool allowed = [] {
    const char* v = std::getenv("GM_FUZZ_ALLOW_NONFINITE");
    return v && *v && *v != '0';
  }();
  return allowed;
}

}  // namespace gm_fuzz
