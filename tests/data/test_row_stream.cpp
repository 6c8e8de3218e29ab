// data/row_stream.hpp: chunks of an IDX or .npy file, concatenated, are the whole-file
// loader's rows bit for bit (plain and gzip IDX, (N, H, W, C) images, .npy u1 and f4),
// binarised like --binarize; the chunk count and the remainder are right; the checks of the
// whole-file loaders hold.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/idx.hpp"
#include "data/npy.hpp"
#include "data/row_stream.hpp"
#include "data/transforms.hpp"
#include "helpers.hpp"

using gm::Dataset;
using gm::RowStream;
using gm::Status;
using gm_test::catch_error;
using gm_test::scratch_dir;
using gm_test::write_bytes;
using gm_test::write_gzip;

namespace {

std::vector<uint8_t> pseudo_bytes(std::size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (uint8_t& b : v) {
    s = s * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(s >> 24);
  }
  return v;
}

// Streams spec in chunks of `chunk` rows; checks the chunk sizes and returns the rows.
Dataset streamed(const std::string& spec, int64_t chunk, double binarize = -1.0) {
  RowStream stream(spec, binarize);
  Dataset all, part;
  all.n = 0;
  all.d = stream.d();
  all.image = stream.image();
  int64_t chunks = 0;
  while (const int64_t got = stream.next(chunk, part)) {
    ++chunks;
    CHECK(got == part.n);
    CHECK(part.d == stream.d());
    CHECK(part.x.size() == static_cast<std::size_t>(got * stream.d()));
    CHECK(stream.position() == all.n + got);
    // Every chunk is full but the last, which holds the remainder.
    CHECK(got == (stream.position() == stream.rows() ? stream.rows() - (chunks - 1) * chunk : chunk));
    all.x.insert(all.x.end(), part.x.begin(), part.x.end());
    all.n += got;
  }
  CHECK(chunks == (stream.rows() + chunk - 1) / chunk);
  CHECK(stream.next(chunk, part) == 0);  // and it stays at the end
  CHECK(part.n == 0);
  return all;
}

void require_same_rows(const Dataset& a, const Dataset& b) {
  REQUIRE(a.n == b.n);
  REQUIRE(a.d == b.d);
  CHECK(a.image.channels == b.image.channels);
  CHECK(a.image.height == b.image.height);
  CHECK(a.image.width == b.image.width);
  REQUIRE(a.x.size() == b.x.size());
  CHECK(std::memcmp(a.x.data(), b.x.data(), a.x.size() * sizeof(float)) == 0);
}

}  // namespace

TEST_CASE("row stream: IDX chunks, plain and gzip, equal load_dataset's rows bit for bit") {
  const std::string dir = scratch_dir("row_stream_idx");
  const int64_t n = 53;
  const std::vector<uint8_t> pixels = pseudo_bytes(n * 5 * 4, 1);
  const std::vector<uint8_t> images = gm::encode_idx_u8(pixels.data(), {n, 5, 4});
  std::vector<uint8_t> label_bytes(n);
  for (int64_t i = 0; i < n; ++i) label_bytes[i] = static_cast<uint8_t>(i % 3);
  write_bytes(dir + "/img", images);
  write_gzip(dir + "/img.gz", images);
  write_bytes(dir + "/lab", gm::encode_idx_u8(label_bytes.data(), {n}));
  // (N, H, W, C): moved to channels first on the way, as load_idx does.
  const std::vector<uint8_t> color = pseudo_bytes(n * 3 * 2 * 3, 2);
  write_gzip(dir + "/rgb.gz", gm::encode_idx_u8(color.data(), {n, 3, 2, 3}));
  for (const std::string& spec : {"idx:" + dir + "/img", "idx:" + dir + "/img.gz",
                                  "idx:" + dir + "/img.gz:" + dir + "/lab", "idx:" + dir + "/rgb.gz"}) {
    CAPTURE(spec);
    Dataset whole = gm::load_dataset(spec);
    for (int64_t chunk : {1, 7, 10, 53, 54, 1000}) {
      CAPTURE(chunk);
      require_same_rows(streamed(spec, chunk), whole);
    }
    // --binarize T: the same rule on each chunk as on the whole set.
    for (double t : {0.5, 128.0 / 255.0, 1.0}) {
      CAPTURE(t);
      Dataset b = whole;
      gm::binarize(b, t);
      require_same_rows(streamed(spec, 7, t), b);
    }
    // --levels M: quantised chunk by chunk as the whole set.
    for (int64_t m : {2, 5, 256}) {
      CAPTURE(m);
      Dataset q = whole;
      gm::quantize(q, m);
      RowStream stream(spec, -1.0, m);
      Dataset chunk, all;
      while (stream.next(7, chunk) > 0) all.x.insert(all.x.end(), chunk.x.begin(), chunk.x.end());
      CHECK(chunk.levels == m);
      CHECK(all.x == q.x);
    }
  }
}

