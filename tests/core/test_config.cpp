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
