#include "data/npy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>

#include "core/data_view.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/gz_reader.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              ".npy elements are read by memcpy; a big-endian host needs byte swaps here");

namespace gm {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct NpyTypeInfo {
  NpyType type;
  char kind;  // numpy kind letter
  int size;
};
constexpr NpyTypeInfo kTypes[] = {{NpyType::f4, 'f', 4}, {NpyType::f8, 'f', 8}, {NpyType::u1, 'u', 1},
                                  {NpyType::i4, 'i', 4}, {NpyType::i8, 'i', 8}, {NpyType::b1, 'b', 1}};

// Recursive-descent parser for the one Python literal numpy writes. Everything it does
// not understand is corrupt_file: the header comes from an untrusted file.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : s_(text), path_(path) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool has_descr = false, has_fortran = false, has_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string();
      expect(':');
      if (key == "descr") {
        if (peek('[')) fail(Status::unsupported, "'{}' holds a structured array; save a plain numeric array", path_);
        descr = string();
        has_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        has_fortran = true;
      } else if (key == "shape") {
        shape = tuple();
        has_shape = true;
      } else {
        bad("unknown key '" + key + "'");
      }
      if (!peek(',')) break;
      expect(',');
    }
    expect('}');
    if (!has_descr || !has_fortran || !has_shape) bad("the header must give 'descr', 'fortran_order' and 'shape'");
  }

 private:
  [[noreturn]] void bad(const std::string& what) {
    std::string_view shown = s_.substr(0, 200);
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.remove_suffix(1);
    fail(Status::corrupt_file, "'{}' has an invalid .npy header: {} (at offset {} of \"{}\")", path_, what, pos_,
         std::string(shown));
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string() {
    skip_ws();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) bad("expected a quoted string");
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos || end - pos_ > 64) bad("unterminated or overlong string");
    std::string out(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_ws();
    if (s_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (s_.substr(pos_, 5) == "False") return pos_ += 5, false;
    bad("expected True or False");
  }
  int64_t integer() {
    skip_ws();
    int64_t v = 0;
    size_t digits = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (++digits > 15) bad("dimension too large");  // < 10^15, so v cannot overflow
      v = v * 10 + (s_[pos_++] - '0');
    }
    if (digits == 0) bad("expected a non-negative integer dimension");
    if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 longs: "(3L, 4L)"
    return v;
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (!peek(')')) {
      if (dims.size() == 32) bad("more than 32 dimensions");
      dims.push_back(integer());
      if (!peek(',')) break;
      expect(',');
    }
    expect(')');
    return dims;
  }

  std::string_view s_;
  const std::string& path_;
  size_t pos_ = 0;
};

NpyType parse_descr(const std::string& descr, const std::string& path) {
  // Byte order: '<' little, '|' not applicable (1 byte), '=' native (little, see static_assert).
  if (descr.size() >= 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=' || descr[0] == '>')) {
    for (const NpyTypeInfo& t : kTypes) {
      if (descr.substr(1) != std::string(1, t.kind) + std::to_string(t.size)) continue;
      if (descr[0] == '>' && t.size > 1)
        fail(Status::unsupported, "'{}' is big-endian ({}); convert with a.astype('<{}{}')", path, descr, t.kind,
             t.size);
      return t.type;
    }
  }
  fail(Status::unsupported,
       "'{}' has dtype '{}'; supported are <f4 <f8 |u1 <i4 <i8 |b1 (convert with a.astype(np.float32))", path, descr);
}

