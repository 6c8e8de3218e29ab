// Hostile data files (issue 12): gzip bombs are bounded by the declared dimensions, FIFOs and
// devices are refused without blocking, image sides and row widths are capped by
// core/limits.hpp, and a PNG declaring 60000 x 60000 pixels is refused before decoding.
#include <doctest/doctest.h>
#include <stb_image_write.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "data/captions.hpp"
#include "data/idx.hpp"
#include "data/image_folder.hpp"
#include "data/npy.hpp"
#include "helpers.hpp"

using namespace gm;
using gm_test::catch_error;
using gm_test::scratch_dir;
using gm_test::write_bytes;

namespace {

// `head` followed by `zeros` zero bytes, gzip-compressed (a 256 MiB tail is about 250 KiB).
void write_gz(const std::string& path, const std::vector<uint8_t>& head, std::size_t zeros) {
  gzFile f = gzopen(path.c_str(), "wb9");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, head.data(), static_cast<unsigned>(head.size())) == static_cast<int>(head.size()));
  const std::vector<uint8_t> block(std::size_t{1} << 20, 0);
  for (std::size_t left = zeros; left > 0;) {
    const std::size_t n = std::min(left, block.size());
    REQUIRE(gzwrite(f, block.data(), static_cast<unsigned>(n)) == static_cast<int>(n));
    left -= n;
  }
  REQUIRE(gzclose(f) == Z_OK);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A PNG chunk: length, type, data, CRC over type and data.
void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
  auto be32 = [&png](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<uint8_t>(v >> s));
  };
  be32(static_cast<uint32_t>(data.size()));
  const std::size_t at = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  be32(static_cast<uint32_t>(crc32(0, png.data() + at, static_cast<uInt>(png.size() - at))));
}

// A grey 8-bit PNG declaring width x height whose IDAT inflates to `inflated` zero bytes:
// a few kilobytes on disk, width x height bytes if decoded.
std::vector<uint8_t> bomb_png(uint32_t width, uint32_t height, std::size_t inflated) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  for (uint32_t v : {width, height})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<uint8_t>(v >> s));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // depth 8, grey, deflate, filter 0, no interlace
  chunk(png, "IHDR", ihdr);
  const std::vector<uint8_t> raw(inflated, 0);
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> z(size);
  REQUIRE(compress2(z.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 9) == Z_OK);
  z.resize(size);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}

std::vector<uint8_t> idx_header(const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> h = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<uint8_t>(d >> s));
  return h;
}

std::vector<uint8_t> npy_header(const std::string& descr, const std::string& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::vector<uint8_t> h = {
      0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(dict.size()), static_cast<uint8_t>(dict.size() >> 8)};
  h.insert(h.end(), dict.begin(), dict.end());
  return h;
}

// A read that blocks would hang the suite: SIGALRM ends the process (a failed test) instead.
struct Deadline {
  explicit Deadline(unsigned seconds) { ::alarm(seconds); }
  ~Deadline() { ::alarm(0); }
};

}  // namespace

TEST_CASE("a gzip bomb behind a small declared size is refused after reading that size") {
  const std::string dir = scratch_dir("gz_bomb");
  const std::size_t tail = std::size_t{256} << 20;
  write_gz(dir + "/labels.idx.gz", idx_header({10}), 10 + tail);
  std::vector<uint8_t> npy = npy_header("|u1", "(10,)");
  write_gz(dir + "/x.npy.gz", npy, 10 + tail);
  for (const std::string name : {"labels.idx.gz", "x.npy.gz"}) {
    CAPTURE(name);
    const auto start = std::chrono::steady_clock::now();
    const gm_test::Caught c = catch_error([&] {
      if (name == "x.npy.gz")
        read_npy(dir + "/" + name);
      else
        read_idx_u8(dir + "/" + name);
    });
    CHECK(c.status == Status::corrupt_file);
    CHECK(c.mentions("trailing"));
    CHECK(seconds_since(start) < 0.5);
  }
}

TEST_CASE("data loaders refuse FIFOs and devices without blocking") {
  const std::string dir = scratch_dir("fifo");
  const Deadline deadline(20);
  for (const std::string name : {"x.npy", "images.idx"}) {
    const std::string path = dir + "/" + name;
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    CHECK(catch_error([&] { read_npy(path); }).status == Status::io_error);
    CHECK(catch_error([&] { read_idx_u8(path); }).status == Status::io_error);
  }
  const gm_test::Caught c = catch_error([] { read_npy("/dev/zero"); });
  CHECK(c.status == Status::io_error);
  CHECK(c.mentions("not a regular file"));
}

