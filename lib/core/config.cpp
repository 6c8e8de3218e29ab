#include "core/config.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace gm {

namespace {

const char* type_name(KeyType t) {
  switch (t) {
    case KeyType::integer: return "integer";
    case KeyType::number: return "number";
    case KeyType::boolean: return "boolean";
    case KeyType::text: return "string";
    case KeyType::integers: return "integers";
    case KeyType::texts: return "strings";
  }
  return "?";
}

KeySpec key(std::string name, KeyType type, Json fallback) {
  KeySpec s;
  s.name = std::move(name);
  s.type = type;
  s.fallback = std::move(fallback);
  return s;
}

bool integral(KeyType t) { return t == KeyType::integer || t == KeyType::integers; }

// Integer bounds print as integers ("[1, 12]"), number bounds as the shortest double.
std::string bound(const KeySpec& s, double v) {
  return integral(s.type) ? fmt::format("{}", static_cast<int64_t>(v)) : fmt::format("{:g}", v);
}

Json bound_json(const KeySpec& s, double v) { return integral(s.type) ? Json(static_cast<int64_t>(v)) : Json(v); }

// Text from a caller or a file can be megabytes long: messages quote a prefix.
std::string shown_text(std::string_view text) {
  return text.size() <= 80 ? std::string(text) : std::string(text.substr(0, 80)) + "...";
}

}  // namespace

void check_json_bounds(std::string_view text, std::size_t max_bytes, Status status, const char* what) {
  if (text.size() > max_bytes) fail(status, "{} is {} bytes; the limit is {} bytes", what, text.size(), max_bytes);
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limits::kJsonMaxDepth)
        fail(status, "{} nests deeper than {} levels (limits::kJsonMaxDepth) at byte {}; flatten it", what,
             limits::kJsonMaxDepth, i);
    } else if (c == ']' || c == '}') {
      // A close before its open: the parser would stop there too, but refusing it here
      // keeps the count honest for whatever follows.
      if (--depth < 0) fail(status, "{} is not valid JSON: '{}' at byte {} closes nothing", what, c, i);
    }
  }
}

Json parse_json_text(std::string_view text, std::size_t max_bytes, Status status, const char* what) {
  check_json_bounds(text, max_bytes, status, what);
  std::vector<std::set<std::string>> keys;  // one set per open object
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      keys.pop_back();
    } else if (event == Json::parse_event_t::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second)
        fail(status, "{} has the key \"{}\" twice; give each key once", what, shown_text(key));
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::exception& e) {
    // Bad syntax, ill-formed UTF-8, trailing text after the value.
    fail(status, "{} is not valid JSON ({}): {}", what, e.what(), shown_text(text));
  }
}

Json parse_config(const std::string& text) {
  if (text.empty()) return Json::object();
  Json parsed = parse_json_text(text, limits::kConfigMaxBytes, Status::invalid_config, "the configuration");
  if (parsed.is_null()) return Json::object();
  if (!parsed.is_object())
    fail(Status::invalid_config, "configuration must be a JSON object like {{\"alpha\": 1}}, got {}",
         shown_text(parsed.dump()));
  return parsed;
}

// ---------------------------------------------------------------- the schema

std::string KeySpec::range_text() const {
  switch (type) {
    case KeyType::integer:
    case KeyType::number: return fmt::format("[{}, {}]", bound(*this, min), bound(*this, max));
    case KeyType::boolean: return "true | false";
    case KeyType::text: {
      if (values.empty()) return "any string";
      std::string out;
      for (const std::string& v : values) out += (out.empty() ? "\"" : " | \"") + v + "\"";
      return out;
    }
    case KeyType::integers:
      return fmt::format("{}..{} x [{}, {}]", min_count, max_count, bound(*this, min), bound(*this, max));
    case KeyType::texts:
      return fmt::format("{}..{} strings of {} to {} bytes", min_count, max_count, static_cast<int64_t>(min),
                         static_cast<int64_t>(max));
  }
  return {};
}

Json KeySpec::to_json() const {
  Json j = {{"name", name}, {"type", type_name(type)}, {"default", fallback}};
  if (type == KeyType::text) {
    if (!values.empty()) j["values"] = values;
  } else if (type == KeyType::texts) {
    j["bytes"] = {static_cast<int64_t>(min), static_cast<int64_t>(max)};
  } else if (type != KeyType::boolean) {
    j["range"] = {bound_json(*this, min), bound_json(*this, max)};
  }
  if (type == KeyType::integers || type == KeyType::texts) j["count"] = {min_count, max_count};
  j["doc"] = doc;
  return j;
}

KeySpec integer_key(std::string name, int64_t fallback, int64_t min, int64_t max, std::string doc) {
  KeySpec s = key(std::move(name), KeyType::integer, fallback);
  s.min = static_cast<double>(min);
  s.max = static_cast<double>(max);
  s.doc = std::move(doc);
  return s;
}

