// safetensors encode/decode. The decoder treats its input as hostile: every number that
// comes from the file is range- and overflow-checked before it is used as a size or an
// offset, and nothing is returned until the whole header has been validated.
//
// Alignment: the data section starts 8-byte aligned in files we write (the header is
// padded with spaces, which the format allows), but a hostile or foreign file can put an
// F64/I64 tensor at any offset. The returned views are therefore only byte pointers:
// consumers must memcpy out of them rather than dereference them as double*/int64_t*.
#include "io/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"

namespace gm {
namespace {

// The header is written as text by hand, not through nlohmann::json: json's
// initializer-list constructor leaks what it built when an allocation inside it throws, and
// a json object left half-assigned by a failed operator[] trips its own destructor — both
// found by the allocation-failure test (tests/robustness). A std::string either grows or
// throws and frees itself. The text is byte for byte what json's dump() wrote before:
// no spaces, keys in the order written, metadata keys sorted (std::map).
// Decoding parses into std::map-backed json and records the order of the top-level keys
// itself (ordered_json's insert is a linear search: a 100 000-entry header took 44 s).

// Appends `s` as a JSON string literal. Ill-formed UTF-8 (bad lead or continuation bytes,
// overlong forms, surrogates, code points above U+10FFFF) is refused, as the decoder would
// refuse it; control characters as \b \t \n \f \r or \u00XX, '"' and '\\' with a backslash.
void append_json_string(std::string& out, const std::string& s, const char* what) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {  // the short escapes where JSON has them, as json's dump() writes
        const char* const short_escape = c == '\b'   ? "\\b"
                                         : c == '\t' ? "\\t"
                                         : c == '\n' ? "\\n"
                                         : c == '\f' ? "\\f"
                                         : c == '\r' ? "\\r"
                                                     : nullptr;
        out += short_escape ? std::string(short_escape) : fmt::format("\\u{:04x}", c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Length and the allowed range of the second byte (RFC 3629, table 3-7 of Unicode).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      len = 2;
    else if (c == 0xE0)
      len = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC)
      len = 3;
    else if (c == 0xED)
      len = 3, hi = 0x9F;  // no surrogates
    else if (c >= 0xEE && c <= 0xEF)
      len = 3;
    else if (c == 0xF0)
      len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
      len = 4;
    else if (c == 0xF4)
      len = 4, hi = 0x8F;  // nothing above U+10FFFF
    bool ok = len != 0 && i + len <= n && p[i + 1] >= lo && p[i + 1] <= hi;
    for (std::size_t k = 2; ok && k < len; ++k) ok = p[i + k] >= 0x80 && p[i + k] <= 0xBF;
    if (!ok) fail(Status::invalid_argument, "cannot save: {} is not valid UTF-8 (byte {} of it, 0x{:02x})", what, i, c);
    out.append(s, i, len);
    i += len;
  }
  out += '"';
}

constexpr std::size_t kMaxRank = 8;
// A valid header nests three levels ({name: {"shape": [dims]}}, depths 0..2). Anything
// deeper is wrong anyway, and cutting it off early stops a hostile "[[[[..." at once.
constexpr int kMaxJsonDepth = 4;
const char* const kMetadataKey = "__metadata__";

bool dtype_from_name(const std::string& name, DType* out) {
  for (DType d : {DType::f32, DType::f64, DType::i32, DType::i64, DType::u8}) {
    if (name == dtype_name(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

// Element count and byte size of a shape, or false on overflow. The count must fit in
// int64_t because TensorRef::elements() computes it unchecked in that type.
bool checked_size(const std::vector<int64_t>& shape, DType dtype, uint64_t* bytes) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(count, dim, &count)) return false;
  }
  return !__builtin_mul_overflow(static_cast<uint64_t>(count), uint64_t{dtype_size(dtype)}, bytes);
}

void put_u64_le(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Names from a hostile file can be megabytes long; error messages show a prefix.
std::string shown(const std::string& s) { return s.size() <= 64 ? s : s.substr(0, 64) + "..."; }

// Parses the header in O(n log n), rejecting duplicate keys at any level (nlohmann would
// silently keep the last one, so a file could show one tensor to us and another to a
// different reader), nesting deeper than kMaxJsonDepth and more than
// limits::kModelMaxTensors entries; `order` receives the top-level keys in file order.
// check_json_bounds has refused deep text before the parser runs.
Json parse_header(const char* begin, const char* end, std::vector<std::string>* order) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  auto callback = [&keys, order](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) fail(Status::corrupt_file, "safetensors header is nested too deeply");
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end: keys.pop_back(); break;
      case Json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(key).second)
          fail(Status::corrupt_file, "safetensors header has duplicate key '{}'", shown(key));
        if (depth == 1) {
          // One more than the cap for __metadata__.
          if (order->size() > limits::kModelMaxTensors)
            fail(Status::corrupt_file, "safetensors header lists more than {} tensors (limits::kModelMaxTensors)",
                 limits::kModelMaxTensors);
          order->push_back(key);
        }
        break;
      }
      default: break;
    }
    return true;
  };
  try {
    return Json::parse(begin, end, callback);
  } catch (const Json::exception& e) {
    // Covers bad syntax, ill-formed UTF-8 and trailing garbage after the object.
    fail(Status::corrupt_file, "safetensors header is not valid JSON: {}", e.what());
  }
}