TEST_CASE("image sides above kMaxImageSide and rows wider than kMaxRowWidth are invalid_data") {
  const std::string dir = scratch_dir("wide");
  const int64_t side = limits::kMaxImageSide + 1;
  // .npy (N, H, W) = (1, side, 1) and IDX (N, H, W) = (1, 1, side): small files, tall images.
  std::vector<uint8_t> npy = npy_header("|u1", "(1, " + std::to_string(side) + ", 1)");
  npy.resize(npy.size() + static_cast<std::size_t>(side), 0);
  write_bytes(dir + "/tall.npy", npy);
  gm_test::Caught c = catch_error([&] { load_npy(dir + "/tall.npy"); });
  CHECK(c.status == Status::invalid_data);
  CHECK(c.mentions(std::to_string(limits::kMaxImageSide)));

  std::vector<uint8_t> idx = idx_header({1, 1, static_cast<uint32_t>(side)});
  idx.resize(idx.size() + static_cast<std::size_t>(side), 0);
  write_bytes(dir + "/wide.idx", idx);
  c = catch_error([&] { load_idx(dir + "/wide.idx"); });
  CHECK(c.status == Status::invalid_data);
  CHECK(c.mentions(std::to_string(limits::kMaxImageSide)));

  // Plain rows (N, D) with D = kMaxRowWidth + 1, gzip-compressed to a few hundred kB.
  const std::size_t width = static_cast<std::size_t>(limits::kMaxRowWidth) + 1;
  write_gz(dir + "/rows.npy.gz", npy_header("|u1", "(1, " + std::to_string(width) + ")"), width);
  c = catch_error([&] { load_npy(dir + "/rows.npy.gz"); });
  CHECK(c.status == Status::invalid_data);
  CHECK(c.mentions(std::to_string(limits::kMaxRowWidth)));
  write_gz(dir + "/rows.idx.gz", idx_header({1, static_cast<uint32_t>(width)}), width);
  c = catch_error([&] { load_idx(dir + "/rows.idx.gz"); });
  CHECK(c.status == Status::invalid_data);
  CHECK(c.mentions(std::to_string(limits::kMaxRowWidth)));
}

TEST_CASE("a PNG declaring 60000 x 60000 pixels is refused from its header, before decoding") {
  const std::string dir = scratch_dir("png_bomb");
  const std::vector<uint8_t> png = bomb_png(60000, 60000, std::size_t{4} << 20);
  CHECK(png.size() < 16384);  // 3.6 GB of pixels in a few kB
  write_bytes(dir + "/bomb.png", png);
  const auto start = std::chrono::steady_clock::now();
  const gm_test::Caught c = catch_error([&] { load_image_folder(dir); });
  CHECK(c.status == Status::invalid_data);
  CHECK(c.mentions("bomb.png"));
  CHECK(c.mentions(std::to_string(kMaxImageSide)));
  CHECK(seconds_since(start) < 0.5);
}

TEST_CASE("the image loader decodes PNG, JPEG and BMP only") {
  // A GIF (a decoder libstb has but we do not compile in) is not even listed: wrong extension.
  // A GIF renamed .png must be refused by the decoder as not a PNG.
  const std::string dir = scratch_dir("gif_as_png");
  const std::vector<uint8_t> gif = {
      'G',  'I',  'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0,    0, 0, 0xFF, 0xFF,
      0xFF, 0x2C, 0,   0,   0,   0,   1, 0, 1, 0, 0,    2, 2, 0x44, 1, 0, 0x3B};  // a valid 1x1 GIF
  write_bytes(dir + "/a.png", gif);
  CHECK(catch_error([&] { load_image_folder(dir); }).status == Status::corrupt_file);
}

TEST_CASE("image folders skip non-regular entries such as FIFOs") {
  const std::string dir = scratch_dir("png_fifo");
  REQUIRE(::mkfifo((dir + "/a.png").c_str(), 0600) == 0);
  const Deadline deadline(20);
  CHECK(catch_error([&] { load_image_folder(dir); }).status == Status::invalid_data);  // no images
}

TEST_CASE("captions refuse a negative row count with a status") {
  const int32_t labels[1] = {0};
  CHECK(catch_error([&] { fashion_train_captions(labels, -1, 1); }).status == Status::invalid_argument);
  CHECK(fashion_train_captions(labels, 0, 1).empty());
}

TEST_CASE("a zero dimension does not let the other dimensions overflow (fuzz/crashes idx, npy)") {
  const std::string dir = scratch_dir("zero_dim");
  // IDX (1, 2^32 - 1, 0, 2^32 - 1): zero elements, but c x h overflows int64.
  write_bytes(dir + "/chw.idx", idx_header({1, 0xffffffffu, 0, 0xffffffffu}));
  CHECK(catch_error([&] { load_idx(dir + "/chw.idx"); }).status == Status::invalid_data);
  // .npy (1e14, 1e14, 0) and (0, 1e14, 1e14): count() and the row width.
  write_bytes(dir + "/a.npy", npy_header("<f4", "(100000000000000, 100000000000000, 0)"));
  CHECK(read_npy(dir + "/a.npy").count() == 0);
  CHECK(catch_error([&] { load_npy(dir + "/a.npy"); }).status == Status::invalid_data);
  write_bytes(dir + "/b.npy", npy_header("<f4", "(0, 100000000000000, 100000000000000)"));
  CHECK(catch_error([&] { load_npy(dir + "/b.npy"); }).status == Status::invalid_data);
}

