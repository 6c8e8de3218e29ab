#include "data/image_folder.hpp"

// PNG and BMP are decoded by stb_image, compiled here rather than taken from Debian's
// libstb: that build has every decoder (GIF, PSD, PIC, PNM, HDR, TGA, and its JPEG) and a
// 2^24-pixel side limit, so a file named .png could reach a decoder we never meant to
// expose (issue 12). Here only PNG and BMP are compiled in, static to this file (no clash
// with libstb's symbols, which png_grid's writer still uses), and stb itself refuses any
// side above kMaxImageSide — even if a file changes between the header pass and the decode.
// JPEG is decoded by libjpeg-turbo (below): stb 2.27's JPEG decoder wrote past a Huffman
// table (fuzz finding 1) and shifted by >= 32 on corrupt entropy data (finding 11, stb#1293).
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
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
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include <jpeglib.h>

#include "core/error.hpp"

namespace gm {
namespace fs = std::filesystem;
namespace {

struct Item {
  std::string path;
  int32_t label;
};

struct Failure {
  Status status = Status::ok;
  std::string message;
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
  const std::string png = png_chunks_refusal(file);
  if (png.empty()) return true;
  error = fmt::format("image '{}' is a corrupt PNG: {}", path, png);
  return false;
}

// ---- JPEG, with libjpeg-turbo -------------------------------------------------------------
// libjpeg reports errors through error_exit, which must not return: it longjmps back into
// jpeg_run below. No C++ object with a destructor lives in the frames a longjmp crosses
// (jpeg_run's locals, libjpeg's C frames and these callbacks are plain data), so none is
// skipped; jpeg_destroy_decompress frees everything libjpeg allocated. The C++ side
// (messages, vectors) is built by the caller after jpeg_run returns.
//
// libjpeg merely warns about corrupt data (a truncated file, a bad Huffman code, bytes
// between markers) and goes on with grey or zero pixels; a data set must not silently hold
// such an image, so a warning is an error here as well (as turbojpeg's TJFLAG_STOPONWARNING).
// Progressive files may carry any number of scans, each a pass over the whole image:
// more than kMaxJpegScans is refused (turbojpeg's TJFLAG_LIMITSCANS uses the same 500).
// Memory: the side limit is checked right after jpeg_read_header, before
// jpeg_start_decompress allocates (at most about 100 MB of coefficients for a 4096 x 4096
// progressive colour image).
constexpr int kMaxJpegScans = 500;

struct JpegReport {    // plain data: what jpeg_run hands back
  jpeg_error_mgr mgr;  // first member: libjpeg's cinfo->err points here
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int width, height, components;
  J_COLOR_SPACE color_space;
};

enum class JpegOutcome { ok, corrupt, unsupported, too_large, changed_size };

void jpeg_error_exit(j_common_ptr cinfo) {
  JpegReport* r = reinterpret_cast<JpegReport*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, r->message);
  std::longjmp(r->jump, 1);
}
void jpeg_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_error_exit(cinfo);  // a warning: corrupt data (above); traces are dropped
}
void jpeg_output_message(j_common_ptr) {}  // never print to the host's stderr
void jpeg_progress(j_common_ptr cinfo) {
  const j_decompress_ptr d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number <= kMaxJpegScans) return;
  JpegReport* r = reinterpret_cast<JpegReport*>(cinfo->err);
  std::snprintf(r->message, sizeof r->message, "more than %d progressive scans", kMaxJpegScans);
  std::longjmp(r->jump, 1);
}

