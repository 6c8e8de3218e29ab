// .npy files (lib/data/npy.cpp) through the loaders a user reaches with `--data npy:FILE`.
// First byte: bit 0 set = gzip the rest before writing it (so the header parser is fuzzed
// behind zlib too; a seed that is already a .npy.gz goes in with the bit clear), bit 1 set =
// also load the file as its own labels. The rest is the file.
// An array that reads must encode (encode_npy) to bytes that read back as the same array.
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/npy.hpp"
#include "fuzz_common.hpp"

namespace {

using gm_fuzz::expect_clean;
using gm_fuzz::finding;

void check_dataset(const gm::Dataset& ds) {
  if (ds.n < 0 || ds.d < 0 || ds.x.size() != static_cast<std::size_t>(ds.n * ds.d))
    finding("load_npy: x holds " + std::to_string(ds.x.size()) + " values for n = " + std::to_string(ds.n) +
            ", d = " + std::to_string(ds.d));
  if (ds.image.is_image() && ds.image.size() != ds.d) finding("load_npy: image shape does not hold d values");
  if (!ds.labels.empty()) {
    if (ds.labels.size() != static_cast<std::size_t>(ds.n)) finding("load_npy: labels count != n");
    for (int32_t l : ds.labels)
      if (l < 0 || l >= ds.num_classes) finding("load_npy: label out of [0, num_classes)");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const std::string path = gm_fuzz::scratch_dir() + "/x.npy";
  if (mode & 1)
    gm_fuzz::write_file(path, gm_fuzz::gzip_bytes(data + 1, size - 1));
  else
    gm_fuzz::write_file(path, data + 1, size - 1);

  gm::NpyArray a;
  if (expect_clean("read_npy", [&] { a = gm::read_npy(path); })) {
    const int64_t count = a.count();
    if (count < 0 || a.bytes.size() != static_cast<std::size_t>(count) * gm::npy_item_size(a.type))
      finding("read_npy: bytes do not match the shape");
    expect_clean("npy_to_float", [&] {
      if (gm::npy_to_float(a).size() != static_cast<std::size_t>(count)) finding("npy_to_float: wrong count");
    });
    expect_clean("npy_to_int64", [&] { gm::npy_to_int64(a, "the array"); });
    // Round trip through the writer.
    std::vector<uint8_t> encoded;
    // As encode_idx_u8: the writer refuses an empty array whose other dimensions multiply past
    // its limit, so only a non-empty array must round-trip.
    const bool written = expect_clean("encode_npy", [&] { encoded = gm::encode_npy(a.type, a.bytes.data(), a.shape); });
    if (!written && count > 0) finding("encode_npy refused an array read_npy returned");
    if (written) {
      const std::string again = gm_fuzz::scratch_dir() + "/again.npy";
      gm_fuzz::write_file(again, encoded);
      gm::NpyArray b;
      if (!expect_clean("read_npy (round trip)", [&] { b = gm::read_npy(again); }))
        finding("read_npy refused what encode_npy wrote");
      if (b.type != a.type || b.shape != a.shape || b.bytes != a.bytes)
        finding("encode_npy -> read_npy does not give the same array");
    }
  }
  gm::Dataset ds;
  if (expect_clean("load_npy", [&] { ds = gm::load_npy(path); })) check_dataset(ds);
  if (mode & 2) {
    if (expect_clean("load_npy with labels", [&] { ds = gm::load_npy(path, path); })) check_dataset(ds);
  }
  if (mode & 4) {
    if (expect_clean("load_dataset npy:", [&] { ds = gm::load_dataset("npy:" + path); })) check_dataset(ds);
  }
  return 0;
}
