#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "data/idx.hpp"
#include "helpers.hpp"

using gm::Status;
using namespace gm_test;

namespace {

// 3 images of 2x3 with pixel value 10*i + k, and labels 2, 0, 1.
const std::vector<uint8_t> kPixels = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 255};
const std::vector<uint8_t> kLabels = {2, 0, 1};

}  // namespace

TEST_CASE("idx: plain and gzip files read back the same, scaled to [0,1]") {
  const std::string dir = scratch_dir("idx_roundtrip");
  const auto images = gm::encode_idx_u8(kPixels.data(), {3, 2, 3});
  const auto labels = gm::encode_idx_u8(kLabels.data(), {3});
  CHECK(images.size() == 4 + 3 * 4 + kPixels.size());
  CHECK(images[2] == 0x08);
  CHECK(images[3] == 3);
  write_bytes(dir + "/img", images);
  write_bytes(dir + "/lab", labels);
  write_gzip(dir + "/img.gz", images);
  write_gzip(dir + "/lab.gz", labels);

  for (const auto& [img, lab] : {std::pair{"/img", "/lab"}, std::pair{"/img.gz", "/lab.gz"}}) {
    const gm::Dataset ds = gm::load_idx(dir + img, dir + lab);
    CHECK(ds.n == 3);
    CHECK(ds.d == 6);
    CHECK(ds.image.channels == 1);
    CHECK(ds.image.height == 2);
    CHECK(ds.image.width == 3);
    REQUIRE(ds.x.size() == kPixels.size());
    for (size_t i = 0; i < kPixels.size(); ++i) CHECK(ds.x[i] == static_cast<float>(kPixels[i]) / 255.0f);
    CHECK(ds.x.back() == 1.0f);
    CHECK(ds.labels == std::vector<int32_t>{2, 0, 1});
    CHECK(ds.num_classes == 3);
  }
  const gm::Dataset unlabelled = gm::load_idx(dir + "/img.gz");
  CHECK(unlabelled.labels.empty());
  CHECK(unlabelled.num_classes == 0);
}

TEST_CASE("idx: (N, H, W, C) images are moved to CHW") {
  const std::string dir = scratch_dir("idx_hwc");
  // One 1x2 image with 3 channels: pixel 0 = (1, 2, 3), pixel 1 = (4, 5, 6).
  const std::vector<uint8_t> hwc = {1, 2, 3, 4, 5, 6};
  write_bytes(dir + "/img", gm::encode_idx_u8(hwc.data(), {1, 1, 2, 3}));
  const gm::Dataset ds = gm::load_idx(dir + "/img");
  CHECK(ds.image.channels == 3);
  CHECK(ds.image.height == 1);
  CHECK(ds.image.width == 2);
  const std::vector<float> expect = {1, 4, 2, 5, 3, 6};
  for (size_t i = 0; i < expect.size(); ++i) CHECK(ds.x[i] == expect[i] / 255.0f);
}

TEST_CASE("idx: truncated, corrupt and unsupported files are rejected with the file named") {
  const std::string dir = scratch_dir("idx_bad");
  const auto images = gm::encode_idx_u8(kPixels.data(), {3, 2, 3});

  SUBCASE("truncated plain file") {
    write_bytes(dir + "/t", std::vector<uint8_t>(images.begin(), images.end() - 1));
    const Caught e = catch_error([&] { gm::load_idx(dir + "/t"); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions(dir + "/t"));
    CHECK(e.mentions("truncated"));
  }
  SUBCASE("truncated gzip stream") {
    write_gzip(dir + "/full.gz", images);
    const auto gz = read_bytes(dir + "/full.gz");
    write_bytes(dir + "/t.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
    const Caught e = catch_error([&] { gm::load_idx(dir + "/t.gz"); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions(dir + "/t.gz"));
  }
  SUBCASE("truncated header") {
    write_bytes(dir + "/h", std::vector<uint8_t>(images.begin(), images.begin() + 6));
    CHECK(catch_error([&] { gm::load_idx(dir + "/h"); }).status == Status::corrupt_file);
  }
  SUBCASE("trailing bytes") {
    auto longer = images;
    longer.push_back(7);
    CHECK(catch_error([&] { gm::load_idx(dir + "/l"); }).status == Status::io_error);  // not written yet
    write_bytes(dir + "/l", longer);
    CHECK(catch_error([&] { gm::load_idx(dir + "/l"); }).status == Status::corrupt_file);
  }
  SUBCASE("bad magic") {
    auto bad = images;
    bad[0] = 0x42;
    write_bytes(dir + "/m", bad);
    const Caught e = catch_error([&] { gm::load_idx(dir + "/m"); });
    CHECK(e.status == Status::corrupt_file);
    CHECK(e.mentions("not an IDX file"));
  }
  SUBCASE("float32 element type") {
    auto f = images;
    f[2] = 0x0D;
    write_bytes(dir + "/f", f);
    const Caught e = catch_error([&] { gm::load_idx(dir + "/f"); });
    CHECK(e.status == Status::unsupported);
    CHECK(e.mentions("float32"));
  }
  SUBCASE("hostile dimensions do not allocate") {
    // (65536, 65536, 65536): 2^48 elements, far beyond the budget.
    const std::vector<uint8_t> huge = {0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0};
    write_bytes(dir + "/huge", huge);
    CHECK(catch_error([&] { gm::load_idx(dir + "/huge"); }).status == Status::corrupt_file);
  }
  SUBCASE("not gzip, but starts like it") {
    write_bytes(dir + "/g.gz", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3});
    CHECK(catch_error([&] { gm::load_idx(dir + "/g.gz"); }).status == Status::corrupt_file);
  }
  SUBCASE("missing file and folder") {
    CHECK(catch_error([&] { gm::load_idx(dir + "/nope"); }).status == Status::io_error);
    CHECK(catch_error([&] { gm::load_idx(dir); }).status == Status::io_error);
  }
  SUBCASE("label count mismatch") {
    write_bytes(dir + "/img", images);
    write_bytes(dir + "/lab", gm::encode_idx_u8(kLabels.data(), {2}));
    const Caught e = catch_error([&] { gm::load_idx(dir + "/img", dir + "/lab"); });
    CHECK(e.status == Status::invalid_data);
    CHECK(e.mentions("2 labels"));
  }
  SUBCASE("labels file with 2 dimensions, images file with 1") {
    write_bytes(dir + "/img", images);
    write_bytes(dir + "/lab2", gm::encode_idx_u8(kPixels.data(), {3, 6}));
    CHECK(catch_error([&] { gm::load_idx(dir + "/img", dir + "/lab2"); }).status == Status::invalid_data);
    write_bytes(dir + "/lab", gm::encode_idx_u8(kLabels.data(), {3}));
    CHECK(catch_error([&] { gm::load_idx(dir + "/lab"); }).status == Status::invalid_data);
  }
}
