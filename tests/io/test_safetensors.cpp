// safetensors: round trip, layout against the spec, and a corpus of hostile files that
// must all be rejected with corrupt_file (never a crash, hang or out-of-bounds read).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "io/safetensors.hpp"

using namespace gm;
using gm_test::status_of;

namespace {

uint64_t u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// A file from a header length, header text and data bytes, built by hand.
std::vector<uint8_t> raw_file(uint64_t n, const std::string& header, std::size_t data_bytes) {
  std::vector<uint8_t> f(8 + header.size() + data_bytes, 0xAB);
  for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(header.begin(), header.end(), f.begin() + 8);
  return f;
}
std::vector<uint8_t> raw_file(const std::string& header, std::size_t data_bytes) {
  return raw_file(header.size(), header, data_bytes);
}

// Decodes from an exactly-sized heap copy so that sanitizers catch any overread.
Status decode_status(const std::vector<uint8_t>& f) {
  return status_of([&] {
    std::vector<uint8_t> copy(f);
    decode_safetensors(copy.data(), copy.size());
  });
}

struct Sample {
  std::vector<float> f32{1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f};
  std::vector<double> f64{3.141592653589793, -1e300, 2.0, 0.1};
  std::vector<int32_t> i32{1, -2, 2147483647, -2147483647 - 1};
  std::vector<int64_t> i64{1, -1, 9007199254740993};
  std::vector<uint8_t> u8{0, 1, 127, 128, 255};
  float scalar = 42.0f;

  std::vector<TensorRef> refs() const {
    return {
        {"weights.f32", DType::f32, {2, 3}, f32.data()},
        {"f64", DType::f64, {4}, f64.data()},
        {"i32", DType::i32, {2, 2}, i32.data()},
        {"empty", DType::f32, {0, 3}, nullptr},
        {"i64", DType::i64, {3}, i64.data()},
        {"u8", DType::u8, {5, 1}, u8.data()},
        {"scalar", DType::f32, {}, &scalar},
    };
  }
};

}  // namespace

TEST_CASE("safetensors round trip keeps every byte, dtype, shape and metadata") {
  const Sample s;
  const std::vector<TensorRef> in = s.refs();
  const Metadata meta{{"kind", "nade"}, {"config", R"({"hidden": 8, "q": "\"x\""})"}, {"name", "h\u00e9llo"}};
  const std::vector<uint8_t> file = encode_safetensors(in, meta);

  // Layout: u64 LE header length N, N bytes of JSON padded with spaces, data 8-aligned.
  REQUIRE(file.size() >= 8);
  const uint64_t n = u64_le(file.data());
  REQUIRE(n <= file.size() - 8);
  CHECK((8 + n) % 8 == 0);
  const std::string header(reinterpret_cast<const char*>(file.data() + 8), n);
  CHECK(header.front() == '{');
  const auto json = nlohmann::json::parse(header);  // parses with trailing spaces
  CHECK(json["__metadata__"]["kind"] == "nade");
  CHECK(json["weights.f32"]["dtype"] == "F32");
  CHECK(json["weights.f32"]["shape"] == nlohmann::json::array({2, 3}));
  CHECK(json["weights.f32"]["data_offsets"] == nlohmann::json::array({0, 24}));
  CHECK(json["f64"]["data_offsets"] == nlohmann::json::array({24, 56}));
  std::size_t data_bytes = 0;
  for (const auto& t : in) data_bytes += t.bytes();
  CHECK(file.size() == 8 + n + data_bytes);

  const SafetensorsContents out = decode_safetensors(file.data(), file.size());
  CHECK(out.metadata == meta);
  REQUIRE(out.tensors.size() == in.size());
  const uint8_t* data_start = file.data() + 8 + n;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    CAPTURE(in[i].name);
    CHECK(out.tensors[i].name == in[i].name);
    CHECK(out.tensors[i].dtype == in[i].dtype);
    CHECK(out.tensors[i].shape == in[i].shape);
    CHECK(out.tensors[i].data == data_start + offset);
    if (in[i].bytes() > 0) CHECK(std::memcmp(out.tensors[i].data, in[i].data, in[i].bytes()) == 0);
    offset += in[i].bytes();
  }
  // Decoding and encoding again gives the same file, byte for byte.
  CHECK(encode_safetensors(out.tensors, out.metadata) == file);
}