// Reads the header of the JPEG in data[0, size) into r; with out != nullptr also decodes it
// to `channels` (1: grey, 3: RGB) bytes per pixel, row-major, after checking that the size
// is still r's width x height on entry. Only plain data in this frame (see above).
JpegOutcome jpeg_run(const uint8_t* data, std::size_t size, JpegReport* r, uint8_t* out, int channels) {
  const int want_width = r->width, want_height = r->height;
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  std::memset(&cinfo, 0, sizeof cinfo);  // jpeg_destroy_decompress is safe even if create fails
  std::memset(&progress, 0, sizeof progress);
  r->message[0] = '\0';
  cinfo.err = jpeg_std_error(&r->mgr);
  r->mgr.error_exit = jpeg_error_exit;
  r->mgr.emit_message = jpeg_emit_message;
  r->mgr.output_message = jpeg_output_message;
  if (setjmp(r->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return JpegOutcome::corrupt;
  }
  jpeg_create_decompress(&cinfo);
  progress.progress_monitor = jpeg_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  r->width = static_cast<int>(std::min<JDIMENSION>(cinfo.image_width, 1u << 30));
  r->height = static_cast<int>(std::min<JDIMENSION>(cinfo.image_height, 1u << 30));
  r->components = cinfo.num_components;
  r->color_space = cinfo.jpeg_color_space;
  JpegOutcome outcome = JpegOutcome::ok;
  const bool grey = cinfo.num_components == 1 && cinfo.jpeg_color_space == JCS_GRAYSCALE;
  const bool colour =
      cinfo.num_components == 3 && (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB);
  if (!grey && !colour)
    outcome = JpegOutcome::unsupported;
  else if (r->width > kMaxImageSide || r->height > kMaxImageSide)
    outcome = JpegOutcome::too_large;
  else if (out && (r->width != want_width || r->height != want_height))
    outcome = JpegOutcome::changed_size;
  if (outcome != JpegOutcome::ok || !out) {
    jpeg_destroy_decompress(&cinfo);
    return outcome;
  }
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const std::size_t stride = static_cast<std::size_t>(want_width) * static_cast<std::size_t>(channels);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return JpegOutcome::ok;
}

bool is_jpeg(const std::vector<uint8_t>& b) { return b.size() >= 2 && b[0] == 0xFF && b[1] == 0xD8; }  // SOI

// The error for an outcome other than ok.
Failure jpeg_failure(const std::string& path, JpegOutcome outcome, const JpegReport& r) {
  switch (outcome) {
    case JpegOutcome::unsupported: {
      const char* kind = r.color_space == JCS_CMYK ? "CMYK" : r.color_space == JCS_YCCK ? "YCCK" : "";
      return {Status::unsupported,
              fmt::format("image '{}' is a {}JPEG with {} colour components; only greyscale and RGB (YCbCr) JPEGs "
                          "are supported: convert it to RGB (e.g. ImageMagick's `convert IN.jpg -colorspace sRGB "
                          "OUT.jpg`)",
                          path, *kind ? fmt::format("{} ", kind) : std::string(), r.components)};
    }
    case JpegOutcome::too_large:
      return {Status::invalid_data, fmt::format("image '{}' is {}x{}; the limit is {}x{}", path, r.width, r.height,
                                                kMaxImageSide, kMaxImageSide)};
    case JpegOutcome::changed_size:
      return {Status::corrupt_file, fmt::format("image '{}' changed size while loading", path)};
    default: return {Status::corrupt_file, fmt::format("image '{}' is a corrupt JPEG: {}", path, r.message)};
  }
}

// ---- any supported image ----------------------------------------------------------------

// The size and channel count (1 or 3) of the image in `file`, from its header.
bool probe_bytes(const std::string& path, const std::vector<uint8_t>& file, ImageInfo& info, Failure& f) {
  if (is_jpeg(file)) {
    JpegReport r{};
    const JpegOutcome outcome = jpeg_run(file.data(), file.size(), &r, nullptr, 0);
    if (outcome != JpegOutcome::ok) return f = jpeg_failure(path, outcome, r), false;
    info = {r.width, r.height, r.components == 1 ? 1 : 3};
    return true;
  }
  std::string error;
  if (!safe_for_stb(path, file, error)) return f = {Status::corrupt_file, error}, false;
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(file.data(), static_cast<int>(file.size()), &w, &h, &comp)) {
    // stb refuses a header declaring more than STBI_MAX_DIMENSIONS a side (or 2^30
    // pixels): a decompression bomb is refused here, before any pixel is inflated.
    const std::string reason = stbi_failure_reason();
    int64_t dw = 0, dh = 0;
    if (declared_size(file, &dw, &dh) && (dw > kMaxImageSide || dh > kMaxImageSide))
      return f = {Status::invalid_data,
                  fmt::format("image '{}' is {}x{}; the limit is {}x{}", path, dw, dh, kMaxImageSide, kMaxImageSide)},
             false;
    return f = {Status::corrupt_file,
                fmt::format("cannot read image '{}': {} (PNG, JPEG and BMP are supported)", path, reason)},
           false;
  }
  if (w > kMaxImageSide || h > kMaxImageSide)
    return f = {Status::invalid_data,
                fmt::format("image '{}' is {}x{}; the limit is {}x{}", path, w, h, kMaxImageSide, kMaxImageSide)},
           false;
  info = {w, h, comp >= 3 ? 3 : 1};  // 1 = grey, 2 = grey + alpha; alpha is dropped
  return true;
}

