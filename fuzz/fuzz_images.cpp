// Images through the library's image path: load_image_folder (lib/data/image_folder.cpp,
// stb_image), what `--data images:DIR` reaches.
// First byte: bit 0 = labelled layout (class sub-folders a/ and b/, images alternating),
// bits 1-2 = the file extension (.png .bmp .jpg .JPEG; stb decodes by content, not by name),
// bit 3 = go through load_dataset("images:DIR"). The rest is up to four image files
// separated by the marker "NEXTIMAGE".
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/image_folder.hpp"
#include "fuzz_common.hpp"

namespace {

using gm_fuzz::expect_clean;
using gm_fuzz::finding;

constexpr char kMarker[] = "NEXTIMAGE";
constexpr int kMaxImages = 4;

void check_dataset(const gm::Dataset& ds, int64_t files, bool labelled) {
  if (ds.n != files) finding("load_image_folder: " + std::to_string(ds.n) + " rows from " + std::to_string(files));
  if (!ds.image.is_image() || ds.image.size() != ds.d) finding("load_image_folder: bad image shape");
  if (ds.image.channels != 1 && ds.image.channels != 3) finding("load_image_folder: channels not 1 or 3");
  if (ds.x.size() != static_cast<std::size_t>(ds.n * ds.d)) finding("load_image_folder: x does not hold n * d");
  for (float v : ds.x)
    if (!(v >= 0.0f && v <= 1.0f)) finding("load_image_folder: a value outside [0, 1]");
  if (labelled != !ds.labels.empty()) finding("load_image_folder: labels present iff class folders");
  for (int32_t l : ds.labels)
    if (l < 0 || l >= ds.num_classes) finding("load_image_folder: label out of [0, num_classes)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  namespace fs = std::filesystem;
  const uint8_t mode = data[0];
  const bool labelled = mode & 1;
  static const char* const kExt[] = {".png", ".bmp", ".jpg", ".JPEG"};
  const char* ext = kExt[(mode >> 1) & 3];

  const std::string dir = gm_fuzz::scratch_dir() + "/images";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir + (labelled ? "/a" : ""), ec);
  if (labelled) fs::create_directories(dir + "/b", ec);

  const uint8_t* p = data + 1;
  const uint8_t* end = data + size;
  int files = 0;
  for (; files < kMaxImages && (files == 0 || p < end); ++files) {
    const uint8_t* cut = files + 1 < kMaxImages ? std::search(p, end, kMarker, kMarker + sizeof kMarker - 1) : end;
    std::string path = dir;
    if (labelled) path += files % 2 ? "/b" : "/a";
    path += "/img" + std::to_string(files) + ext;
    gm_fuzz::write_file(path, p, static_cast<std::size_t>(cut - p));
    p = cut == end ? end : cut + sizeof kMarker - 1;
  }
  // With one image in a labelled layout, folder b/ is empty: load_image_folder must refuse it.
  gm::Dataset ds;
  if (expect_clean("load_image_folder", [&] { ds = gm::load_image_folder(dir); })) {
    if (labelled && files == 1) finding("load_image_folder accepted an empty class folder");
    check_dataset(ds, files, labelled);
  }
  if (mode & 8) {
    if (expect_clean("load_dataset images:", [&] { ds = gm::load_dataset("images:" + dir); }))
      check_dataset(ds, files, labelled);
  }
  return 0;
}
