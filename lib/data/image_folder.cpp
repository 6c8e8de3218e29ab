#include "data/image_folder.hpp"

// stb_image is compiled here, not taken from Debian's libstb: that build has every decoder
// (GIF, PSD, PIC, PNM, HDR, TGA) and a 2^24-pixel side limit, so a file named .png could
// reach a decoder we never meant to expose (issue 12). Here only the three formats the
// folder loader lists are compiled in, static to this file (no clash with libstb's
// symbols, which png_grid's writer still uses), and stb itself refuses any side above
// kMaxImageSide — even if a file changes between the header pass and the decode.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_NO_STDIO             // files are read by read_image below (regular files only, bounded)
#define STBI_MAX_DIMENSIONS 4096  // = kMaxImageSide (image_folder.hpp)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <stb_image.h>
#pragma GCC diagnostic pop
static_assert(STBI_MAX_DIMENSIONS == gm::kMaxImageSide, "stb's own side limit is the loader's");

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/error.hpp"

namespace gm {
namespace fs = std::filesystem;
namespace {

struct Item {
  std::string path;
  int32_t label;
};

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// Sorted entries of `dir` that do not start with '.', split into folders and image files.
// Only regular files are images: a FIFO named a.png would block the decoder's fopen.
void list_folder(const fs::path& dir, std::vector<fs::path>& folders, std::vector<fs::path>& images) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().rfind('.', 0) == 0) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec))
      folders.push_back(p);
    else if (is_image_name(p) && it->is_regular_file(type_ec))
      images.push_back(p);
  }
  if (ec) fail(Status::io_error, "cannot list folder '{}': {}", dir.string(), ec.message());
  std::sort(folders.begin(), folders.end());
  std::sort(images.begin(), images.end());
}

// The width and height a PNG or BMP header declares, read without stb: when stbi_info
// refuses a file, its reason is the last decoder's ("unknown image type"), so this is how
// an oversized image is told from a broken one. False for other files.
bool declared_size(const std::vector<uint8_t>& file, int64_t* w, int64_t* h) {
  const uint8_t* b = file.data();
  auto be32 = [b](int at) { return int64_t{b[at]} << 24 | int64_t{b[at + 1]} << 16 | b[at + 2] << 8 | b[at + 3]; };
  auto le32 = [b](int at) {
    return static_cast<int64_t>(static_cast<int32_t>(uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 |
                                                     uint32_t{b[at + 2]} << 16 | uint32_t{b[at + 3]} << 24));
  };
  if (file.size() >= 24 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(b + 12, "IHDR", 4) == 0) {
    *w = be32(16);
    *h = be32(20);
    return true;
  }
  if (file.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    *w = std::llabs(le32(18));
    *h = std::llabs(le32(22));  // negative: rows stored top-down
    return true;
  }
  return false;
}

// A whole image file, or an error message. Both passes decode from memory, so the bytes
// checked are the bytes decoded even if the file changes in between. The same refusals as
// gz_reader: O_NONBLOCK and regular files only (a FIFO swapped in after listing).
bool read_image(const std::string& path, std::vector<uint8_t>& out, std::string& error) {
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return error = fmt::format("cannot open image '{}': {}", path, std::strerror(errno)), false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= kMaxImageFileBytes;
  if (!ok) error = fmt::format("image '{}' is not a regular file of at most {} bytes", path, kMaxImageFileBytes);
  if (ok) {
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t used = 0;
    while (ok && used < out.size()) {
      const ssize_t r = ::read(fd, out.data() + used, out.size() - used);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) error = fmt::format("cannot read image '{}': {}", path, std::strerror(errno));
      ok = r >= 0;
      if (r == 0) break;
      used += r > 0 ? static_cast<std::size_t>(r) : 0;
    }
    out.resize(used);
  }
  ::close(fd);
  return ok;
}

