#include "core/config.hpp"

#include <cmath>

#include "core/error.hpp"

namespace gm {

Json parse_config(const std::string& text) {
  if (text.empty()) return Json::object();
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) fail(Status::invalid_config, "configuration is not valid JSON: {}", text);
  if (parsed.is_null()) return Json::object();
  if (!parsed.is_object())
    fail(Status::invalid_config, "configuration must be a JSON object like {{\"alpha\": 1}}, got {}",
         parsed.dump());
  return parsed;
}

ConfigReader::ConfigReader(Json config) : given_(std::move(config)) {
  if (given_.is_null()) given_ = Json::object();
  if (!given_.is_object()) fail(Status::invalid_config, "configuration must be a JSON object");
}

const Json* ConfigReader::lookup(const std::string& key) {
  const auto it = given_.find(key);
  return it == given_.end() ? nullptr : &*it;
}

int64_t ConfigReader::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  int64_t value = fallback;
  if (const Json* v = lookup(key)) {
    if (v->is_number_integer() || v->is_number_unsigned()) {
      if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail(Status::invalid_config, "\"{}\" is too large: {}", key, v->dump());
      value = v->get<int64_t>();
    } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
               std::fabs(v->get<double>()) < 9.0e15) {
      value = static_cast<int64_t>(v->get<double>());
    } else {
      fail(Status::invalid_config, "\"{}\" must be an integer, got {}", key, v->dump());
    }
    if (value < min || value > max)
      fail(Status::invalid_config, "\"{}\" must be in [{}, {}], got {}", key, min, max, value);
  }
  effective_[key] = value;
  return value;
}

double ConfigReader::number(const std::string& key, double fallback, double min, double max) {
  double value = fallback;
  if (const Json* v = lookup(key)) {
    if (!v->is_number()) fail(Status::invalid_config, "\"{}\" must be a number, got {}", key, v->dump());
    value = v->get<double>();
    if (!std::isfinite(value) || value < min || value > max)
      fail(Status::invalid_config, "\"{}\" must be in [{}, {}], got {}", key, min, max, value);
  }
  effective_[key] = value;
  return value;
}

bool ConfigReader::boolean(const std::string& key, bool fallback) {
  bool value = fallback;
  if (const Json* v = lookup(key)) {
    if (!v->is_boolean()) fail(Status::invalid_config, "\"{}\" must be true or false, got {}", key, v->dump());
    value = v->get<bool>();
  }
  effective_[key] = value;
  return value;
}

std::string ConfigReader::text(const std::string& key, const std::string& fallback) {
  std::string value = fallback;
  if (const Json* v = lookup(key)) {
    if (!v->is_string()) fail(Status::invalid_config, "\"{}\" must be a string, got {}", key, v->dump());
    value = v->get<std::string>();
  }
  effective_[key] = value;
  return value;
}

std::vector<int64_t> ConfigReader::integers(const std::string& key, const std::vector<int64_t>& fallback,
                                            std::size_t min_count, std::size_t max_count, int64_t min, int64_t max) {
  std::vector<int64_t> out = fallback;
  if (const Json* v = lookup(key)) {
    out.clear();
    auto one = [&](const Json& e) {
      if (!e.is_number_integer() || e.get<int64_t>() < min || e.get<int64_t>() > max)
        fail(Status::invalid_config, "\"{}\" must be a list of integers in [{}, {}], got {}", key, min, max,
             v->dump());
      out.push_back(e.get<int64_t>());
    };
    if (v->is_array())
      for (const Json& e : *v) one(e);
    else
      one(*v);
    if (out.size() < min_count || out.size() > max_count)
      fail(Status::invalid_config, "\"{}\" must list {} to {} integers, got {}", key, min_count, max_count,
           v->dump());
  }
  effective_[key] = out;
  return out;
}

void ConfigReader::finish() const {
  for (auto it = given_.begin(); it != given_.end(); ++it) {
    if (!effective_.contains(it.key())) {
      std::string known;
      for (auto k = effective_.begin(); k != effective_.end(); ++k)
        known += (known.empty() ? "" : ", ") + k.key();
      fail(Status::invalid_config, "unknown configuration key \"{}\" (this kind takes: {})", it.key(),
           known.empty() ? "no keys" : known);
    }
  }
}

}  // namespace gm
