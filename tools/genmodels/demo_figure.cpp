#include "demo_figure.hpp"

#include <algorithm>
#include <cmath>

#include <stb_image_write.h>  // the implementation comes from Debian's libstb (lib/io links it)

// stb_easy_font: glyphs built from axis-aligned quads, all static functions in the header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#include "core/error.hpp"
#include "io/file.hpp"

namespace gm::cli {
namespace {

constexpr int kMargin = 10;         // around the figure
constexpr int kGap = 3;             // between images
constexpr int kLineHeight = 12;     // stb_easy_font's, at text scale 1
constexpr int64_t kMaxSide = 8192;  // a demo figure is far smaller
const Rgb kBackground{255, 255, 255}, kText{20, 20, 20}, kCaption{90, 90, 90}, kFrame{170, 170, 170};

// stb_easy_font indexes its tables by (char - 32): keep printable ASCII only.
std::string printable(const std::string& text) {
  std::string out;
  for (char c : text) out.push_back(c >= 32 && c < 127 ? c : '?');
  return out;
}

int text_width(const std::string& text, int scale) {
  std::string copy = printable(text);
  return stb_easy_font_width(copy.data()) * scale;
}

class Canvas {
 public:
  Canvas(int64_t width, int64_t height)
      : width_(width), height_(height), pixels_(static_cast<std::size_t>(width * height * 3)) {
    for (std::size_t i = 0; i < pixels_.size(); i += 3) std::copy(kBackground.begin(), kBackground.end(), &pixels_[i]);
  }

  void set(int64_t x, int64_t y, const Rgb& c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
    std::copy(c.begin(), c.end(), &pixels_[static_cast<std::size_t>((y * width_ + x) * 3)]);
  }

  void fill(int64_t x0, int64_t y0, int64_t w, int64_t h, const Rgb& c) {
    for (int64_t y = y0; y < y0 + h; ++y)
      for (int64_t x = x0; x < x0 + w; ++x) set(x, y, c);
  }

  // One line of text, its top-left at (x, y), every font pixel `scale` pixels wide.
  void text(int64_t x, int64_t y, const std::string& line, int scale, const Rgb& c) {
    std::string copy = printable(line);
    std::vector<char> quads(copy.size() * 300 + 64);  // ~270 bytes a character
    const int n = stb_easy_font_print(0, 0, copy.data(), nullptr, quads.data(), static_cast<int>(quads.size()));
    for (int q = 0; q < n; ++q) {
      // 4 vertices of 16 bytes: x, y, z (float) and a colour.
      float xs[4], ys[4];
      for (int v = 0; v < 4; ++v) {
        const char* p = quads.data() + (q * 4 + v) * 16;
        std::copy(p, p + sizeof(float), reinterpret_cast<char*>(&xs[v]));
        std::copy(p + sizeof(float), p + 2 * sizeof(float), reinterpret_cast<char*>(&ys[v]));
      }
      const auto x0 = static_cast<int64_t>(std::lround(*std::min_element(xs, xs + 4) * scale));
      const auto x1 = static_cast<int64_t>(std::lround(*std::max_element(xs, xs + 4) * scale));
      const auto y0 = static_cast<int64_t>(std::lround(*std::min_element(ys, ys + 4) * scale));
      const auto y1 = static_cast<int64_t>(std::lround(*std::max_element(ys, ys + 4) * scale));
      fill(x + x0, y + y0, x1 - x0, y1 - y0, c);
    }
  }

  void write(const std::string& path) const {
    struct Sink {
      std::vector<uint8_t> bytes;
      bool failed = false;
    } sink;
    auto append = [](void* context, void* data, int size) {
      auto* s = static_cast<Sink*>(context);
      const auto* p = static_cast<const uint8_t*>(data);
      try {
        s->bytes.insert(s->bytes.end(), p, p + size);
      } catch (...) {  // stb calls this from C: nothing may escape
        s->failed = true;
      }
    };
    const int ok = stbi_write_png_to_func(append, &sink, static_cast<int>(width_), static_cast<int>(height_), 3,
                                          pixels_.data(), static_cast<int>(width_ * 3));
    if (!ok || sink.failed) fail(Status::io_error, "cannot encode the figure {} as PNG", path);
    write_file_atomic(path, sink.bytes.data(), sink.bytes.size());
  }

