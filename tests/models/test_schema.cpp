// Each kind's declared schema agrees with what its constructor reads: the default
// configuration is the schema's defaults, every key of the schema applies to some
// configuration, and gm_kinds_json's list carries the schema.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "models/registry.hpp"

using namespace gm;

TEST_CASE("every kind's default configuration is its schema's defaults") {
  for (const KindInfo& k : all_kinds()) {
    CAPTURE(k.name);
    const Schema& schema = k.schema();
    const Json effective = create_model(k.name, Json::object())->config();
    for (auto it = effective.begin(); it != effective.end(); ++it) {
      CAPTURE(it.key());
      const KeySpec* s = schema.find(it.key());
      REQUIRE(s != nullptr);
      CHECK(it.value() == s->fallback);
    }
    // Each key either is read by default or is refused as inapplicable with its doc line.
    for (const KeySpec& s : schema.keys) {
      if (effective.contains(s.name)) continue;
      try {
        create_model(k.name, Json{{s.name, s.fallback}});
      } catch (const Error& e) {
        CHECK(std::string(e.what()).find(s.doc) != std::string::npos);
      }
    }
  }
}

TEST_CASE("kinds_json lists each kind's keys") {
  const Json list = kinds_json(~0u);
  REQUIRE(list.size() == all_kinds().size());
  for (const Json& k : list) {
    CHECK(k.contains("kind"));
    CHECK(k.contains("capabilities"));
    CHECK(k["description"].get<std::string>().find("(config: ") != std::string::npos);
    REQUIRE(k["config"].is_array());
    for (const Json& key : k["config"]) {
      CHECK(key.contains("name"));
      CHECK(key.contains("type"));
      CHECK(key.contains("default"));
      CHECK(key.contains("doc"));
    }
  }
  CHECK(list[0]["config"][0]["name"] == "alpha");
}
