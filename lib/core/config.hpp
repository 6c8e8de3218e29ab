// Hyper-parameters arrive as one JSON object. ConfigReader hands them out by name with a
// type, a default and a valid range, remembers every key it was asked for, and finish()
// rejects keys nobody asked for — so a typo ("hiden") is an error, not a silent default.
// The values read (defaults included) form the effective configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gm {

using Json = nlohmann::json;

// Parses a JSON object text; empty or null text is {}. Throws Error(invalid_config).
Json parse_config(const std::string& text);

class ConfigReader {
 public:
  explicit ConfigReader(Json config);

  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  double number(const std::string& key, double fallback, double min, double max);
  bool boolean(const std::string& key, bool fallback);
  std::string text(const std::string& key, const std::string& fallback);
  // A list of integers, each in [min, max], with min_count..max_count entries; a bare
  // integer is a list of one ("hidden": 400 is [400]).
  std::vector<int64_t> integers(const std::string& key, const std::vector<int64_t>& fallback, std::size_t min_count,
                                std::size_t max_count, int64_t min, int64_t max);

  // Throws Error(invalid_config) naming the first key that was never read.
  void finish() const;
  // The effective configuration: every key read, with its value or default.
  const Json& effective() const { return effective_; }

 private:
  const Json* lookup(const std::string& key);

  Json given_;
  Json effective_ = Json::object();
};

}  // namespace gm
