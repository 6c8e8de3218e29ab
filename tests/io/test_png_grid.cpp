// PNG grids: written through stb_image_write, read back with stb_image.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <stb_image.h>

#include "helpers.hpp"
#include "io/png_grid.hpp"

using namespace gm;
using gm_test::fresh_dir;
using gm_test::list_dir;
using gm_test::status_of;

namespace {

struct Png {
  int w = 0, h = 0, comp = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> px{nullptr, stbi_image_free};
  int at(int x, int y, int c = 0) const { return px.get()[(y * w + x) * comp + c]; }
};

Png load(const std::string& path) {
  Png p;
  p.px.reset(stbi_load(path.c_str(), &p.w, &p.h, &p.comp, 0));
  REQUIRE(p.px != nullptr);
  return p;
}

}  // namespace

TEST_CASE("grey grid of two images") {
  const std::string dir = fresh_dir("io_png_grey");
  const std::string path = dir + "/grid.png";
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Two 2x3 grey images (C=1, H=2, W=3).
  const std::vector<float> x = {
      0.0f,  0.5f,  1.0f,  //
      2.0f,  -1.0f, nan,   //
      1.0f,  1.0f,  1.0f,  //
      0.25f, 0.75f, 0.0f,
  };
  write_png_grid(path, x.data(), 2, ImageShape{1, 2, 3}, 0);  // ceil(sqrt(2)) = 2 columns
  CHECK(list_dir(dir) == "grid.png;");

  const Png p = load(path);
  CHECK(p.w == 2 * (3 + 1) + 1);
  CHECK(p.h == 1 * (2 + 1) + 1);
  CHECK(p.comp == 1);
  CHECK(p.at(0, 0) == 0);  // border
  CHECK(p.at(4, 1) == 0);  // border between the two images
  // First image starts at (1, 1).
  CHECK(p.at(1, 1) == 0);
  CHECK(p.at(2, 1) == 128);
  CHECK(p.at(3, 1) == 255);
  CHECK(p.at(1, 2) == 255);  // 2.0 clamped
  CHECK(p.at(2, 2) == 0);    // -1 clamped
  CHECK(p.at(3, 2) == 0);    // NaN drawn as 0
  // Second image starts at (5, 1).
  CHECK(p.at(5, 1) == 255);
  CHECK(p.at(5, 2) == 64);
  CHECK(p.at(6, 2) == 191);
  CHECK(p.at(8, 3) == 0);  // bottom-right border
}

TEST_CASE("RGB grid with explicit columns keeps CHW channels apart") {
  const std::string dir = fresh_dir("io_png_rgb");
  const std::string path = dir + "/grid.png";
  // Three 1x1 RGB images in two columns: two rows, the last cell empty.
  const std::vector<float> x = {1, 0, 0, /**/ 0, 1, 0, /**/ 0, 0, 1};
  write_png_grid(path, x.data(), 3, ImageShape{3, 1, 1}, 2);
  const Png p = load(path);
  CHECK(p.w == 5);
  CHECK(p.h == 5);
  CHECK(p.comp == 3);
  CHECK((p.at(1, 1, 0) == 255 && p.at(1, 1, 1) == 0 && p.at(1, 1, 2) == 0));
  CHECK((p.at(3, 1, 0) == 0 && p.at(3, 1, 1) == 255 && p.at(3, 1, 2) == 0));
  CHECK((p.at(1, 3, 0) == 0 && p.at(1, 3, 1) == 0 && p.at(1, 3, 2) == 255));
  CHECK(p.at(3, 3, 2) == 0);  // empty cell

  // More columns than images: clamped to n.
  write_png_grid(path, x.data(), 3, ImageShape{3, 1, 1}, 100);
  CHECK(load(path).w == 7);
}

TEST_CASE("png grid argument errors") {
  const std::string dir = fresh_dir("io_png_bad");
  const std::string path = dir + "/grid.png";
  const std::vector<float> x(64, 0.5f);
  CHECK(status_of([&] { write_png_grid(path, x.data(), 0, ImageShape{1, 2, 2}, 0); }) == Status::invalid_argument);
  CHECK(status_of([&] { write_png_grid(path, nullptr, 1, ImageShape{1, 2, 2}, 0); }) == Status::invalid_argument);
  CHECK(status_of([&] { write_png_grid(path, x.data(), 1, ImageShape{}, 0); }) == Status::invalid_argument);
  CHECK(status_of([&] { write_png_grid(path, x.data(), 1, ImageShape{2, 2, 2}, 0); }) == Status::invalid_argument);
  CHECK(status_of([&] { write_png_grid(path, x.data(), 1, ImageShape{1, 2, 2}, -1); }) == Status::invalid_argument);
  // Budgets are checked before touching x, so huge requests fail cleanly.
  CHECK(status_of([&] { write_png_grid(path, x.data(), 1, ImageShape{1, 1, 20000}, 0); }) == Status::invalid_argument);
  CHECK(status_of([&] {
          write_png_grid(path, x.data(), int64_t{1} << 40, ImageShape{1, 2, 2}, 0);
        }) == Status::invalid_argument);
  CHECK(status_of([&] {
          write_png_grid(path, x.data(), 100000, ImageShape{1, 100, 100}, 1);
        }) == Status::invalid_argument);
  CHECK(status_of([&] {
          write_png_grid(dir + "/no/such/grid.png", x.data(), 1, ImageShape{1, 2, 2}, 0);
        }) == Status::io_error);
  CHECK(list_dir(dir).empty());
}
