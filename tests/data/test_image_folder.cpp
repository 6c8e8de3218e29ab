#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/image_folder.hpp"
#include "helpers.hpp"

#include <jpeglib.h>

using gm::Status;
using namespace gm_test;

namespace {

// A JPEG written with libjpeg itself: w x h, `comp` components of colour space `space`
// (JCS_GRAYSCALE, JCS_RGB or JCS_CMYK), interleaved pixels, quality 95.
std::vector<uint8_t> encode_jpeg(int w, int h, int comp, J_COLOR_SPACE space, const std::vector<uint8_t>& px) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);  // a failure here is a broken test: libjpeg exits
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = comp;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(px.data()) + static_cast<size_t>(cinfo.next_scanline) * w * comp;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

// A flat w x h image of `colour` (comp values).
std::vector<uint8_t> flat(int w, int h, const std::vector<uint8_t>& colour) {
  std::vector<uint8_t> px;
  for (int p = 0; p < w * h; ++p) px.insert(px.end(), colour.begin(), colour.end());
  return px;
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

TEST_CASE("image folder: JPEG (libjpeg-turbo), grey and RGB, within JPEG's tolerance") {
  const std::string dir = scratch_dir("images_jpeg");
  SUBCASE("a grey JPEG gives one channel") {
    write_bytes(dir + "/a.jpg", encode_jpeg(16, 8, 1, JCS_GRAYSCALE, flat(16, 8, {77})));
    const gm::Dataset ds = gm::load_image_folder(dir);
    CHECK(ds.n == 1);
    CHECK(ds.image.channels == 1);
    CHECK(ds.image.height == 8);
    CHECK(ds.image.width == 16);
    for (float v : ds.x) CHECK(std::abs(v * 255.0f - 77.0f) <= 2.0f);
  }
  SUBCASE("an RGB JPEG gives three planes in CHW order") {
    write_bytes(dir + "/a.JPEG", encode_jpeg(8, 16, 3, JCS_RGB, flat(8, 16, {200, 40, 120})));
    const gm::Dataset ds = gm::load_image_folder(dir);
    CHECK(ds.image.channels == 3);
    CHECK(ds.image.height == 16);
    CHECK(ds.image.width == 8);
    const float want[3] = {200, 40, 120};
    for (int k = 0; k < 3; ++k)
      for (int p = 0; p < 128; ++p) CHECK(std::abs(ds.x[static_cast<size_t>(k * 128 + p)] * 255.0f - want[k]) <= 2.0f);
  }
  SUBCASE("a grey JPEG beside a colour PNG is replicated into three planes; a gradient decodes close") {
    std::vector<uint8_t> ramp(8 * 8);
    for (size_t p = 0; p < ramp.size(); ++p) ramp[p] = static_cast<uint8_t>(p * 4);
    write_bytes(dir + "/a.jpg", encode_jpeg(8, 8, 1, JCS_GRAYSCALE, ramp));
    write_png(dir + "/b.png", 8, 8, 3, 0);
    const gm::Dataset ds = gm::load_image_folder(dir);
    CHECK(ds.image.channels == 3);
    for (int k = 0; k < 3; ++k)
      for (int p = 0; p < 64; ++p) CHECK(std::abs(ds.x[static_cast<size_t>(k * 64 + p)] * 255.0f - p * 4.0f) <= 6.0f);
  }
}

TEST_CASE("image folder: corrupt and unsupported JPEGs are refused with a message, never decoded to garbage") {
  const std::string dir = scratch_dir("images_jpeg_bad");
  std::vector<uint8_t> rgb(32 * 32 * 3);
  for (size_t k = 0; k < rgb.size(); ++k) rgb[k] = static_cast<uint8_t>(k * 13);
  const std::vector<uint8_t> good = encode_jpeg(32, 32, 3, JCS_RGB, rgb);
  SUBCASE("truncated: libjpeg only warns and fills with grey; here it is corrupt") {
    write_bytes(dir + "/a.jpg", std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions("a.jpg"));
    CHECK(e.mentions("corrupt JPEG"));
  }
  SUBCASE("truncated inside the header") {
    write_bytes(dir + "/a.jpg", std::vector<uint8_t>(good.begin(), good.begin() + 40));
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions("a.jpg"));
  }
  SUBCASE("garbage after SOI") {
    std::vector<uint8_t> bytes = {0xFF, 0xD8};
    for (int k = 0; k < 200; ++k) bytes.push_back(static_cast<uint8_t>(k * 37 + 11));
    write_bytes(dir + "/a.jpg", bytes);
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions("a.jpg"));
    CHECK(e.mentions("corrupt JPEG: "));
    CHECK(e.message.size() > std::string("image '' is a corrupt JPEG: ").size() + dir.size() + 10);
  }
  SUBCASE("CMYK is refused: convert to RGB") {
    write_bytes(dir + "/a.jpg", encode_jpeg(8, 8, 4, JCS_CMYK, flat(8, 8, {0, 50, 100, 20})));
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::unsupported);
    CHECK(e.mentions("a.jpg"));
    CHECK(e.mentions("CMYK"));
    CHECK(e.mentions("convert it to RGB"));
  }
  SUBCASE("a JPEG declaring a side above the limit is refused from its header") {
    std::vector<uint8_t> bytes = encode_jpeg(8, 8, 1, JCS_GRAYSCALE, flat(8, 8, {9}));
    size_t sof = 0;  // SOF0: FF C0, length (2), precision (1), height (2), width (2)
    for (size_t k = 0; k + 1 < bytes.size() && !sof; ++k)
      if (bytes[k] == 0xFF && bytes[k + 1] == 0xC0) sof = k;
    REQUIRE(sof > 0);
    bytes[sof + 5] = 0x20;  // height 0x2008 = 8200
    write_bytes(dir + "/a.jpg", bytes);
    const Caught e = catch_error([&] { gm::load_image_folder(dir); });
    CHECK(e.status == Status::invalid_data);
    CHECK(e.mentions("4096"));
  }
}
