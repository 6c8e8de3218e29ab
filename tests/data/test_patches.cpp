#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "data/dataset.hpp"
#include "data/image_folder.hpp"
#include "data/patches.hpp"
#include "helpers.hpp"

using gm::Status;
using namespace gm_test;

namespace {

float value(int base, int r, int c, int k) { return static_cast<uint8_t>(base + 10 * r + c + 100 * k) / 255.0f; }

// Every value of patch `p` of `ds` is the image's pixel at (top + y, left + x), channel k
// (a grey image, comp 1, replicated into every channel).
void check_patch(const gm::Dataset& ds, int64_t p, int base, int top, int left, int comp) {
  const int64_t s = ds.image.height;
  for (int k = 0; k < ds.image.channels; ++k)
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const float got = ds.x[static_cast<size_t>(p * ds.d + (k * s + y) * s + x)];
        const float want = value(base, top + y, left + x, comp == 1 ? 0 : k);
        if (got != want) {
          CAPTURE(p);
          CAPTURE(k);
          CAPTURE(y);
          CAPTURE(x);
          CHECK(got == want);
          return;
        }
      }
}

}  // namespace

TEST_CASE("patches: one image, side by side, raster order, exact values in CHW") {
  const std::string dir = scratch_dir("patches_one");
  write_png(dir + "/a.png", 7, 5, 3, 1);  // 7 wide, 5 high
  const gm::Dataset ds = gm::load_dataset("patches:" + dir + "/a.png:2");
  // (5 - 2) / 2 + 1 = 2 rows of patches, (7 - 2) / 2 + 1 = 3 columns; the last row and column dropped.
  CHECK(ds.n == 6);
  CHECK(ds.d == 12);
  CHECK(ds.image.channels == 3);
  CHECK(ds.image.height == 2);
  CHECK(ds.image.width == 2);
  CHECK(ds.labels.empty());
  CHECK(ds.num_classes == 0);
  CHECK(ds.x.size() == 72);
  for (int p = 0; p < 6; ++p) check_patch(ds, p, 1, 2 * (p / 3), 2 * (p % 3), 3);
  // Spelled out: patch 4 (second row, second column) starts at pixel (2, 2); its green
  // value at (1, 0) is pixel (3, 2): 1 + 30 + 2 + 100.
  CHECK(ds.x[4 * 12 + 1 * 4 + 1 * 2 + 0] == 133 / 255.0f);
  // The whole image as one patch.
  CHECK(gm::load_dataset("patches:" + dir + "/a.png:5").n == 1);
}

TEST_CASE("patches: a stride smaller than the size overlaps; larger skips") {
  const std::string dir = scratch_dir("patches_stride");
  write_png(dir + "/a.png", 7, 5, 3, 1);
  const gm::Dataset ds = gm::load_dataset("patches:" + dir + "/a.png:2:1");
  CHECK(ds.n == 4 * 6);  // (5-2)/1+1 rows, (7-2)/1+1 columns
  for (int p = 0; p < ds.n; ++p) check_patch(ds, p, 1, p / 6, p % 6, 3);
  const gm::Dataset wide = gm::load_patches(dir + "/a.png", 2, 3);
  CHECK(wide.n == 2 * 2);  // tops 0, 3; lefts 0, 3 (a patch at 6 would not fit)
  check_patch(wide, 3, 1, 3, 3, 3);
  CHECK(gm::load_patches(dir + "/a.png", 3, 100).n == 1);
}

TEST_CASE("patches: a folder, image after image in name order; grey only when every image is") {
  const std::string dir = scratch_dir("patches_folder");
  std::filesystem::create_directories(dir + "/sub");
  write_png(dir + "/b.png", 6, 6, 3, 5);      // 3 x 3 patches of 2
  write_png(dir + "/a.png", 4, 4, 1, 7);      // grey, 2 x 2 patches
  write_png(dir + "/sub/c.png", 4, 4, 3, 0);  // not read: not recursive
  write_bytes(dir + "/notes.txt", {'x'});
  const gm::Dataset ds = gm::load_dataset("patches:" + dir + ":2");
  CHECK(ds.n == 4 + 9);
  CHECK(ds.image.channels == 3);
  for (int p = 0; p < 4; ++p) check_patch(ds, p, 7, 2 * (p / 2), 2 * (p % 2), 1);  // grey replicated
  for (int p = 0; p < 9; ++p) check_patch(ds, 4 + p, 5, 2 * (p / 3), 2 * (p % 3), 3);

  const std::string grey = scratch_dir("patches_grey");
  write_png(grey + "/a.png", 4, 4, 1, 7);
  write_png(grey + "/b.png", 4, 2, 2, 9);  // grey + alpha: alpha dropped
  const gm::Dataset g = gm::load_dataset("patches:" + grey + ":2");
  CHECK(g.image.channels == 1);
  CHECK(g.n == 4 + 2);
  CHECK(g.d == 4);
  check_patch(g, 0, 7, 0, 0, 1);
  check_patch(g, 5, 9, 0, 2, 1);
}

