// Shared helpers of the data tests: scratch folders and error capture.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <zlib.h>

#include "core/error.hpp"

namespace gm_test {

// A fresh, empty folder under the build tree, named after the test.
inline std::string scratch_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(GM_TEST_TMPDIR) / "data_scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Caught {
  gm::Status status = gm::Status::ok;
  std::string message;
  bool mentions(const std::string& s) const { return message.find(s) != std::string::npos; }
};

// Runs f and reports the gm::Error it threw (status ok if none).
template <typename F>
Caught catch_error(F&& f) {
  try {
    f();
  } catch (const gm::Error& e) {
    return {e.status(), e.what()};
  }
  return {};
}

// bytes, gzip-compressed, as path.
inline void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(f);
}

}  // namespace gm_test