 private:
  int64_t width_, height_;
  std::vector<uint8_t> pixels_;
};

// A line under the images for their captions, if the row has any.
int caption_height(const FigureRow& row) { return row.captions.empty() ? 0 : kLineHeight; }

uint8_t to_byte(float v) {
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(v * 255.0f + 0.5f);
}

}  // namespace

void write_figure(const std::string& path, const Figure& f) {
  const ImageShape& im = f.image;
  if (!im.is_image() || (im.channels != 1 && im.channels != 3))
    fail(Status::invalid_argument, "a figure needs images of 1 or 3 channels, got ({}, {}, {})", im.channels, im.height,
         im.width);
  if (im.height > kMaxSide || im.width > kMaxSide)
    fail(Status::invalid_argument, "a figure of {}x{} images is too large", im.height, im.width);
  const int scale = f.scale > 0 ? f.scale
                                : static_cast<int>(std::max<int64_t>(
                                      1, (56 + std::max(im.height, im.width) - 1) / std::max(im.height, im.width)));
  const int64_t cell_w = im.width * scale, cell_h = im.height * scale;

  int64_t columns = f.columns;
  for (const FigureRow& row : f.rows)
    if (f.columns <= 0) columns = std::max<int64_t>(columns, static_cast<int64_t>(row.images.size()));
  columns = std::max<int64_t>(columns, 1);

  // Width: the image columns, or the widest text line.
  int64_t width = columns * (cell_w + kGap) - kGap;
  if (!f.title.empty()) width = std::max<int64_t>(width, text_width(f.title, 2));
  for (const std::string& note : f.notes) width = std::max<int64_t>(width, text_width(note, 1));
  for (const FigureRow& row : f.rows) width = std::max<int64_t>(width, text_width(row.label, 1));
  width += 2 * kMargin;

  // Height: title, notes, then each row's label and its lines of images (with captions).
  int64_t height = kMargin;
  if (!f.title.empty()) height += 2 * kLineHeight + 4;
  height += static_cast<int64_t>(f.notes.size()) * kLineHeight;
  if (!f.title.empty() || !f.notes.empty()) height += 6;
  std::vector<int64_t> row_lines;
  for (const FigureRow& row : f.rows) {
    const int64_t n = static_cast<int64_t>(row.images.size());
    const int64_t lines = std::max<int64_t>(1, (n + columns - 1) / columns);
    row_lines.push_back(lines);
    if (!row.label.empty()) height += kLineHeight;
    height += lines * (cell_h + caption_height(row) + kGap) + 6;
  }
  height += kMargin;
  if (width > kMaxSide || height > kMaxSide)
    fail(Status::invalid_argument, "a figure of {}x{} px is too large", width, height);

  Canvas canvas(width, height);
  int64_t y = kMargin;
  if (!f.title.empty()) {
    canvas.text(kMargin, y, f.title, 2, kText);
    y += 2 * kLineHeight + 4;
  }
  for (const std::string& note : f.notes) {
    canvas.text(kMargin, y, note, 1, kCaption);
    y += kLineHeight;
  }
  if (!f.title.empty() || !f.notes.empty()) y += 6;

  const int64_t C = im.channels, H = im.height, W = im.width;
  for (std::size_t r = 0; r < f.rows.size(); ++r) {
    const FigureRow& row = f.rows[r];
    if (!row.label.empty()) {
      canvas.text(kMargin, y, row.label, 1, kText);
      y += kLineHeight;
    }
    for (std::size_t i = 0; i < row.images.size(); ++i) {
      const int64_t line = static_cast<int64_t>(i) / columns, col = static_cast<int64_t>(i) % columns;
      const int64_t left = kMargin + col * (cell_w + kGap), top = y + line * (cell_h + caption_height(row) + kGap);
      canvas.fill(left - 1, top - 1, cell_w + 2, cell_h + 2, kFrame);  // in the gap: separates white images
      const float* img = row.images[i];
      const uint8_t* marked = i < row.marked.size() ? row.marked[i] : nullptr;
      for (int64_t py = 0; py < H; ++py)
        for (int64_t px = 0; px < W; ++px) {
          Rgb c;
          if (marked && marked[py * W + px]) {
            c = f.marked_colour;
          } else {
            for (int64_t k = 0; k < 3; ++k)
              c[static_cast<std::size_t>(k)] = to_byte(img[(C == 3 ? k : 0) * H * W + py * W + px]);
          }
          canvas.fill(left + px * scale, top + py * scale, scale, scale, c);
        }
      if (i < row.captions.size()) {
        const std::string& cap = row.captions[i];
        const int64_t tw = text_width(cap, 1);
        canvas.text(left + std::max<int64_t>(0, (cell_w - tw) / 2), top + cell_h + 2, cap, 1, kCaption);
      }
    }
    y += row_lines[r] * (cell_h + caption_height(row) + kGap) + 6;
  }
  canvas.write(path);
}

}  // namespace gm::cli