TEST_CASE("safetensors with no tensors and no metadata") {
  const std::vector<uint8_t> file = encode_safetensors({}, {});
  CHECK(file.size() % 8 == 0);
  const SafetensorsContents out = decode_safetensors(file.data(), file.size());
  CHECK(out.tensors.empty());
  CHECK(out.metadata.empty());
}

TEST_CASE("safetensors accepts a foreign file with unpadded header and unaligned f64") {
  // One U8 then an F64 at offset 1: legal, just unaligned; the view is a byte pointer.
  const std::string h =
      R"({"b":{"dtype":"F64","shape":[1],"data_offsets":[1,9]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  std::vector<uint8_t> f = raw_file(h, 9);
  const double v = 2.5;
  std::memcpy(f.data() + 8 + h.size() + 1, &v, 8);
  const SafetensorsContents out = decode_safetensors(f.data(), f.size());
  REQUIRE(out.tensors.size() == 2);
  CHECK(out.tensors[0].name == "a");  // returned in data order
  double got = 0;
  std::memcpy(&got, out.tensors[1].data, 8);
  CHECK(got == 2.5);
}

TEST_CASE("encode rejects tensors it could not read back") {
  const float x[2] = {1, 2};
  CHECK(status_of([&] {
          encode_safetensors({{"a", DType::f32, {2}, x}, {"a", DType::f32, {2}, x}}, {});
        }) == Status::invalid_argument);
  CHECK(status_of([&] { encode_safetensors({{"__metadata__", DType::f32, {2}, x}}, {}); }) == Status::invalid_argument);
  CHECK(status_of([&] { encode_safetensors({{"a", DType::f32, {-2}, x}}, {}); }) == Status::invalid_argument);
  CHECK(status_of([&] { encode_safetensors({{"a", DType::f32, {2}, nullptr}}, {}); }) == Status::invalid_argument);
  CHECK(status_of([&] {
          encode_safetensors({{"a", DType::f32, std::vector<int64_t>(9, 1), x}}, {});
        }) == Status::invalid_argument);
  CHECK(status_of([&] { encode_safetensors({}, {{"bad", "\xff"}}); }) == Status::invalid_argument);
}

