#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/image_folder.hpp"
#include "helpers.hpp"

using gm::Status;
using namespace gm_test;

namespace {

// A w x h PNG whose pixel (r, c), channel k holds `base + 10 * r + c + 100 * k`.
void write_png(const std::string& path, int w, int h, int comp, int base) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * comp));
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      for (int k = 0; k < comp; ++k)
        px[static_cast<size_t>((r * w + c) * comp + k)] = static_cast<uint8_t>(base + 10 * r + c + 100 * k);
  REQUIRE(stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp) != 0);
}

}  // namespace

TEST_CASE("image folder: one sub-folder per class, sorted, grey images") {
  const std::string dir = scratch_dir("images_grey");
  std::filesystem::create_directories(dir + "/cats");
  std::filesystem::create_directories(dir + "/ants");
  std::filesystem::create_directories(dir + "/.hidden");
  write_png(dir + "/cats/b.png", 3, 2, 1, 20);
  write_png(dir + "/cats/a.PNG", 3, 2, 1, 40);
  write_png(dir + "/ants/z.png", 3, 2, 1, 60);
  write_bytes(dir + "/ants/notes.txt", {'h', 'i'});  // ignored: not an image extension

  const gm::Dataset ds = gm::load_dataset("images:" + dir);
  CHECK(ds.n == 3);
  CHECK(ds.d == 6);
  CHECK(ds.image.channels == 1);
  CHECK(ds.image.height == 2);
  CHECK(ds.image.width == 3);
  CHECK(ds.class_names == std::vector<std::string>{"ants", "cats"});
  CHECK(ds.num_classes == 2);
  CHECK(ds.labels == std::vector<int32_t>{0, 1, 1});
  // Row order: ants/z.png, cats/a.PNG, cats/b.png. Pixel (1, 2) of each: base + 12.
  CHECK(ds.x[0 * 6 + 5] == (60 + 12) / 255.0f);
  CHECK(ds.x[1 * 6 + 5] == (40 + 12) / 255.0f);
  CHECK(ds.x[2 * 6 + 0] == 20 / 255.0f);
}

TEST_CASE("image folder: any colour image makes every row RGB in CHW order; unlabelled layout") {
  const std::string dir = scratch_dir("images_rgb");
  write_png(dir + "/0.png", 2, 2, 1, 10);
  write_png(dir + "/1.png", 2, 2, 3, 1);
  write_png(dir + "/2.png", 2, 2, 4, 1);  // alpha dropped
  const uint8_t bmp[12] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  REQUIRE(stbi_write_bmp((dir + "/3.Bmp").c_str(), 2, 2, 3, bmp) != 0);
  const gm::Dataset ds = gm::load_image_folder(dir);
  CHECK(ds.n == 4);
  CHECK(ds.image.channels == 3);
  CHECK(ds.d == 12);
  CHECK(ds.labels.empty());
  CHECK(ds.num_classes == 0);
  // Grey image: all three planes equal. Pixel (1, 1) = 10 + 11.
  for (int k = 0; k < 3; ++k) CHECK(ds.x[static_cast<size_t>(k * 4 + 3)] == 21 / 255.0f);
  // RGB image: plane k, pixel (1, 0) = 1 + 10 + 100k.
  for (int k = 0; k < 3; ++k) CHECK(ds.x[static_cast<size_t>(12 + k * 4 + 2)] == (11 + 100 * k) / 255.0f);
  CHECK(ds.x[24 + 2 * 4 + 2] == 211 / 255.0f);
  CHECK(ds.x[36 + 11] == 9 / 255.0f);
}

TEST_CASE("image folder: errors name the files involved") {
  const std::string dir = scratch_dir("images_bad");
  SUBCASE("mismatched sizes") {
    write_png(dir + "/a.png", 2, 2, 1, 0);
    write_png(dir + "/b.png", 3, 2, 1, 0);
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::invalid_data);
    CHECK(e.mentions("a.png"));
    CHECK(e.mentions("b.png"));
  }
  SUBCASE("undecodable file") {
    write_png(dir + "/a.png", 2, 2, 1, 0);
    write_bytes(dir + "/b.jpg", {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions("b.jpg"));
  }
  SUBCASE("truncated PNG") {
    write_png(dir + "/a.png", 16, 16, 3, 0);
    auto bytes = read_bytes(dir + "/a.png");
    bytes.resize(bytes.size() / 2);
    write_bytes(dir + "/a.png", bytes);
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions("a.png"));
  }
  SUBCASE("empty class folder, mixed layout, empty and missing folders") {
    CHECK(catch_error([&] { gm::load_image_folder(dir); }).status == Status::invalid_data);
    CHECK(catch_error([&] { gm::load_image_folder(dir + "/missing"); }).status == Status::io_error);
    std::filesystem::create_directories(dir + "/empty");
    write_png(dir + "/loose.png", 2, 2, 1, 0);
    CHECK(catch_error([&] { gm::load_image_folder(dir); }).mentions("loose.png"));
    std::filesystem::remove(dir + "/loose.png");
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::invalid_data);
    CHECK(e.mentions("empty"));
  }
}