TEST_CASE("patches: every error says what to fix") {
  const std::string dir = scratch_dir("patches_errors");
  write_png(dir + "/a.png", 7, 5, 3, 1);
  const std::string file = dir + "/a.png";
  auto refused = [](const std::string& spec) { return catch_error([&] { gm::load_dataset(spec); }); };

  Caught e = refused("patches:" + file + ":0");
  CHECK(e.status == Status::invalid_argument);
  CHECK(e.mentions("patch size '0'"));
  e = refused("patches:" + file + ":6");  // larger than the 5-pixel side
  CHECK(e.status == Status::invalid_argument);
  CHECK(e.mentions("a.png"));
  CHECK(e.mentions("7x5"));
  CHECK(e.mentions("[1, 5]"));
  e = refused("patches:" + dir + "/missing.png:4");
  CHECK(e.status == Status::io_error);
  CHECK(e.mentions("missing.png"));
  for (const char* stride : {":0", ":x", ":-1"}) {
    e = refused("patches:" + file + ":2" + stride);
    CHECK(e.status == Status::invalid_argument);
    CHECK(e.mentions("stride"));
  }
  e = refused("patches:" + file);  // no size: the path's last part is not a number
  CHECK(e.status == Status::invalid_argument);
  CHECK(e.mentions("patches:IMAGE_OR_DIR:SIZE[:STRIDE]"));
  CHECK(refused("patches:" + file + ":2:").status == Status::invalid_argument);
  CHECK(refused("patches:").status == Status::invalid_argument);
  CHECK(refused("patches:" + file + ":4x").status == Status::invalid_argument);
  CHECK(catch_error([&] { gm::load_patches(file, 2, 0); }).status == Status::invalid_argument);
  CHECK(catch_error([&] { gm::load_patches(file, -1, 1); }).status == Status::invalid_argument);

  const std::string empty = scratch_dir("patches_empty");
  e = refused("patches:" + empty + ":2");
  CHECK(e.status == Status::invalid_data);
  CHECK(e.mentions("no .png"));

  const std::string bad = scratch_dir("patches_bad");
  write_bytes(bad + "/a.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0x00});
  e = refused("patches:" + bad + ":2");
  CHECK(e.status == Status::corrupt_file);
  CHECK(e.mentions("a.jpg"));
}

TEST_CASE("patches: the limits are checked from the headers, before decoding") {
  const std::string dir = scratch_dir("patches_limits");
  // The memory budget, set below what the set needs: refused before anything is decoded.
  std::vector<uint8_t> zeros(static_cast<size_t>(600 * 600));
  REQUIRE(stbi_write_png((dir + "/a.png").c_str(), 600, 600, 1, zeros.data(), 600) != 0);
  gm::limits::set_memory_budget(1 << 20);  // 1 MiB; 600 x 600 patches of 1 x 1 are 1.4 MB of floats
  const Caught e = catch_error([&] { gm::load_patches(dir + "/a.png", 1, 1); });
  gm::limits::set_memory_budget(0);
  CHECK(e.status == Status::out_of_memory);
  CHECK(e.mentions("patches"));
  // The value budget (2^28): 32 x 32 patches at stride 1 of a 600 x 600 image are
  // 569² x 1024 = 331 M values.
  const Caught v = catch_error([&] { gm::load_patches(dir + "/a.png", 32, 1); });
  CHECK(v.status == Status::invalid_data);
  CHECK(v.mentions(std::to_string(gm::kMaxImageFolderValues)));
  CHECK(gm::load_patches(dir + "/a.png", 32, 32).n == 18 * 18);
}

TEST_CASE("patches: the two photographs of Debian's python3-sklearn, 8 x 8") {
  const std::string dir = "/usr/lib/python3/dist-packages/sklearn/datasets/images";
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/china.jpg", ec) || !std::filesystem::exists(dir + "/flower.jpg", ec)) {
    MESSAGE("skipped: " << dir
                        << " has no china.jpg and flower.jpg (apt-get install python3-sklearn; "
                           "scripts/setup.sh installs it)");
    return;
  }
  const gm::Dataset ds = gm::load_dataset("patches:" + dir + ":8");
  CHECK(ds.n == 2 * 53 * 80);  // 427 x 640 each: 53 x 80 patches
  CHECK(ds.d == 3 * 8 * 8);
  CHECK(ds.image.channels == 3);
  CHECK(ds.image.height == 8);
  CHECK(ds.image.width == 8);
  CHECK(ds.labels.empty());
  float lo = 1, hi = 0;
  for (float v : ds.x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo >= 0.0f);
  CHECK(hi <= 1.0f);
  CHECK(hi - lo > 0.5f);  // photographs, not a flat fill
}