template <typename T>
T load_as(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

const char* npy_descr(NpyType t) {
  switch (t) {
    case NpyType::f4: return "<f4";
    case NpyType::f8: return "<f8";
    case NpyType::u1: return "|u1";
    case NpyType::i4: return "<i4";
    case NpyType::i8: return "<i8";
    case NpyType::b1: return "|b1";
  }
  return "?";
}

int npy_item_size(NpyType t) {
  for (const NpyTypeInfo& info : kTypes)
    if (info.type == t) return info.size;
  return 0;
}

int64_t NpyArray::count() const {
  // A zero anywhere makes the count 0, and read_npy bounds the others only when none is
  // zero: (1e14, 1e14, 0) must not be multiplied left to right.
  for (int64_t dim : shape)
    if (dim == 0) return 0;
  int64_t c = 1;
  for (int64_t dim : shape)
    if (__builtin_mul_overflow(c, dim, &c)) fail(Status::invalid_data, ".npy shape has more than 2^63 elements");
  return c;
}

NpyArray read_npy_header(GzReader& in) {
  const std::string& path = in.path();
  uint8_t pre[kMagicSize + 2];
  in.read_exact(pre, sizeof pre, "the .npy magic");
  if (std::memcmp(pre, kMagic, kMagicSize) != 0)
    fail(Status::corrupt_file, "'{}' is not a .npy file (it does not start with \\x93NUMPY)", path);
  const int major = pre[kMagicSize], minor = pre[kMagicSize + 1];
  if (major < 1 || major > 3 || minor != 0)
    fail(Status::unsupported, "'{}' is .npy format {}.{}; supported are 1.0, 2.0 and 3.0", path, major, minor);
  uint8_t len_bytes[4] = {0, 0, 0, 0};
  in.read_exact(len_bytes, major == 1 ? 2 : 4, "the .npy header length");
  const uint32_t header_len = load_as<uint32_t>(len_bytes);
  if (header_len > kMaxNpyHeaderBytes)
    fail(Status::corrupt_file, "'{}' declares a {}-byte .npy header; the limit is {}", path, header_len,
         kMaxNpyHeaderBytes);
  std::string header(header_len, '\0');
  in.read_exact(header.data(), header.size(), "the .npy header");

  std::string descr;
  bool fortran = false;
  NpyArray a;
  HeaderParser(header, path).parse(descr, fortran, a.shape);
  a.type = parse_descr(descr, path);
  if (fortran && a.shape.size() > 1)
    fail(Status::unsupported, "'{}' is stored in Fortran order; save np.ascontiguousarray(a) instead", path);
  checked_count(a.shape.data(), a.shape.size(), kMaxNpyElements, path);
  return a;
}

NpyArray read_npy(const std::string& path) {
  GzReader in(path);
  NpyArray a = read_npy_header(in);
  const int64_t count = checked_count(a.shape.data(), a.shape.size(), kMaxNpyElements, path);
  in.read_vector(a.bytes, static_cast<size_t>(count) * static_cast<size_t>(npy_item_size(a.type)), "the array data");
  in.expect_end();
  return a;
}

void npy_elements_to_float(NpyType type, const uint8_t* p, int64_t n, float* out) {
  switch (type) {
    case NpyType::f4:
      if (n) std::memcpy(out, p, static_cast<size_t>(n) * sizeof(float));
      break;
    case NpyType::f8:
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_as<double>(p + 8 * i));
      break;
    case NpyType::u1:
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(p[i]);
      break;
    case NpyType::b1:
      for (int64_t i = 0; i < n; ++i) out[i] = p[i] ? 1.0f : 0.0f;
      break;
    case NpyType::i4:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_as<int32_t>(p + 4 * i));
      break;
    case NpyType::i8:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_as<int64_t>(p + 8 * i));
      break;
  }
}

std::vector<float> npy_to_float(const NpyArray& a) {
  const int64_t n = a.count();
  std::vector<float> out(static_cast<size_t>(n));
  npy_elements_to_float(a.type, a.bytes.data(), n, out.data());
  return out;
}