TEST_CASE("malformed safetensors files are corrupt_file") {
  const auto T = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}";
  };
  const std::string ok4 = T("F32", "[1]", "[0,4]");
  struct Case {
    const char* what;
    std::vector<uint8_t> file;
  };
  const std::vector<Case> corpus = {
      {"empty", {}},
      {"7 bytes", std::vector<uint8_t>(7, 0)},
      {"header length past end", raw_file(100, "{}", 10)},
      {"header length 2^63", raw_file(uint64_t{1} << 63, "{}", 0)},
      {"header length 2^64-1", raw_file(~uint64_t{0}, "{}", 0)},
      {"header length 0", raw_file(0, "", 8)},
      {"non-JSON header", raw_file("{not json", 0)},
      {"JSON array header", raw_file("[1,2]", 0)},
      {"leading space", raw_file(" {}", 0)},
      {"garbage after object", raw_file("{}x", 0)},
      {"invalid UTF-8", raw_file("{\"\xc3\x28\":" + ok4 + "}", 4)},
      {"NUL in header", raw_file(std::string("{}\0", 3), 0)},
      {"NUL then junk", raw_file(std::string("{}\0junk", 7), 0)},
      {"metadata not strings", raw_file(R"({"__metadata__":{"a":1}})", 0)},
      {"metadata not an object", raw_file(R"({"__metadata__":"x"})", 0)},
      {"entry not an object", raw_file(R"({"t":[1]})", 0)},
      {"missing dtype", raw_file(R"({"t":{"shape":[1],"data_offsets":[0,4]}})", 4)},
      {"extra key", raw_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4)},
      {"dtype not a string", raw_file(R"({"t":{"dtype":1,"shape":[1],"data_offsets":[0,4]}})", 4)},
      {"unknown dtype BF16", raw_file(R"({"t":)" + T("BF16", "[1]", "[0,2]") + "}", 2)},
      {"unknown dtype BOOL", raw_file(R"({"t":)" + T("BOOL", "[1]", "[0,1]") + "}", 1)},
      {"lower-case dtype", raw_file(R"({"t":)" + T("f32", "[1]", "[0,4]") + "}", 4)},
      {"negative dim", raw_file(R"({"t":)" + T("F32", "[-1]", "[0,4]") + "}", 4)},
      {"float dim", raw_file(R"({"t":)" + T("F32", "[1.0]", "[0,4]") + "}", 4)},
      {"shape not an array", raw_file(R"({"t":)" + T("F32", "1", "[0,4]") + "}", 4)},
      {"shape product overflow", raw_file(R"({"t":)" + T("U8", "[4294967296,4294967296]", "[0,0]") + "}", 0)},
      {"element count above int64", raw_file(R"({"t":)" + T("U8", "[4611686018427387904,2]", "[0,0]") + "}", 0)},
      {"byte size overflow", raw_file(R"({"t":)" + T("I64", "[2305843009213693952]", "[0,0]") + "}", 0)},
      {"dim above uint64", raw_file(R"({"t":)" + T("U8", "[18446744073709551616]", "[0,0]") + "}", 0)},
      {"rank 9", raw_file(R"({"t":)" + T("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") + "}", 4)},
      {"offsets wrong length for shape", raw_file(R"({"t":)" + T("F32", "[2]", "[0,4]") + "}", 4)},
      {"offsets not a pair", raw_file(R"({"t":)" + T("F32", "[1]", "[0,4,8]") + "}", 4)},
      {"negative offset", raw_file(R"({"t":)" + T("F32", "[1]", "[-4,0]") + "}", 4)},
      {"begin after end", raw_file(R"({"t":)" + T("U8", "[0]", "[4,0]") + "}", 4)},
      {"offsets out of range", raw_file(R"({"t":)" + T("F32", "[1]", "[8,12]") + "}", 4)},
      {"offsets past end", raw_file(R"({"t":)" + T("F32", "[1]", "[0,4]") + "}", 3)},
      {"overlapping offsets",
       raw_file(R"({"a":)" + T("F32", "[2]", "[0,8]") + R"(,"b":)" + T("F32", "[2]", "[4,12]") + "}", 12)},
      {"same offsets twice",
       raw_file(R"({"a":)" + T("F32", "[1]", "[0,4]") + R"(,"b":)" + T("F32", "[1]", "[0,4]") + "}", 4)},
      {"gap between tensors",
       raw_file(R"({"a":)" + T("F32", "[1]", "[0,4]") + R"(,"b":)" + T("F32", "[1]", "[8,12]") + "}", 12)},
      {"gap before first tensor", raw_file(R"({"a":)" + T("F32", "[1]", "[4,8]") + "}", 8)},
      {"trailing bytes after last tensor", raw_file(R"({"a":)" + ok4 + "}", 8)},
      {"data but no tensors", raw_file("{}", 8)},
      {"duplicate names", raw_file(R"({"a":)" + ok4 + R"(,"a":)" + T("F32", "[1]", "[4,8]") + "}", 8)},
      {"duplicate keys inside entry",
       raw_file(R"({"t":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4)},
      {"deep nesting", raw_file("{\"t\":" + std::string(100000, '[') + std::string(100000, ']') + "}", 0)},
  };
  for (const Case& c : corpus) {
    const std::string what = c.what;
    CAPTURE(what);
    CHECK(decode_status(c.file) == Status::corrupt_file);
  }
  // Sanity: the building blocks above do make a valid file when put together right.
  CHECK(decode_status(raw_file(R"({"a":)" + ok4 + R"(,"__metadata__":{"k":"v"}}   )", 4)) == Status::ok);
  CHECK(decode_status(raw_file(R"({"a":)" + T("U8", "[0,4294967296,4294967296]", "[0,0]") + "}", 0)) == Status::ok);
}