struct Entry {
  TensorRef ref;
  uint64_t begin = 0, end = 0;
};

// Both offsets must be plain non-negative JSON integers; floats and negatives are rejected.
bool get_uint(const Json& j, uint64_t* out) {
  if (!j.is_number_unsigned()) return false;
  *out = j.get<uint64_t>();
  return true;
}

Entry parse_entry(const std::string& name, const Json& j, uint64_t data_size) {
  const std::string what = shown(name);
  if (!j.is_object() || j.size() != 3 || !j.contains("dtype") || !j.contains("shape") || !j.contains("data_offsets"))
    fail(Status::corrupt_file, "safetensors tensor '{}' must have exactly the keys dtype, shape, data_offsets", what);
  Entry e;
  e.ref.name = name;
  const Json& dtype = j["dtype"];
  if (!dtype.is_string()) fail(Status::corrupt_file, "safetensors tensor '{}': dtype is not a string", what);
  if (!dtype_from_name(dtype.get_ref<const std::string&>(), &e.ref.dtype))
    fail(Status::corrupt_file, "safetensors tensor '{}': unsupported dtype '{}' (expected F32, F64, I32, I64 or U8)",
         what, shown(dtype.get_ref<const std::string&>()));

  const Json& shape = j["shape"];
  if (!shape.is_array()) fail(Status::corrupt_file, "safetensors tensor '{}': shape is not an array", what);
  if (shape.size() > kMaxRank)
    fail(Status::corrupt_file, "safetensors tensor '{}': rank {} exceeds the limit of {}", what, shape.size(),
         kMaxRank);
  for (const Json& dim : shape) {
    uint64_t d = 0;
    if (!get_uint(dim, &d) || d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(Status::corrupt_file, "safetensors tensor '{}': shape entry {} is not a non-negative integer", what,
           dim.dump());
    e.ref.shape.push_back(static_cast<int64_t>(d));
  }
  uint64_t bytes = 0;
  if (!checked_size(e.ref.shape, e.ref.dtype, &bytes))
    fail(Status::corrupt_file, "safetensors tensor '{}': size of shape {} overflows", what, shape.dump());

  const Json& offsets = j["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !get_uint(offsets[0], &e.begin) || !get_uint(offsets[1], &e.end))
    fail(Status::corrupt_file, "safetensors tensor '{}': data_offsets must be two non-negative integers", what);
  if (e.begin > e.end || e.end > data_size)
    fail(Status::corrupt_file, "safetensors tensor '{}': data_offsets [{}, {}] outside the data section of {} bytes",
         what, e.begin, e.end, data_size);
  if (e.end - e.begin != bytes)
    fail(Status::corrupt_file, "safetensors tensor '{}': data_offsets span {} bytes but shape {} of {} needs {}", what,
         e.end - e.begin, shape.dump(), dtype_name(e.ref.dtype), bytes);
  return e;
}

}  // namespace

std::vector<uint8_t> encode_safetensors(const std::vector<TensorRef>& tensors, const Metadata& metadata) {
  if (tensors.size() > limits::kModelMaxTensors)
    fail(Status::invalid_argument, "cannot save {} tensors; the limit is {} (limits::kModelMaxTensors)", tensors.size(),
         limits::kModelMaxTensors);
  std::string text = "{";
  if (!metadata.empty()) {
    append_json_string(text, kMetadataKey, "the metadata key");
    text += ":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) text += ',';
      first = false;
      append_json_string(text, key, "a metadata key");
      text += ':';
      append_json_string(text, value, fmt::format("metadata '{}'", key).c_str());
    }
    text += '}';
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorRef& t : tensors) {
    // Refuse to write anything decode_safetensors would reject.
    if (t.name == kMetadataKey || !names.insert(t.name).second)
      fail(Status::invalid_argument, "cannot save tensor '{}': name is reserved or used twice", t.name);
    uint64_t bytes = 0;
    if (t.shape.size() > kMaxRank || !checked_size(t.shape, t.dtype, &bytes))
      fail(Status::invalid_argument, "cannot save tensor '{}': rank above {} or invalid shape", t.name, kMaxRank);
    if (bytes > 0 && t.data == nullptr) fail(Status::invalid_argument, "cannot save tensor '{}': no data", t.name);
    uint64_t end = 0;
    if (__builtin_add_overflow(offset, bytes, &end)) fail(Status::out_of_memory, "safetensors data too large");
    if (text.size() > 1) text += ',';
    append_json_string(text, t.name, "a tensor name");
    text += fmt::format(R"(:{{"dtype":"{}","shape":[{}],"data_offsets":[{},{}]}})", dtype_name(t.dtype),
                        fmt::join(t.shape, ","), offset, end);
    offset = end;
  }
  text += '}';

  // Spaces after the JSON are allowed by the format and put the data 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > limits::kModelHeaderMaxBytes)
    fail(Status::invalid_argument, "cannot save: the header is {} bytes, more than {} (limits::kModelHeaderMaxBytes)",
         text.size(), limits::kModelHeaderMaxBytes);
  if (offset > std::numeric_limits<std::size_t>::max() - 8 - text.size())
    fail(Status::out_of_memory, "safetensors data too large");

  std::vector<uint8_t> out(8 + text.size() + offset);
  put_u64_le(out.data(), text.size());
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* data = out.data() + 8 + text.size();
  for (const TensorRef& t : tensors) {
    if (t.bytes() > 0) std::memcpy(data, t.data, t.bytes());
    data += t.bytes();
  }
  return out;
}