std::vector<int64_t> npy_to_int64(const NpyArray& a, const std::string& what) {
  const int64_t n = a.count();
  std::vector<int64_t> out(static_cast<size_t>(n));
  const uint8_t* p = a.bytes.data();
  switch (a.type) {
    case NpyType::f4:
    case NpyType::f8:
      fail(Status::invalid_data, "{} holds floats ({}); integer labels are needed, save a.astype(np.int64)", what,
           npy_descr(a.type));
    case NpyType::u1:
      for (int64_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    case NpyType::b1:
      for (int64_t i = 0; i < n; ++i) out[i] = p[i] ? 1 : 0;
      break;
    case NpyType::i4:
      for (int64_t i = 0; i < n; ++i) out[i] = load_as<int32_t>(p + 4 * i);
      break;
    case NpyType::i8:
      for (int64_t i = 0; i < n; ++i) out[i] = load_as<int64_t>(p + 8 * i);
      break;
  }
  return out;
}

std::vector<uint8_t> encode_npy(NpyType type, const void* data, const std::vector<int64_t>& shape) {
  int64_t count = 1;
  std::string dims;
  for (int64_t dim : shape) {
    if (dim < 0) fail(Status::invalid_argument, "npy shape has a negative dimension {}", dim);
    if (dim > 0 && count > kMaxNpyElements / dim)
      fail(Status::invalid_argument, "npy shape exceeds {} elements", kMaxNpyElements);
    count *= dim;
    dims += (dims.empty() ? "" : ", ") + std::to_string(dim);
  }
  if (shape.size() == 1) dims += ',';  // a 1-tuple is spelt "(3,)" in Python
  std::string header =
      std::string("{'descr': '") + npy_descr(type) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // numpy pads so the data starts on a 64-byte boundary; the header ends with '\n'.
  const size_t prefix_v1 = kMagicSize + 2 + 2;
  const bool v2 = prefix_v1 + header.size() + 1 > 65535;
  const size_t prefix = v2 ? prefix_v1 + 2 : prefix_v1;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';

  std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  const uint32_t len = static_cast<uint32_t>(header.size());
  for (int i = 0; i < (v2 ? 4 : 2); ++i) out.push_back(static_cast<uint8_t>(len >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  const auto* bytes = static_cast<const uint8_t*>(data);
  out.insert(out.end(), bytes, bytes + count * npy_item_size(type));
  return out;
}

std::vector<uint8_t> encode_npy_f32(const float* data, const std::vector<int64_t>& shape) {
  return encode_npy(NpyType::f4, data, shape);
}

std::vector<uint8_t> encode_npy_i32(const int32_t* data, const std::vector<int64_t>& shape) {
  return encode_npy(NpyType::i4, data, shape);
}

Dataset npy_rows_shape(const std::vector<int64_t>& shape, const std::string& path) {
  if (shape.empty()) fail(Status::invalid_data, "'{}' holds a scalar; expected rows (N, D)", path);
  Dataset ds;
  ds.n = shape[0];
  ds.d = 1;
  // With N = 0 the element count is 0 whatever the other dimensions are, so read_npy's
  // bound does not cover them: the row width is checked here before it is used.
  for (size_t k = 1; k < shape.size(); ++k)
    if (__builtin_mul_overflow(ds.d, shape[k], &ds.d) || ds.d > limits::kMaxRowWidth)
      fail(Status::invalid_data, "'{}' has rows of more than {} values (limits::kMaxRowWidth); split the features",
           path, limits::kMaxRowWidth);
  if (ds.n == 0 || ds.d == 0) fail(Status::invalid_data, "'{}' is empty (shape has a zero dimension)", path);
  if (shape.size() == 3) ds.image = ImageShape{1, shape[1], shape[2]};
  if (shape.size() == 4) ds.image = ImageShape{shape[1], shape[2], shape[3]};
  check_image_shape(ds.image, Status::invalid_data, path.c_str());
  return ds;
}

void require_finite_rows(const float* x, int64_t first_row, int64_t rows, int64_t d, const std::string& path) {
  for (int64_t i = 0; i < rows * d; ++i)
    if (!std::isfinite(x[i]))
      fail(Status::invalid_data, "'{}' row {} column {} is {} (as float32); clean or clip the data", path,
           first_row + i / d, i % d, x[i]);
}

Dataset load_npy(const std::string& path, const std::string& labels_path) {
  const NpyArray a = read_npy(path);
  Dataset ds = npy_rows_shape(a.shape, path);
  ds.x = npy_to_float(a);
  // f8 values beyond float range become inf here, so check after the conversion.
  require_finite_rows(ds.x.data(), 0, ds.n, ds.d, path);

  if (labels_path.empty()) return ds;
  Dataset labels = load_npy_labels(labels_path, ds.n, path);
  ds.labels = std::move(labels.labels);
  ds.num_classes = labels.num_classes;
  return ds;
}

Dataset load_npy_labels(const std::string& labels_path, int64_t n, const std::string& path) {
  const NpyArray l = read_npy(labels_path);
  const bool column = l.shape.size() == 2 && l.shape[1] == 1;  // (N, 1) is common from pandas
  if (l.shape.size() != 1 && !column)
    fail(Status::invalid_data, "labels file '{}' has {} dimensions; expected (N) or (N, 1)", labels_path,
         l.shape.size());
  if (l.shape[0] != n)
    fail(Status::invalid_data, "labels file '{}' has {} labels but '{}' has {} rows", labels_path, l.shape[0], path, n);
  const std::vector<int64_t> values = npy_to_int64(l, "labels file '" + labels_path + "'");
  Dataset ds;
  ds.n = n;
  ds.labels.resize(values.size());
  int64_t max_label = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] > kMaxNpyLabel)
      fail(Status::invalid_data, "labels file '{}' entry {} is {}; labels are class indices in [0, {}]", labels_path, i,
           values[i], kMaxNpyLabel);
    ds.labels[i] = static_cast<int32_t>(values[i]);
    max_label = std::max(max_label, values[i]);
  }
  ds.num_classes = max_label + 1;
  return ds;
}

}  // namespace gm
