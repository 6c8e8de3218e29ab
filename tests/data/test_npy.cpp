#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "data/npy.hpp"
#include "helpers.hpp"

using gm::NpyType;
using gm::Status;
using namespace gm_test;

namespace {

// A .npy file with the given header dict (padded the way numpy pads) and raw data.
std::vector<uint8_t> npy_file(const std::string& dict, const void* data, size_t size, int major = 1) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const auto len = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < prefix - 8; ++i) out.push_back(static_cast<uint8_t>(len >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + size);
  return out;
}

}  // namespace

TEST_CASE("npy: the encoder writes numpy's exact header") {
  const float zeros[6] = {};
  const auto bytes = gm::encode_npy_f32(zeros, {2, 3});
  // np.save(f, np.zeros((2, 3), np.float32)) writes a 128-byte header, length field 118.
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  CHECK(bytes == npy_file(dict, zeros, sizeof zeros));
  CHECK(bytes.size() == 128 + sizeof zeros);
  CHECK(bytes[8] == 118);
  const int64_t one[1] = {7};
  const auto v = gm::encode_npy(NpyType::i8, one, {1});
  const std::string one_dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }";
  CHECK(std::string(v.begin() + 10, v.begin() + 10 + static_cast<long>(one_dict.size())) == one_dict);
  CHECK(v.size() == 128 + 8);  // 10 + 57 + 1 header bytes round up to 128
}

TEST_CASE("npy: round trips of f4, f8, u1 data with i8 / i4 / u1 labels") {
  const std::string dir = scratch_dir("npy_roundtrip");
  const float f4[6] = {0.5f, -1.25f, 3.0f, 1e-7f, 2.0f, -0.0f};
  const double f8[6] = {0.5, -1.25, 3.0, 1e-7, 2.0, 1e30};
  const uint8_t u1[6] = {0, 1, 2, 128, 254, 255};
  const int64_t labels8[3] = {1, 0, 4};
  const int32_t labels4[3] = {1, 0, 4};
  const uint8_t labels1[3] = {1, 0, 4};
  write_bytes(dir + "/f4.npy", gm::encode_npy_f32(f4, {3, 2}));
  write_bytes(dir + "/f8.npy", gm::encode_npy(NpyType::f8, f8, {3, 2}));
  write_bytes(dir + "/u1.npy", gm::encode_npy(NpyType::u1, u1, {3, 2}));
  write_bytes(dir + "/l8.npy", gm::encode_npy(NpyType::i8, labels8, {3}));
  write_bytes(dir + "/l4.npy", gm::encode_npy_i32(labels4, {3}));
  write_bytes(dir + "/l1.npy", gm::encode_npy(NpyType::u1, labels1, {3, 1}));

  const gm::Dataset a = gm::load_npy(dir + "/f4.npy", dir + "/l8.npy");
  CHECK(a.n == 3);
  CHECK(a.d == 2);
  CHECK_FALSE(a.image.is_image());
  CHECK(std::memcmp(a.x.data(), f4, sizeof f4) == 0);
  CHECK(a.labels == std::vector<int32_t>{1, 0, 4});
  CHECK(a.num_classes == 5);

  const gm::Dataset b = gm::load_npy(dir + "/f8.npy", dir + "/l4.npy");
  for (int i = 0; i < 6; ++i) CHECK(b.x[i] == static_cast<float>(f8[i]));
  CHECK(b.labels == a.labels);

  const gm::Dataset c = gm::load_npy(dir + "/u1.npy", dir + "/l1.npy");  // values kept, not scaled
  for (int i = 0; i < 6; ++i) CHECK(c.x[i] == static_cast<float>(u1[i]));
  CHECK(c.labels == a.labels);

  const gm::NpyArray raw = gm::read_npy(dir + "/f8.npy");
  CHECK(raw.type == NpyType::f8);
  CHECK(raw.shape == std::vector<int64_t>{3, 2});
  CHECK(std::memcmp(raw.bytes.data(), f8, sizeof f8) == 0);
}

TEST_CASE("npy: shapes map to rows and image shapes") {
  const std::string dir = scratch_dir("npy_shapes");
  std::vector<float> v(2 * 3 * 4 * 5, 0.25f);
  write_bytes(dir + "/1d.npy", gm::encode_npy_f32(v.data(), {7}));
  write_bytes(dir + "/3d.npy", gm::encode_npy_f32(v.data(), {2, 3, 4}));
  write_bytes(dir + "/4d.npy", gm::encode_npy_f32(v.data(), {2, 3, 4, 5}));
  write_bytes(dir + "/5d.npy", gm::encode_npy_f32(v.data(), {2, 3, 2, 2, 5}));
  const gm::Dataset d1 = gm::load_npy(dir + "/1d.npy");
  CHECK((d1.n == 7 && d1.d == 1));
  const gm::Dataset d3 = gm::load_npy(dir + "/3d.npy");
  CHECK((d3.n == 2 && d3.d == 12 && d3.image.channels == 1 && d3.image.height == 3 && d3.image.width == 4));
  const gm::Dataset d4 = gm::load_npy(dir + "/4d.npy");
  CHECK((d4.n == 2 && d4.d == 60 && d4.image.channels == 3 && d4.image.height == 4 && d4.image.width == 5));
  const gm::Dataset d5 = gm::load_npy(dir + "/5d.npy");
  CHECK((d5.n == 2 && d5.d == 60 && !d5.image.is_image()));
}

