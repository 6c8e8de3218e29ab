// Hostile JSON text and image shapes (issue 12): nesting, size and duplicate keys are refused
// before the recursive parts of nlohmann (copy, dump) see them; size products never overflow.
#include <string>

#include <doctest/doctest.h>

#include "core/config.hpp"
#include "core/data_view.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"

using namespace gm;

namespace {

// The Error a call throws (status ok and empty message if none).
template <typename F>
Error error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  return Error(Status::ok, "");
}

std::string nested(const std::string& key, int levels) {
  return "{\"" + key + "\": " + std::string(static_cast<std::size_t>(levels), '[') + "1" +
         std::string(static_cast<std::size_t>(levels), ']') + "}";
}

bool mentions(const Error& e, const std::string& what) { return std::string(e.what()).find(what) != std::string::npos; }

}  // namespace

TEST_CASE("parse_config refuses nesting deeper than kJsonMaxDepth, known or unknown key") {
  for (const char* key : {"order", "zz"}) {
    const Error e = error_of([&] { parse_config(nested(key, 100000)); });
    CHECK(e.status() == Status::invalid_config);
    CHECK(mentions(e, std::to_string(limits::kJsonMaxDepth)));
  }
  // The object itself is level 1: kJsonMaxDepth - 1 brackets inside it still parse.
  CHECK(parse_config(nested("a", limits::kJsonMaxDepth - 1)).contains("a"));
  CHECK(error_of([] { parse_config(nested("a", limits::kJsonMaxDepth)); }).status() == Status::invalid_config);
}

TEST_CASE("the depth scan skips brackets inside strings and escaped quotes") {
  const std::string brackets(1000, '[');
  CHECK(parse_config("{\"a\": \"" + brackets + "\"}")["a"].get<std::string>() == brackets);
  CHECK(parse_config("{\"a\": \"\\\"" + brackets + "\\\\\"}")["a"].get<std::string>() == "\"" + brackets + "\\");
  CHECK_NOTHROW(check_json_bounds("{\"a\\\\\": [[1]]}", 100, Status::invalid_config, "test"));
  // Closing brackets first cannot buy depth for the opening ones after them.
  const std::string sneaky = std::string(100, ']') + std::string(100 + limits::kJsonMaxDepth, '[');
  CHECK(error_of([&] { check_json_bounds(sneaky, 1000, Status::corrupt_file, "t"); }).status() == Status::corrupt_file);
}

TEST_CASE("parse_config refuses text above kConfigMaxBytes naming the limit") {
  const std::string big = "{\"a\": \"" + std::string(limits::kConfigMaxBytes, 'x') + "\"}";
  const Error e = error_of([&] { parse_config(big); });
  CHECK(e.status() == Status::invalid_config);
  CHECK(mentions(e, std::to_string(limits::kConfigMaxBytes)));
  CHECK(std::string(e.what()).size() < 1000);  // the message does not echo the text
}

TEST_CASE("parse_config refuses duplicate keys naming the key") {
  const Error e = error_of([] { parse_config(R"({"order": 2, "order": 3})"); });
  CHECK(e.status() == Status::invalid_config);
  CHECK(mentions(e, "\"order\""));
  CHECK(error_of([] { parse_config(R"({"a": {"b": 1, "b": 2}})"); }).status() == Status::invalid_config);
  // The same key in two different objects is fine.
  CHECK(parse_config(R"({"a": {"b": 1}, "c": {"b": 2}})").size() == 2);
}

TEST_CASE("ImageShape::size saturates instead of overflowing") {
  const ImageShape huge{1539092, 989540, 48448661};  // the issue's data_shape
  CHECK(huge.size() == INT64_MAX);
  CHECK(ImageShape{48448661, 1539092, 989540}.size() == INT64_MAX);
  CHECK(ImageShape{3, 4, 5}.size() == 60);
}

TEST_CASE("validate_view refuses image sides and row widths above the limits") {
  float x[1] = {0};
  DataView v;
  v.x = x;
  v.n = 1;
  v.d = 1539092 * int64_t{16};
  v.image = ImageShape{16, 1539092, 1};
  Error e = error_of([&] { validate_view(v); });
  CHECK(e.status() == Status::invalid_argument);
  CHECK(mentions(e, std::to_string(limits::kMaxImageSide)));

  v.image = ImageShape{};
  v.d = limits::kMaxRowWidth + 1;
  e = error_of([&] { validate_view(v); });
  CHECK(e.status() == Status::invalid_argument);
  CHECK(mentions(e, std::to_string(limits::kMaxRowWidth)));

  // A product that overflows int64 is refused, not wrapped into a match.
  v.image = ImageShape{int64_t{1} << 40, int64_t{1} << 12, int64_t{1} << 12};
  v.d = 1;
  CHECK(error_of([&] { validate_view(v); }).status() == Status::invalid_argument);
}

TEST_CASE("check_image_shape names the limit and uses the caller's status") {
  CHECK_NOTHROW(check_image_shape(ImageShape{3, 64, 64}, Status::corrupt_file, "file"));
  CHECK_NOTHROW(check_image_shape(ImageShape{}, Status::corrupt_file, "file"));
  CHECK(error_of([] {
          check_image_shape(ImageShape{1539092, 989540, 48448661}, Status::corrupt_file, "file");
        }).status() == Status::corrupt_file);
  CHECK(error_of([] {
          check_image_shape(ImageShape{-1, 2, 2}, Status::invalid_data, "x");
        }).status() == Status::invalid_data);
  // Sides within the limit but a product above kMaxRowWidth.
  CHECK(error_of([] {
          check_image_shape(ImageShape{1 << 15, 1 << 10, 1 << 10}, Status::invalid_data, "x");
        }).status() == Status::invalid_data);
}