// stb_image 2.27 (Debian 12's libstb-dev) builds a JPEG Huffman table from 16 code counts
// without checking that they sum to at most 256 (upstream added the check in 2.28): a DHT
// segment with larger counts writes past stbi__huffman::size[257], in stbi_info as well as
// in stbi_load (fuzz/crashes/images/stb-jpeg-dht-sizes-sum-over-256). Until the distribution
// ships the fix, every table stb could read is checked first. The walk follows stb's: a
// JPEG starts with 0xFF (stb's test for one); segments are skipped by their length, junk and
// entropy-coded data byte by byte up to the next marker (FF 00 and RSTn are not markers
// there), and a DHT's tables are read as stb reads them — 17 + n bytes each while its
// length lasts, zeros past the end of the file. Checking more than stb reads only refuses
// files stb would refuse anyway (a valid table never exceeds 256 codes).
bool jpeg_tables_fit_stb(const std::vector<uint8_t>& b) {
  if (b.empty() || b[0] != 0xFF) return true;  // not a JPEG to stb
  std::size_t i = 0;
  auto get8 = [&]() -> int { return i < b.size() ? b[i++] : 0; };
  auto length = [&]() -> int {
    const int hi = get8();
    return hi << 8 | get8();
  };
  bool in_scan = false;
  while (i < b.size()) {
    if (get8() != 0xFF) continue;
    int m = get8();
    while (m == 0xFF && i < b.size()) m = get8();
    if (in_scan && (m == 0x00 || (m >= 0xD0 && m <= 0xD7))) continue;  // stuffed byte, restart
    in_scan = false;
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length
    if (m == 0xD9) break;                                              // EOI: stb stops
    if (m == 0xC4) {
      for (int left = length() - 2; left > 0 && i < b.size();) {
        get8();  // class and table id
        int codes = 0;
        for (int k = 0; k < 16; ++k) codes += get8();
        if (codes > 256) return false;
        i = std::min(b.size(), i + static_cast<std::size_t>(codes));
        left -= 17 + codes;
      }
      continue;
    }
    const int len = length();
    i = std::min(b.size(), i + static_cast<std::size_t>(std::max(len - 2, 0)));
    in_scan = m == 0xDA;  // entropy-coded data follows a scan header
  }
  return true;
}

// stb_image 2.27 grows its IDAT buffer to hold a chunk's *declared* length before it reads
// the chunk: a 40-byte PNG declaring a 2 GiB IDAT made it allocate 2 GiB (fuzz campaign 4),
// several at once when a folder decodes in parallel. And a first IDAT of length 0 makes it
// memcpy to a null buffer (undefined, though zero bytes). The chunks are walked first: each
// must fit in the bytes that remain, and the first IDAT must hold data. Returns the reason
// for a refusal, empty when stb may go ahead (and for files that are not PNG).
std::string png_chunks_refusal(const std::vector<uint8_t>& b) {
  if (b.size() < 8 || std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) != 0) return {};
  bool seen_idat = false;
  for (std::size_t at = 8; at + 8 <= b.size();) {
    const uint64_t length = uint64_t{b[at]} << 24 | uint64_t{b[at + 1]} << 16 | uint64_t{b[at + 2]} << 8 | b[at + 3];
    // Four bytes, not NUL-terminated: a string_view, never a char* to fmt (it would strlen).
    const std::string_view type(reinterpret_cast<const char*>(b.data() + at + 4), 4);
    if (length > b.size() - at - 8)  // the 4-byte CRC may be cut: stb reports that itself
      return fmt::format("its {} chunk declares {} bytes, more than the {} that remain", type, length,
                         b.size() - at - 8);
    if (type == "IDAT") {
      if (!seen_idat && length == 0) return "its first IDAT chunk is empty";
      seen_idat = true;
    }
    if (type == "IEND") break;
    at += 12 + static_cast<std::size_t>(length);
  }
  return {};
}

// Refuses what stb must not see; the message names the file.
bool safe_for_stb(const std::string& path, const std::vector<uint8_t>& file, std::string& error) {
  if (!jpeg_tables_fit_stb(file)) {
    error = fmt::format("image '{}' is a corrupt JPEG (a Huffman table of more than 256 codes)", path);
    return false;
  }
  const std::string png = png_chunks_refusal(file);
  if (png.empty()) return true;
  error = fmt::format("image '{}' is a corrupt PNG: {}", path, png);
  return false;
}

}  // namespace