TEST_CASE("npy: version 2.0 headers, Python 2 longs and key order are accepted") {
  const std::string dir = scratch_dir("npy_v2");
  const float x[2] = {1.0f, 2.0f};
  write_bytes(dir + "/v2.npy", npy_file("{'shape': (2L,), 'fortran_order': False, 'descr': '<f4'}", x, 8, 2));
  const gm::Dataset ds = gm::load_npy(dir + "/v2.npy");
  CHECK((ds.n == 2 && ds.d == 1 && ds.x[1] == 2.0f));
}

TEST_CASE("npy: hostile and unsupported files get specific errors naming the file") {
  const std::string dir = scratch_dir("npy_bad");
  const std::string path = dir + "/bad.npy";
  const float x[6] = {1, 2, 3, 4, 5, 6};
  const auto load = [&] { return catch_error([&] { gm::load_npy(path); }); };
  const auto expect = [&](const std::vector<uint8_t>& bytes, Status status, const std::string& text) {
    write_bytes(path, bytes);
    const Caught e = load();
    CHECK(e.status == status);
    CHECK(e.mentions(path));
    CHECK_MESSAGE(e.mentions(text), e.message);
  };
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";

  expect(npy_file(good, x, 20), Status::corrupt_file, "truncated");
  write_bytes(path, npy_file(good, x, 24));  // sanity: the helper makes a valid file
  CHECK(load().status == Status::ok);
  auto longer = npy_file(good, x, 24);
  longer.push_back(0);
  expect(longer, Status::corrupt_file, "trailing");
  auto magic = npy_file(good, x, 24);
  magic[1] = 'X';
  expect(magic, Status::corrupt_file, "not a .npy file");
  auto cut = npy_file(good, x, 24);
  cut.resize(30);
  expect(cut, Status::corrupt_file, "truncated");
  expect(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), ", x, 24), Status::corrupt_file,
         "invalid .npy header");
  expect(npy_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3, 2), }", x, 24), Status::corrupt_file,
         "True or False");
  expect(npy_file("{'descr': '<f4', 'shape': (3, 2), }", x, 24), Status::corrupt_file, "fortran_order");
  expect(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2), }", x, 24), Status::corrupt_file,
         "integer");
  expect(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", x, 24),
         Status::corrupt_file, "limit");
  expect(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", x, 24), Status::unsupported, "Fortran");
  expect(npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2), }", x, 24), Status::unsupported,
         "big-endian");
  expect(npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (3, 1), }", x, 24), Status::unsupported, "dtype");
  expect(npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", x, 12), Status::unsupported,
         "structured");
  // Header length field of 0xffffffff in a 2.0 file: refused before allocating.
  expect({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0xff, '{'}, Status::corrupt_file, "header");
  const float nan_row[2] = {1.0f, std::nanf("")};
  expect(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", nan_row, 8), Status::invalid_data,
         "row 0 column 1");
  const double too_big[1] = {1e300};
  expect(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", too_big, 8), Status::invalid_data,
         "inf");
  CHECK(catch_error([&] { gm::load_npy(dir + "/missing.npy"); }).status == Status::io_error);
}

TEST_CASE("npy: labels must be non-negative integers, one per row") {
  const std::string dir = scratch_dir("npy_labels");
  const float x[3] = {1, 2, 3};
  write_bytes(dir + "/x.npy", gm::encode_npy_f32(x, {3}));
  const int64_t negative[3] = {0, -1, 2};
  const float floats[3] = {0, 1, 2};
  const int32_t short_labels[2] = {0, 1};
  write_bytes(dir + "/neg.npy", gm::encode_npy(NpyType::i8, negative, {3}));
  write_bytes(dir + "/float.npy", gm::encode_npy_f32(floats, {3}));
  write_bytes(dir + "/short.npy", gm::encode_npy_i32(short_labels, {2}));
  const auto status = [&](const std::string& labels) {
    return catch_error([&] { gm::load_npy(dir + "/x.npy", dir + "/" + labels); });
  };
  CHECK(status("neg.npy").status == Status::invalid_data);
  CHECK(status("neg.npy").mentions("entry 1 is -1"));
  CHECK(status("float.npy").status == Status::invalid_data);
  CHECK(status("float.npy").mentions("astype"));
  CHECK(status("short.npy").status == Status::invalid_data);
  CHECK(status("short.npy").mentions("2 labels"));
}