// Decodes `file` to `channels` (1 or 3) bytes a pixel, HWC; its size must still be `expect`'s.
bool decode_bytes(const std::string& path, const std::vector<uint8_t>& file, int channels, const ImageInfo& expect,
                  std::vector<uint8_t>& pixels, Failure& f) {
  const std::size_t count = static_cast<std::size_t>(expect.width) * static_cast<std::size_t>(expect.height) *
                            static_cast<std::size_t>(channels);
  if (is_jpeg(file)) {
    pixels.resize(count);
    JpegReport r{};
    r.width = expect.width;
    r.height = expect.height;
    const JpegOutcome outcome = jpeg_run(file.data(), file.size(), &r, pixels.data(), channels);
    if (outcome != JpegOutcome::ok) return f = jpeg_failure(path, outcome, r), false;
    return true;
  }
  std::string error;
  if (!safe_for_stb(path, file, error)) return f = {Status::corrupt_file, error}, false;
  int w = 0, h = 0, comp = 0;
  unsigned char* px = stbi_load_from_memory(file.data(), static_cast<int>(file.size()), &w, &h, &comp, channels);
  if (!px)
    return f = {Status::corrupt_file, fmt::format("cannot decode image '{}': {}", path, stbi_failure_reason())}, false;
  const bool same = w == expect.width && h == expect.height;
  if (same) pixels.assign(px, px + count);
  stbi_image_free(px);
  if (!same) return f = {Status::corrupt_file, fmt::format("image '{}' changed size while loading", path)}, false;
  return true;
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
  for (const Item& item : items) {
    const ImageInfo info = read_image_info(item.path);
    if (width == 0) {
      width = info.width;
      height = info.height;
    } else if (info.width != width || info.height != height) {
      fail(Status::invalid_data, "image '{}' is {}x{} but '{}' is {}x{}; all images must be the same size", item.path,
           info.width, info.height, items.front().path, width, height);
    }
    colour |= info.channels == 3;
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
  std::vector<Failure> errors(items.size());
  const int64_t hw = int64_t{height} * width;
  const ImageInfo expect{width, height, channels};
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < ds.n; ++i) {
    std::vector<uint8_t> bytes, pixels;
    if (!read_image(items[i].path, bytes, errors[i].message)) {
      errors[i].status = Status::io_error;
      continue;
    }
    if (!decode_bytes(items[i].path, bytes, channels, expect, pixels, errors[i])) continue;
    float* row = ds.x.data() + i * ds.d;  // HWC -> CHW
    for (int64_t p = 0; p < hw; ++p)
      for (int c = 0; c < channels; ++c) row[c * hw + p] = static_cast<float>(pixels[p * channels + c]) / 255.0f;
  }
  for (const Failure& e : errors)
    if (!e.message.empty()) throw Error(e.status, e.message);

  if (!ds.class_names.empty()) {
    ds.labels.reserve(items.size());
    for (const Item& item : items) ds.labels.push_back(item.label);
    ds.num_classes = static_cast<int64_t>(ds.class_names.size());
  }
  return ds;
}

std::vector<std::string> list_image_files(const std::string& dir) {
  std::vector<fs::path> folders, images;
  list_folder(dir, folders, images);
  std::vector<std::string> out;
  out.reserve(images.size());
  for (const fs::path& p : images) out.push_back(p.string());
  return out;
}

ImageInfo read_image_info(const std::string& path) {
  std::vector<uint8_t> file;
  std::string error;
  if (!read_image(path, file, error)) fail(Status::io_error, "{}", error);
  ImageInfo info;
  Failure f;
  if (!probe_bytes(path, file, info, f)) throw Error(f.status, f.message);
  return info;
}

std::vector<uint8_t> decode_image(const std::string& path, const ImageInfo& expect) {
  std::vector<uint8_t> file, pixels;
  std::string error;
  if (!read_image(path, file, error)) fail(Status::io_error, "{}", error);
  Failure f;
  if (!decode_bytes(path, file, expect.channels, expect, pixels, f)) throw Error(f.status, f.message);
  return pixels;
}

}  // namespace gm
