// Shared helpers of the data tests: scratch folders and error capture.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <stb_image_write.h>
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

// A w x h PNG whose pixel (r, c), channel k holds `base + 10 * r + c + 100 * k` (mod 256).
inline void write_png(const std::string& path, int w, int h, int comp, int base) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * comp));
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      for (int k = 0; k < comp; ++k)
        px[static_cast<size_t>((r * w + c) * comp + k)] = static_cast<uint8_t>(base + 10 * r + c + 100 * k);
  REQUIRE(stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp) != 0);
}

}  // namespace gm_test