TEST_CASE("every truncation of a valid file is corrupt_file") {
  const Sample s;
  const std::vector<uint8_t> file = encode_safetensors(s.refs(), {{"k", "v"}});
  for (std::size_t len = 0; len < file.size(); ++len) {
    CAPTURE(len);
    CHECK(decode_status(std::vector<uint8_t>(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(len))) ==
          Status::corrupt_file);
  }
}

TEST_CASE("flipping any byte of a valid file never crashes") {
  const float a[3] = {1, 2, 3};
  const int32_t b[2] = {7, 8};
  const std::vector<uint8_t> file =
      encode_safetensors({{"a", DType::f32, {3}, a}, {"b", DType::i32, {2}, b}}, {{"kind", "x"}});
  int accepted = 0;
  for (std::size_t i = 0; i < file.size(); ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x20}, uint8_t{0x80}, uint8_t{0xFF}}) {
      std::vector<uint8_t> f(file);
      f[i] ^= mask;
      try {
        const SafetensorsContents out = decode_safetensors(f.data(), f.size());
        ++accepted;
        for (const TensorRef& t : out.tensors) {  // any view it returns lies inside the buffer
          const auto* p = static_cast<const uint8_t*>(t.data);
          CHECK(p >= f.data());
          CHECK(p + t.bytes() <= f.data() + f.size());
        }
      } catch (const Error& e) {
        CHECK(e.status() == Status::corrupt_file);
      }
    }
  }
  CHECK(accepted > 0);  // flips inside the data (or a name) are still valid files
}

TEST_CASE("the hand-written header is what nlohmann::json writes, and ill-formed UTF-8 is refused") {
  // Reference: the same header built and dumped by nlohmann::ordered_json.
  const float x[2] = {1, 2};
  const std::vector<std::string> names = {"plain",
                                          "quote\"back\\slash",
                                          std::string("ctl\x01\x1f\b\t\n\f\r", 10),
                                          "caf\xc3\xa9",
                                          "\xe2\x82\xac",
                                          "\xf0\x9f\x98\x80",
                                          "\xf4\x8f\xbf\xbf",
                                          "\x7f"};
  std::vector<TensorRef> refs;
  for (const auto& n : names) refs.push_back({n, DType::f32, {2}, x});
  refs.push_back({"zero-d", DType::f32, {}, x});
  const Metadata meta{{"k\n", "v\"\xc3\xa9"}, {"a", ""}};
  const std::vector<uint8_t> file = encode_safetensors(refs, meta);
  std::string header(reinterpret_cast<const char*>(file.data() + 8), u64_le(file.data()));
  header.erase(header.find_last_not_of(' ') + 1);

  nlohmann::ordered_json ref = nlohmann::ordered_json::object();
  ref["__metadata__"] = nlohmann::ordered_json(std::map<std::string, std::string>(meta.begin(), meta.end()));
  uint64_t offset = 0;
  for (const auto& t : refs) {
    ref[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes()}}};
    offset += t.bytes();
  }
  CHECK(header == ref.dump());
  CHECK(decode_safetensors(file.data(), file.size()).metadata == meta);

  // Each of these is refused by the decoder's parser, so the encoder must refuse it too.
  for (const std::string bad : {"\xc0\x80", "\xc1\xbf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                "\xe2\x82", "\x80", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "a\xc3"}) {
    CAPTURE(bad);
    CHECK(status_of([&] { encode_safetensors({{bad, DType::f32, {2}, x}}, {}); }) == Status::invalid_argument);
    CHECK(status_of([&] { encode_safetensors({}, {{"m", bad}}); }) == Status::invalid_argument);
    CHECK_THROWS(nlohmann::json::parse("\"" + bad + "\""));
  }
}
