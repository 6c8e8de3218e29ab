#include <functional>
#include <string>

#include <doctest/doctest.h>

#include "core/config.hpp"
#include "core/error.hpp"

using namespace gm;

template <typename F>
static Status status_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

TEST_CASE("config reader fills defaults and reports the effective configuration") {
  ConfigReader r(parse_config(R"({"alpha": 0.5})"));
  CHECK(r.number("alpha", 1.0, 0.0, 100.0) == 0.5);
  CHECK(r.integer("order", 1, 1, 12) == 1);
  r.finish();
  CHECK(r.effective() == Json::parse(R"({"alpha": 0.5, "order": 1})"));
}

TEST_CASE("config errors are invalid_config") {
  CHECK(status_of([] { parse_config("{not json"); }) == Status::invalid_config);
  CHECK(status_of([] { parse_config("[1,2]"); }) == Status::invalid_config);
  CHECK(status_of([] {
          ConfigReader r(parse_config(R"({"ordr": 2})"));
          r.integer("order", 1, 1, 12);
          r.finish();
        }) == Status::invalid_config);
  CHECK(status_of([] {
          ConfigReader r(parse_config(R"({"order": 13})"));
          r.integer("order", 1, 1, 12);
        }) == Status::invalid_config);
  CHECK(status_of([] {
          ConfigReader r(parse_config(R"({"order": 1.5})"));
          r.integer("order", 1, 1, 12);
        }) == Status::invalid_config);
  CHECK(status_of([] {
          ConfigReader r(parse_config(R"({"alpha": "x"})"));
          r.number("alpha", 1, 0, 2);
        }) == Status::invalid_config);
  CHECK(parse_config("") == Json::object());
  CHECK(parse_config("null") == Json::object());
}

static std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST_CASE("a strings key: a list of names, its bounds in the messages and the schema") {
  const Schema schema{{texts_key("names", 0, 3, 1, 4, "names in order")}};
  auto read = [&](const char* text) {
    ConfigReader r(parse_config(text), schema);
    std::vector<std::string> out = r.texts("names");
    r.finish();
    CHECK(r.effective()["names"] == Json(out));
    return out;
  };
  CHECK(read("{}").empty());  // the default: none
  CHECK(read(R"({"names": ["ab", "cdef"]})") == std::vector<std::string>{"ab", "cdef"});
  for (const char* bad : {R"({"names": "ab"})", R"({"names": ["a", 3]})", R"({"names": ["a", ""]})",
                          R"({"names": ["abcde"]})", R"({"names": ["a", "b", "c", "d"]})"}) {
    CAPTURE(bad);
    CHECK(message_of([&] { read(bad); }).find("\"names\" must be a list of 0 to 3 strings of 1 to 4 bytes") !=
          std::string::npos);
  }
  const Json j = schema.to_json();
  CHECK(j[0] == Json::parse(R"({"name": "names", "type": "strings", "default": [], "bytes": [1, 4],
                                "count": [0, 3], "doc": "names in order"})"));
  CHECK(schema.keys[0].range_text() == "0..3 strings of 1 to 4 bytes");
}

TEST_CASE("a schema gives defaults, ranges and the error messages") {
  const Schema schema{{
      integer_key("order", 1, 1, 12, "previous pixels"),
      text_key("mode", "a", {"a", "b"}, "the mode"),
      integers_key("widths", {4}, 1, 2, 1, 8, "layer widths"),
      number_key("rate", 0.5, 0.0, 1.0, "a rate (only with mode \"b\")"),
  }};
  ConfigReader r(parse_config(R"({"order": 3.0, "widths": 2})"), schema);
  CHECK(r.integer("order") == 3);
  CHECK(r.text("mode") == "a");
  CHECK(r.integers("widths") == std::vector<int64_t>{2});
  r.finish();
  CHECK(r.effective() == Json::parse(R"({"order": 3, "mode": "a", "widths": [2]})"));

  auto read_all = [&](const char* text) {
    return message_of([&] {
      ConfigReader c(parse_config(text), schema);
      c.integer("order");
      if (c.text("mode") == "b") c.number("rate");
      c.integers("widths");
      c.finish();
    });
  };
  CHECK(read_all(R"({"order": 13})").find("[1, 12]") != std::string::npos);
  CHECK(read_all(R"({"order": "x"})").find("integer in [1, 12]") != std::string::npos);
  CHECK(read_all(R"({"mode": "c"})").find(R"("a" | "b")") != std::string::npos);
  CHECK(read_all(R"({"widths": [1, 2, 3]})").find("1 to 2 integers in [1, 8]") != std::string::npos);
  // unknown: names every key of the schema; known but ruled out: quotes the key's doc
  CHECK(read_all(R"({"ordr": 2})").find("order, mode, widths, rate") != std::string::npos);
  CHECK(read_all(R"({"rate": 0.1})").find("only with mode") != std::string::npos);
  CHECK(read_all(R"({"mode": "b", "rate": 0.1})").empty());

  const Json j = schema.to_json();
  CHECK(j[0] == Json::parse(R"({"name": "order", "type": "integer", "default": 1, "range": [1, 12],
                                "doc": "previous pixels"})"));
  CHECK(j[1]["values"] == Json::parse(R"(["a", "b"])"));
  CHECK(j[2]["count"] == Json::parse("[1, 2]"));
  CHECK(j[3]["range"] == Json::parse("[0.0, 1.0]"));
  // a kind reading a key its schema lacks is a bug, not a user error
  CHECK(status_of([&] {
          ConfigReader c(Json::object(), schema);
          c.number("order");
        }) == Status::internal);
}