TEST_CASE("row stream: .npy chunks (u1 and f4, plain and gzip) equal load_dataset's rows bit for bit") {
  const std::string dir = scratch_dir("row_stream_npy");
  const int64_t n = 41, d = 6;
  const std::vector<uint8_t> u1 = pseudo_bytes(n * d, 3);
  write_bytes(dir + "/u1.npy", gm::encode_npy(gm::NpyType::u1, u1.data(), {n, d}));
  std::vector<float> f4(n * d);
  for (std::size_t i = 0; i < f4.size(); ++i) f4[i] = static_cast<float>(u1[i]) / 255.0f - 0.1f * (i % 3);
  write_bytes(dir + "/f4.npy", gm::encode_npy_f32(f4.data(), {n, 2, 3}));
  write_gzip(dir + "/f4.npy.gz", gm::encode_npy_f32(f4.data(), {n, 2, 3}));
  std::vector<int32_t> labels(n, 1);
  write_bytes(dir + "/labels.npy", gm::encode_npy_i32(labels.data(), {n, 1}));
  for (const std::string& spec : {"npy:" + dir + "/u1.npy", "npy:" + dir + "/f4.npy", "npy:" + dir + "/f4.npy.gz",
                                  "npy:" + dir + "/u1.npy:" + dir + "/labels.npy"}) {
    CAPTURE(spec);
    const Dataset whole = gm::load_dataset(spec);
    for (int64_t chunk : {1, 4, 40, 41, 100}) {
      CAPTURE(chunk);
      require_same_rows(streamed(spec, chunk), whole);
    }
    Dataset b = whole;
    gm::binarize(b, 0.5);
    require_same_rows(streamed(spec, 9, 0.5), b);
  }
}

TEST_CASE("row stream: fashion-mnist:test streams the installed files like load_dataset") {
  Dataset whole;
  const auto loaded = catch_error([&] { whole = gm::load_dataset("fashion-mnist:test"); });
  if (loaded.status != Status::ok) {
    MESSAGE("Fashion-MNIST is not installed: " << loaded.message);
    CHECK(catch_error([] { RowStream("fashion-mnist:test"); }).status == loaded.status);
    return;
  }
  require_same_rows(streamed("fashion-mnist:test", 1000), whole);
  require_same_rows(streamed("fashion-mnist:test", 3001), whole);
}

TEST_CASE("row stream: other specs, bad files and bad chunk sizes are refused with the whole loader's statuses") {
  const std::string dir = scratch_dir("row_stream_errors");
  CHECK(RowStream::supports("idx:a"));
  CHECK(RowStream::supports("npy:a"));
  CHECK(RowStream::supports("fashion-mnist:train"));
  CHECK_FALSE(RowStream::supports("images:dir"));
  CHECK_FALSE(RowStream::supports("builtin:bars-and-stripes"));
  const auto other = catch_error([] { RowStream("builtin:bars-and-stripes"); });
  CHECK(other.status == Status::invalid_argument);
  CHECK(other.mentions("idx:IMAGES"));
  CHECK(catch_error([] { RowStream("fashion-mnist:val"); }).status == Status::invalid_argument);
  CHECK(catch_error([] { RowStream("idx:"); }).status == Status::invalid_argument);
  CHECK(catch_error([&] { RowStream("idx:" + dir + "/missing"); }).status == Status::io_error);

  const std::vector<uint8_t> pixels = pseudo_bytes(10 * 4, 4);
  std::vector<uint8_t> file = gm::encode_idx_u8(pixels.data(), {10, 4});
  write_bytes(dir + "/ok", file);
  RowStream ok("idx:" + dir + "/ok");
  Dataset part;
  CHECK(catch_error([&] { ok.next(0, part); }).status == Status::invalid_argument);
  // Truncated: found by the chunk that runs out. Trailing bytes: found after the last row.
  write_bytes(dir + "/short", std::vector<uint8_t>(file.begin(), file.end() - 3));
  RowStream truncated("idx:" + dir + "/short");
  CHECK(truncated.next(9, part) == 9);
  CHECK(catch_error([&] { truncated.next(9, part); }).status == Status::corrupt_file);
  file.push_back(0);
  write_bytes(dir + "/long", file);
  RowStream trailing("idx:" + dir + "/long");
  CHECK(trailing.next(5, part) == 5);
  CHECK(catch_error([&] { trailing.next(5, part); }).status == Status::corrupt_file);
  // A labels file must give one label per row.
  std::vector<uint8_t> nine(9, 0);
  write_bytes(dir + "/lab9", gm::encode_idx_u8(nine.data(), {9}));
  CHECK(catch_error([&] { RowStream("idx:" + dir + "/ok:" + dir + "/lab9"); }).status == Status::invalid_data);
  // A labels file given as images, and a non-finite .npy value (numbered as in the file).
  CHECK(catch_error([&] { RowStream("idx:" + dir + "/lab9"); }).status == Status::invalid_data);
  std::vector<float> values(12, 0.5f);
  values[7] = std::numeric_limits<float>::infinity();
  write_bytes(dir + "/inf.npy", gm::encode_npy_f32(values.data(), {6, 2}));
  RowStream inf("npy:" + dir + "/inf.npy");
  CHECK(inf.next(3, part) == 3);
  const auto bad = catch_error([&] { inf.next(3, part); });
  CHECK(bad.status == Status::invalid_data);
  CHECK(bad.mentions("row 3 column 1"));
}