Dataset load_image_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(Status::io_error, "image folder '{}' does not exist or is not a folder", dir);

  Dataset ds;
  std::vector<Item> items;
  std::vector<fs::path> folders, loose;
  list_folder(dir, folders, loose);
  if (!folders.empty() && !loose.empty())
    fail(Status::invalid_data,
         "'{}' mixes images (e.g. '{}') with class sub-folders; put every image in its class folder, or "
         "remove the sub-folders for an unlabelled set",
         dir, loose.front().string());
  for (const fs::path& p : loose) items.push_back({p.string(), 0});
  for (const fs::path& folder : folders) {
    std::vector<fs::path> nested, images;
    list_folder(folder, nested, images);
    if (images.empty())
      fail(Status::invalid_data, "class folder '{}' has no .png/.jpg/.jpeg/.bmp images", folder.string());
    const auto label = static_cast<int32_t>(ds.class_names.size());
    for (const fs::path& p : images) items.push_back({p.string(), label});
    ds.class_names.push_back(folder.filename().string());
  }
  if (items.empty()) fail(Status::invalid_data, "'{}' holds no .png/.jpg/.jpeg/.bmp images", dir);

  // Pass 1: headers only, so budgets and the channel count are known before decoding.
  int width = 0, height = 0;
  bool colour = false;
  std::vector<uint8_t> file;
  std::string error;
  for (const Item& item : items) {
    int w = 0, h = 0, comp = 0;
    if (!read_image(item.path, file, error)) fail(Status::io_error, "{}", error);
    if (!safe_for_stb(item.path, file, error)) fail(Status::corrupt_file, "{}", error);
    if (!stbi_info_from_memory(file.data(), static_cast<int>(file.size()), &w, &h, &comp)) {
      // stb refuses a header declaring more than STBI_MAX_DIMENSIONS a side (or 2^30
      // pixels): a decompression bomb is refused here, before any pixel is inflated.
      const std::string reason = stbi_failure_reason();
      int64_t dw = 0, dh = 0;
      if (declared_size(file, &dw, &dh) && (dw > kMaxImageSide || dh > kMaxImageSide))
        fail(Status::invalid_data, "image '{}' is {}x{}; the limit is {}x{}", item.path, dw, dh, kMaxImageSide,
             kMaxImageSide);
      fail(Status::corrupt_file, "cannot read image '{}': {} (PNG, JPEG and BMP are supported)", item.path, reason);
    }
    if (w > kMaxImageSide || h > kMaxImageSide)
      fail(Status::invalid_data, "image '{}' is {}x{}; the limit is {}x{}", item.path, w, h, kMaxImageSide,
           kMaxImageSide);
    if (width == 0) {
      width = w;
      height = h;
    } else if (w != width || h != height) {
      fail(Status::invalid_data, "image '{}' is {}x{} but '{}' is {}x{}; all images must be the same size", item.path,
           w, h, items.front().path, width, height);
    }
    colour |= comp >= 3;  // 1 = grey, 2 = grey + alpha
  }
  // The pixel budget, before decoding: at most kMaxImageSide² pixels an image (above), and
  // kMaxImageFolderValues for the whole set (below).
  const int channels = colour ? 3 : 1;
  ds.n = static_cast<int64_t>(items.size());
  ds.image = ImageShape{channels, height, width};
  ds.d = ds.image.size();
  if (ds.n > kMaxImageFolderValues / ds.d)
    fail(Status::invalid_data, "'{}': {} images of {}x{}x{} exceed the budget of {} values", dir, ds.n, channels,
         height, width, kMaxImageFolderValues);
  ds.x.resize(static_cast<size_t>(ds.n * ds.d));

  // Pass 2: decode in parallel; exceptions cannot cross the OpenMP region, so each image
  // records its error and the first one is thrown afterwards (deterministically).
  std::vector<std::string> errors(items.size());
  const int64_t hw = int64_t{height} * width;
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < ds.n; ++i) {
    int w = 0, h = 0, comp = 0;
    std::vector<uint8_t> bytes;
    if (!read_image(items[i].path, bytes, errors[i]) || !safe_for_stb(items[i].path, bytes, errors[i])) continue;
    unsigned char* pixels =
        stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &comp, channels);
    if (!pixels) {
      errors[i] = fmt::format("cannot decode image '{}': {}", items[i].path, stbi_failure_reason());
      continue;
    }
    if (w != width || h != height) {
      errors[i] = fmt::format("image '{}' changed size while loading", items[i].path);
    } else {
      float* row = ds.x.data() + i * ds.d;  // HWC (stb) -> CHW
      for (int64_t p = 0; p < hw; ++p)
        for (int c = 0; c < channels; ++c) row[c * hw + p] = static_cast<float>(pixels[p * channels + c]) / 255.0f;
    }
    stbi_image_free(pixels);
  }
  for (const std::string& e : errors)
    if (!e.empty()) throw Error(Status::corrupt_file, e);

  if (!ds.class_names.empty()) {
    ds.labels.reserve(items.size());
    for (const Item& item : items) ds.labels.push_back(item.label);
    ds.num_classes = static_cast<int64_t>(ds.class_names.size());
  }
  return ds;
}

}  // namespace gm
