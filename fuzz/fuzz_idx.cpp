// IDX files (lib/data/idx.cpp, lib/data/gz_reader.cpp), plain and gzip-compressed, through
// the loaders `--data idx:IMAGES[:LABELS]` reaches.
// First byte: bit 0 = gzip the images file before writing it, bit 1 = gzip the labels file,
// bit 2 = go through load_dataset("idx:..."). The rest is the images file, optionally
// followed by the marker "IDXLABELS" and a labels file. A seed that is already gzip goes in
// with the bits clear, so both the stream and the format behind it are fuzzed.
// A file that reads must encode (encode_idx_u8) to bytes that read back the same.
#include <algorithm>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/idx.hpp"
#include "fuzz_common.hpp"

namespace {

using gm_fuzz::expect_clean;
using gm_fuzz::finding;

constexpr char kMarker[] = "IDXLABELS";

void write_part(const std::string& path, const uint8_t* p, std::size_t n, bool gzip) {
  if (gzip)
    gm_fuzz::write_file(path, gm_fuzz::gzip_bytes(p, n));
  else
    gm_fuzz::write_file(path, p, n);
}

void check_dataset(const gm::Dataset& ds) {
  if (ds.n <= 0 || ds.d <= 0 || ds.x.size() != static_cast<std::size_t>(ds.n * ds.d))
    finding("load_idx: x does not hold n * d values");
  if (ds.image.is_image() && ds.image.size() != ds.d) finding("load_idx: image shape does not hold d values");
  for (float v : ds.x)
    if (!(v >= 0.0f && v <= 1.0f)) finding("load_idx: a value outside [0, 1]");
  if (!ds.labels.empty()) {
    if (ds.labels.size() != static_cast<std::size_t>(ds.n)) finding("load_idx: labels count != n");
    for (int32_t l : ds.labels)
      if (l < 0 || l >= ds.num_classes) finding("load_idx: label out of [0, num_classes)");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const uint8_t* body = data + 1;
  const std::size_t n = size - 1;
  const uint8_t* cut = std::search(body, body + n, kMarker, kMarker + sizeof kMarker - 1);
  const std::string images = gm_fuzz::scratch_dir() + "/images.idx";
  const std::string labels = gm_fuzz::scratch_dir() + "/labels.idx";
  write_part(images, body, static_cast<std::size_t>(cut - body), mode & 1);
  const bool has_labels = cut != body + n;
  if (has_labels) {
    const uint8_t* l = cut + sizeof kMarker - 1;
    write_part(labels, l, static_cast<std::size_t>(body + n - l), mode & 2);
  }

  gm::IdxU8 a;
  if (expect_clean("read_idx_u8", [&] { a = gm::read_idx_u8(images); })) {
    // The element count: 0 if any dimension is 0, else a product read_idx_u8 bounded.
    int64_t count = std::find(a.dims.begin(), a.dims.end(), 0) == a.dims.end() ? 1 : 0;
    for (int64_t d : a.dims) count *= count ? d : 0;
    if (a.dims.empty() || a.data.size() != static_cast<std::size_t>(count))
      finding("read_idx_u8: data does not match the dimensions");
    std::vector<uint8_t> encoded;
    // The writer checks partial products, so it refuses an empty file whose other dimensions
    // multiply past its limit (dims 0 x 2^31 x 2): only a non-empty file must round-trip.
    const bool written = expect_clean("encode_idx_u8", [&] { encoded = gm::encode_idx_u8(a.data.data(), a.dims); });
    if (!written && count > 0) finding("encode_idx_u8 refused what read_idx_u8 returned");
    if (written) {
      const std::string again = gm_fuzz::scratch_dir() + "/again.idx";
      gm_fuzz::write_file(again, encoded);
      gm::IdxU8 b;
      if (!expect_clean("read_idx_u8 (round trip)", [&] { b = gm::read_idx_u8(again); }))
        finding("read_idx_u8 refused what encode_idx_u8 wrote");
      if (b.dims != a.dims || b.data != a.data) finding("encode_idx_u8 -> read_idx_u8 does not give the same file");
    }
  }
  gm::Dataset ds;
  if (expect_clean("load_idx", [&] { ds = gm::load_idx(images); })) check_dataset(ds);
  if (has_labels) {
    if (expect_clean("load_idx with labels", [&] { ds = gm::load_idx(images, labels); })) check_dataset(ds);
  }
  if (mode & 4) {
    const std::string spec = "idx:" + images + (has_labels ? ":" + labels : "");
    if (expect_clean("load_dataset idx:", [&] { ds = gm::load_dataset(spec); })) check_dataset(ds);
  }
  return 0;
}