KeySpec number_key(std::string name, double fallback, double min, double max, std::string doc) {
  KeySpec s = key(std::move(name), KeyType::number, fallback);
  s.min = min;
  s.max = max;
  s.doc = std::move(doc);
  return s;
}

KeySpec boolean_key(std::string name, bool fallback, std::string doc) {
  KeySpec s = key(std::move(name), KeyType::boolean, fallback);
  s.doc = std::move(doc);
  return s;
}

KeySpec text_key(std::string name, std::string fallback, std::vector<std::string> values, std::string doc) {
  KeySpec s = key(std::move(name), KeyType::text, std::move(fallback));
  s.values = std::move(values);
  s.doc = std::move(doc);
  return s;
}

KeySpec integers_key(std::string name, std::vector<int64_t> fallback, std::size_t min_count, std::size_t max_count,
                     int64_t min, int64_t max, std::string doc) {
  KeySpec s = key(std::move(name), KeyType::integers, std::move(fallback));
  s.min = static_cast<double>(min);
  s.max = static_cast<double>(max);
  s.min_count = min_count;
  s.max_count = max_count;
  s.doc = std::move(doc);
  return s;
}

KeySpec texts_key(std::string name, std::size_t min_count, std::size_t max_count, std::size_t min_bytes,
                  std::size_t max_bytes, std::string doc) {
  KeySpec s = key(std::move(name), KeyType::texts, Json::array());
  s.min = static_cast<double>(min_bytes);
  s.max = static_cast<double>(max_bytes);
  s.min_count = min_count;
  s.max_count = max_count;
  s.doc = std::move(doc);
  return s;
}

const KeySpec* Schema::find(const std::string& name) const {
  for (const KeySpec& k : keys)
    if (k.name == name) return &k;
  return nullptr;
}

std::string Schema::names() const {
  std::string out;
  for (const KeySpec& k : keys) out += (out.empty() ? "" : ", ") + k.name;
  return out.empty() ? "no keys" : out;
}

Json Schema::to_json() const {
  Json out = Json::array();
  for (const KeySpec& k : keys) out.push_back(k.to_json());
  return out;
}

// ---------------------------------------------------------------- reading

ConfigReader::ConfigReader(Json config) : given_(std::move(config)) {
  if (given_.is_null()) given_ = Json::object();
  if (!given_.is_object()) fail(Status::invalid_config, "configuration must be a JSON object");
}

ConfigReader::ConfigReader(Json config, const Schema& schema) : ConfigReader(std::move(config)) { schema_ = &schema; }

const Json* ConfigReader::lookup(const std::string& key) const {
  const auto it = given_.find(key);
  return it == given_.end() ? nullptr : &*it;
}

// A kind asking for a key its schema lacks, or with another type, is a bug in the kind.
const KeySpec& ConfigReader::spec(const std::string& key, KeyType type) const {
  const KeySpec* s = schema_ ? schema_->find(key) : nullptr;
  if (!s || s->type != type)
    fail(Status::internal, "configuration key \"{}\" is read as a {} but the schema {}", key, type_name(type),
         s ? fmt::format("declares a {}", type_name(s->type)) : std::string("lacks it"));
  return *s;
}

int64_t ConfigReader::read_integer(const KeySpec& s) {
  int64_t value = s.fallback.get<int64_t>();
  if (const Json* v = lookup(s.name)) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      fail(Status::invalid_config, "\"{}\" must be an integer in {}, got {}", s.name, s.range_text(), v->dump());
    if (v->is_number_integer()) {
      value = v->get<int64_t>();
    } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
               std::fabs(v->get<double>()) < 9.0e15) {
      value = static_cast<int64_t>(v->get<double>());  // 4.0 is 4: JSON writers differ
    } else {
      fail(Status::invalid_config, "\"{}\" must be an integer in {}, got {}", s.name, s.range_text(), v->dump());
    }
    if (static_cast<double>(value) < s.min || static_cast<double>(value) > s.max)
      fail(Status::invalid_config, "\"{}\" must be an integer in {}, got {}", s.name, s.range_text(), value);
  }
  effective_[s.name] = value;
  return value;
}

double ConfigReader::read_number(const KeySpec& s) {
  double value = s.fallback.get<double>();
  if (const Json* v = lookup(s.name)) {
    if (!v->is_number())
      fail(Status::invalid_config, "\"{}\" must be a number in {}, got {}", s.name, s.range_text(), v->dump());
    value = v->get<double>();
    if (!std::isfinite(value) || value < s.min || value > s.max)
      fail(Status::invalid_config, "\"{}\" must be a number in {}, got {}", s.name, s.range_text(), value);
  }
  effective_[s.name] = value;
  return value;
}

bool ConfigReader::read_boolean(const KeySpec& s) {
  bool value = s.fallback.get<bool>();
  if (const Json* v = lookup(s.name)) {
    if (!v->is_boolean()) fail(Status::invalid_config, "\"{}\" must be true or false, got {}", s.name, v->dump());
    value = v->get<bool>();
  }
  effective_[s.name] = value;
  return value;
}