TEST_CASE("a JPEG whose Huffman table has more than 256 codes never reaches stb (fuzz/crashes/images)") {
  const std::string dir = scratch_dir("jpeg_dht");
  // The fuzzer's reproducer without its mode byte: SOI, then a DHT whose counts sum to 441.
  write_bytes(dir + "/a.jpg", {0xff, 0xd8, 0xff, 0xc4, 0x01, 0xa2, 0x00, 0xc5, 0xf4});
  gm_test::Caught c = catch_error([&] { load_image_folder(dir); });
  CHECK(c.status == Status::corrupt_file);
  CHECK(c.mentions("a.jpg"));

  // A valid JPEG loads; the same file with one table's counts raised past 256 is refused.
  const std::string ok_dir = scratch_dir("jpeg_ok");
  std::vector<uint8_t> px(8 * 8 * 3);
  for (std::size_t k = 0; k < px.size(); ++k) px[k] = static_cast<uint8_t>(k * 7);
  REQUIRE(stbi_write_jpg((ok_dir + "/b.jpg").c_str(), 8, 8, 3, px.data(), 90) != 0);
  CHECK(load_image_folder(ok_dir).n == 1);
  std::vector<uint8_t> jpg = gm_test::read_bytes(ok_dir + "/b.jpg");
  std::size_t dht = 0;
  for (std::size_t k = 0; k + 1 < jpg.size() && !dht; ++k)
    if (jpg[k] == 0xff && jpg[k + 1] == 0xc4) dht = k;
  REQUIRE(dht > 0);
  for (int k = 0; k < 16; ++k) jpg[dht + 5 + k] = 0x20;  // 16 x 32 = 512 codes in the first table
  const std::string bad_dir = scratch_dir("jpeg_bad");
  write_bytes(bad_dir + "/c.jpg", jpg);
  CHECK(catch_error([&] { load_image_folder(bad_dir); }).status == Status::corrupt_file);
}

TEST_CASE("a header that declares gigabytes over a few bytes of data is truncated, not a big allocation") {
  // lib/data/gz_reader.cpp grows its buffer with the bytes read (1 MiB first), so this costs
  // 1 MiB, where it once reserved the declared 2 GiB and zeroed 64 MiB of it.
  const std::string dir = scratch_dir("gz_liar");
  write_gz(dir + "/x.idx.gz", idx_header({1u << 31}), 10);
  write_gz(dir + "/x.npy.gz", npy_header("<f8", "(268435456,)"), 10);
  const gm_test::Caught idx = catch_error([&] { read_idx_u8(dir + "/x.idx.gz"); });
  CHECK(idx.status == Status::corrupt_file);
  CHECK(idx.mentions("truncated"));
  const gm_test::Caught npy = catch_error([&] { read_npy(dir + "/x.npy.gz"); });
  CHECK(npy.status == Status::corrupt_file);
  CHECK(npy.mentions("truncated"));
}

TEST_CASE("a PNG chunk declaring more bytes than the file holds, or an empty first IDAT, is refused before stb") {
  // fuzz campaign 4: stb 2.27 grew its buffer to a chunk's declared length (2 GiB) before
  // reading it, and memcpy'd to a null buffer for an empty first IDAT.
  std::vector<uint8_t> ihdr;
  for (uint32_t v : {8u, 8u})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<uint8_t>(v >> s));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});
  const std::vector<uint8_t> good = bomb_png(8, 8, 72);  // 8 rows of 1 filter byte + 8 pixels
  const std::string dir = scratch_dir("png_chunks");
  write_bytes(dir + "/a.png", good);
  CHECK(catch_error([&] { load_image_folder(dir); }).status == Status::ok);

  std::vector<uint8_t> liar = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  chunk(liar, "IHDR", ihdr);
  liar.insert(liar.end(), {0x7F, 0xFF, 0xFF, 0xF0, 'I', 'D', 'A', 'T', 0, 0, 0, 0});  // 2 GiB declared, none there
  write_bytes(dir + "/a.png", liar);
  const auto start = std::chrono::steady_clock::now();
  gm_test::Caught c = catch_error([&] { load_image_folder(dir); });
  CHECK(c.status == Status::corrupt_file);
  CHECK(c.mentions("IDAT chunk declares 2147483632 bytes"));
  CHECK(seconds_since(start) < 0.5);

  std::vector<uint8_t> empty = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  chunk(empty, "IHDR", ihdr);
  chunk(empty, "IDAT", {});
  std::vector<uint8_t> rest(good.begin() + 33, good.end());  // the good file's IDAT and IEND
  empty.insert(empty.end(), rest.begin(), rest.end());
  write_bytes(dir + "/a.png", empty);
  c = catch_error([&] { load_image_folder(dir); });
  CHECK(c.status == Status::corrupt_file);
  CHECK(c.mentions("first IDAT chunk is empty"));
}