void check_safetensors_prefix(const uint8_t* data, std::size_t size, uint64_t file_size) {
  if (data == nullptr || size < 8 || file_size < 8)
    fail(Status::corrupt_file, "safetensors file is {} bytes, shorter than its 8-byte header length", file_size);
  const uint64_t n = get_u64_le(data);
  if (n > limits::kModelHeaderMaxBytes)
    fail(Status::corrupt_file,
         "safetensors header length {} exceeds the limit of {} bytes (limits::kModelHeaderMaxBytes)", n,
         limits::kModelHeaderMaxBytes);
  if (n > file_size - 8)
    fail(Status::corrupt_file, "safetensors header length {} runs past the end of the {}-byte file", n, file_size);
}

SafetensorsContents decode_safetensors(const uint8_t* data, std::size_t size) {
  check_safetensors_prefix(data, size, size);
  const uint64_t n = get_u64_le(data);
  const char* text = reinterpret_cast<const char*>(data + 8);
  // The format requires the JSON to start right away with '{' (no leading whitespace).
  if (n == 0 || text[0] != '{') fail(Status::corrupt_file, "safetensors header does not start with '{{'");
  // nlohmann's lexer takes a NUL byte for the end of input, so "{...}\0junk" would pass;
  // valid JSON never holds a raw NUL (strings must escape it).
  if (std::memchr(text, 0, n) != nullptr) fail(Status::corrupt_file, "safetensors header contains a NUL byte");
  check_json_bounds(std::string_view(text, n), limits::kModelHeaderMaxBytes, Status::corrupt_file,
                    "safetensors header");
  std::vector<std::string> order;
  const Json header = parse_header(text, text + n, &order);
  if (!header.is_object()) fail(Status::corrupt_file, "safetensors header is not a JSON object");

  const uint64_t data_size = size - 8 - n;
  const uint8_t* base = data + 8 + n;
  SafetensorsContents out;
  std::vector<Entry> entries;
  entries.reserve(order.size());
  for (const std::string& key : order) {
    const Json& value = header.at(key);
    if (key == kMetadataKey) {
      if (!value.is_object()) fail(Status::corrupt_file, "safetensors __metadata__ is not an object");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (!mvalue.is_string())
          fail(Status::corrupt_file, "safetensors __metadata__ value '{}' is not a string", shown(mkey));
        out.metadata[mkey] = mvalue.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(key, value, data_size));
  }
  if (entries.size() > limits::kModelMaxTensors)
    fail(Status::corrupt_file, "safetensors header lists {} tensors, more than {} (limits::kModelMaxTensors)",
         entries.size(), limits::kModelMaxTensors);

  // Sorted by (begin, end), each tensor must start where the previous one ended and the
  // last must end at the end of the file: no overlap, no holes, no trailing bytes. The
  // sort is stable so tensors come back in the order the header (and encode) lists them.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (Entry& e : entries) {
    if (e.begin != cursor)
      fail(Status::corrupt_file, "safetensors tensor '{}' starts at byte {} but the previous one ends at {} ({})",
           shown(e.ref.name), e.begin, cursor, e.begin < cursor ? "overlap" : "gap");
    cursor = e.end;
    e.ref.data = base + e.begin;
    out.tensors.push_back(std::move(e.ref));
  }
  if (cursor != data_size)
    fail(Status::corrupt_file, "safetensors data section has {} bytes but tensors cover only {}", data_size, cursor);
  return out;
}

}  // namespace gm