std::string ConfigReader::read_text(const KeySpec& s) {
  std::string value = s.fallback.get<std::string>();
  if (const Json* v = lookup(s.name)) {
    bool allowed = v->is_string();
    if (allowed) value = v->get<std::string>();
    if (allowed && !s.values.empty()) {
      allowed = false;
      for (const std::string& a : s.values) allowed = allowed || a == value;
    }
    if (!allowed)
      fail(Status::invalid_config, "\"{}\" must be {}, got {}", s.name,
           s.values.empty() ? std::string("a string") : "one of " + s.range_text(), v->dump());
  }
  effective_[s.name] = value;
  return value;
}

std::vector<int64_t> ConfigReader::read_integers(const KeySpec& s) {
  std::vector<int64_t> out = s.fallback.get<std::vector<int64_t>>();
  if (const Json* v = lookup(s.name)) {
    out.clear();
    auto wrong = [&] {
      fail(Status::invalid_config, "\"{}\" must be a list of {} to {} integers in [{}, {}], got {}", s.name,
           s.min_count, s.max_count, bound(s, s.min), bound(s, s.max), v->dump());
    };
    auto one = [&](const Json& e) {
      if (!e.is_number_integer()) wrong();
      const int64_t x = e.get<int64_t>();
      if (static_cast<double>(x) < s.min || static_cast<double>(x) > s.max) wrong();
      out.push_back(x);
    };
    if (v->is_array())
      for (const Json& e : *v) one(e);
    else
      one(*v);
    if (out.size() < s.min_count || out.size() > s.max_count) wrong();
  }
  effective_[s.name] = out;
  return out;
}

std::vector<std::string> ConfigReader::read_texts(const KeySpec& s) {
  std::vector<std::string> out;
  if (const Json* v = lookup(s.name)) {
    auto wrong = [&] {
      fail(Status::invalid_config, "\"{}\" must be a list of {} to {} strings of {} to {} bytes, got {}", s.name,
           s.min_count, s.max_count, static_cast<int64_t>(s.min), static_cast<int64_t>(s.max), v->dump().substr(0, 60));
    };
    if (!v->is_array() || v->size() < s.min_count || v->size() > s.max_count) wrong();
    for (const Json& e : *v) {
      if (!e.is_string()) wrong();
      const std::string& text = e.get_ref<const std::string&>();
      if (static_cast<double>(text.size()) < s.min || static_cast<double>(text.size()) > s.max) wrong();
      out.push_back(text);
    }
  }
  effective_[s.name] = out;
  return out;
}

int64_t ConfigReader::integer(const std::string& key) { return read_integer(spec(key, KeyType::integer)); }
double ConfigReader::number(const std::string& key) { return read_number(spec(key, KeyType::number)); }
bool ConfigReader::boolean(const std::string& key) { return read_boolean(spec(key, KeyType::boolean)); }
std::string ConfigReader::text(const std::string& key) { return read_text(spec(key, KeyType::text)); }
std::vector<int64_t> ConfigReader::integers(const std::string& key) {
  return read_integers(spec(key, KeyType::integers));
}
std::vector<std::string> ConfigReader::texts(const std::string& key) { return read_texts(spec(key, KeyType::texts)); }

int64_t ConfigReader::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  return read_integer(integer_key(key, fallback, min, max, ""));
}
double ConfigReader::number(const std::string& key, double fallback, double min, double max) {
  return read_number(number_key(key, fallback, min, max, ""));
}
bool ConfigReader::boolean(const std::string& key, bool fallback) {
  return read_boolean(boolean_key(key, fallback, ""));
}
std::string ConfigReader::text(const std::string& key, const std::string& fallback) {
  return read_text(text_key(key, fallback, {}, ""));
}
std::vector<int64_t> ConfigReader::integers(const std::string& key, const std::vector<int64_t>& fallback,
                                            std::size_t min_count, std::size_t max_count, int64_t min, int64_t max) {
  return read_integers(integers_key(key, fallback, min_count, max_count, min, max, ""));
}

void ConfigReader::finish() const {
  for (auto it = given_.begin(); it != given_.end(); ++it) {
    if (effective_.contains(it.key())) continue;
    // Known to the kind but not read: another key's value rules it out; its doc says which.
    if (const KeySpec* s = schema_ ? schema_->find(it.key()) : nullptr)
      fail(Status::invalid_config, "\"{}\" does not apply to this configuration: {}", s->name, s->doc);
    std::string known;
    if (schema_) {
      known = schema_->names();
    } else {
      for (auto k = effective_.begin(); k != effective_.end(); ++k) known += (known.empty() ? "" : ", ") + k.key();
      if (known.empty()) known = "no keys";
    }
    fail(Status::invalid_config, "unknown configuration key \"{}\" (this kind takes: {})", it.key(), known);
  }
}

}  // namespace gm
