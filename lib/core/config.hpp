// Hyper-parameters arrive as one JSON object. Each kind declares its keys once, as a Schema:
// name, type, default, range or allowed values and a one-line doc. ConfigReader hands the
// values out by name, checking them against their KeySpec, remembers every key it was asked
// for, and finish() rejects keys nobody asked for — so a typo ("hiden") is an error naming
// the known keys, not a silent default. The same Schema drives the registry's description,
// gm_kinds_json and `genmodels kinds`, so the documentation cannot drift from the parser.
// Rules between keys (cgan's "condition" decides which keys apply) stay code in the kind:
// it reads only the keys that apply, and each such key's doc line says when it applies.
// The values read (defaults included) form the effective configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace gm {

using Json = nlohmann::json;

// Parses a JSON object text; empty or null text is {}. Throws Error(invalid_config) for
// invalid JSON, a duplicate key (naming it), text over limits::kConfigMaxBytes or nesting
// deeper than limits::kJsonMaxDepth.
Json parse_config(const std::string& text);

// Every parse of caller or file JSON goes through these (issue 12). nlohmann's parser is
// iterative, but copying, dumping and comparing a json value recurse once per level, so a
// 100 000-level "[[[[" from a caller or a file overflows the host's stack later, far from
// the parse. check_json_bounds is a linear scan (strings and escapes skipped) that refuses
// text longer than max_bytes or nested deeper than limits::kJsonMaxDepth with Error(status)
// naming `what` and the limit.
void check_json_bounds(std::string_view text, std::size_t max_bytes, Status status, const char* what);
// check_json_bounds, then the parse, refusing invalid JSON and duplicate keys at any level
// (nlohmann keeps the last silently, so two readers could see different values) with
// Error(status). Messages quote at most a short prefix of the text.
Json parse_json_text(std::string_view text, std::size_t max_bytes, Status status, const char* what);

enum class KeyType { integer, number, boolean, text, integers, texts };

struct KeySpec {
  std::string name;
  KeyType type = KeyType::integer;
  Json fallback;                             // the default, as the effective configuration shows it
  double min = 0, max = 0;                   // integer, number; integers: each entry; texts: bytes
  std::vector<std::string> values;           // text: the allowed values (empty: any string)
  std::size_t min_count = 0, max_count = 0;  // integers, texts: how many entries
  std::string doc;

  // "[1, 12]", "\"mlp\" | \"conv\"", "1..8 × [1, 16384]", "true | false": quoted by errors.
  std::string range_text() const;
  // {"name", "type", "default", "range" | "values", ["count"], "doc"}.
  Json to_json() const;
};

KeySpec integer_key(std::string name, int64_t fallback, int64_t min, int64_t max, std::string doc);
KeySpec number_key(std::string name, double fallback, double min, double max, std::string doc);
KeySpec boolean_key(std::string name, bool fallback, std::string doc);
KeySpec text_key(std::string name, std::string fallback, std::vector<std::string> values, std::string doc);
// A list of integers, each in [min, max], with min_count..max_count entries; a bare integer
// is a list of one ("hidden": 400 is [400]).
KeySpec integers_key(std::string name, std::vector<int64_t> fallback, std::size_t min_count, std::size_t max_count,
                     int64_t min, int64_t max, std::string doc);

// A list of strings, each of min_bytes..max_bytes, with min_count..max_count entries (type
// "strings" in the schema's JSON).
KeySpec texts_key(std::string name, std::size_t min_count, std::size_t max_count, std::size_t min_bytes,
                  std::size_t max_bytes, std::string doc);

struct Schema {
  std::vector<KeySpec> keys;
  const KeySpec* find(const std::string& name) const;
  std::string names() const;  // "alpha, order"
  Json to_json() const;       // array of KeySpec::to_json
};

class ConfigReader {
 public:
  explicit ConfigReader(Json config);
  // Keys are read by name with the schema's default and range; finish() then also tells a
  // key the schema knows but this configuration does not use from a key that does not exist.
  ConfigReader(Json config, const Schema& schema);

  int64_t integer(const std::string& key);
  double number(const std::string& key);
  bool boolean(const std::string& key);
  std::string text(const std::string& key);  // checked against the allowed values
  std::vector<int64_t> integers(const std::string& key);
  std::vector<std::string> texts(const std::string& key);

  // Without a schema (and for tests): the spec given inline.
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  double number(const std::string& key, double fallback, double min, double max);
  bool boolean(const std::string& key, bool fallback);
  std::string text(const std::string& key, const std::string& fallback);
  std::vector<int64_t> integers(const std::string& key, const std::vector<int64_t>& fallback, std::size_t min_count,
                                std::size_t max_count, int64_t min, int64_t max);

  // Throws Error(invalid_config) naming the first key that was never read.
  void finish() const;
  // The effective configuration: every key read, with its value or default.
  const Json& effective() const { return effective_; }

 private:
  const KeySpec& spec(const std::string& key, KeyType type) const;
  const Json* lookup(const std::string& key) const;
  int64_t read_integer(const KeySpec& s);
  double read_number(const KeySpec& s);
  bool read_boolean(const KeySpec& s);
  std::string read_text(const KeySpec& s);
  std::vector<int64_t> read_integers(const KeySpec& s);
  std::vector<std::string> read_texts(const KeySpec& s);

  Json given_;
  const Schema* schema_ = nullptr;
  Json effective_ = Json::object();
};

}  // namespace gm
