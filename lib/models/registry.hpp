// The kinds genmodels knows: name, capabilities, a one-line description, the configuration
// schema and a factory. gm_kinds_json, `genmodels kinds` and the README's table are all
// generated from these entries.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/generative_model.hpp"

namespace gm {

struct KindInfo {
  const char* name;
  uint32_t capabilities;
  const char* description;  // what the kind is; the keys come from the schema
  const Schema& (*schema)();
  std::function<std::unique_ptr<GenerativeModel>(const Json& config)> create;
  // A model file's configuration holds every key its version knew. When a new key's default
  // changes what a file written before it means, this fills in the value those files were
  // fitted with (null: the kind has no such key).
  void (*upgrade_saved_config)(Json& config) = nullptr;
};

const std::vector<KindInfo>& all_kinds();
// Throws unknown_kind listing the known kinds.
const KindInfo& find_kind(const std::string& name);
// Throws unknown_kind or invalid_config.
std::unique_ptr<GenerativeModel> create_model(const std::string& kind, const Json& config);
// The configuration of a model file written by any earlier version, as this version reads it
// (KindInfo::upgrade_saved_config). Throws unknown_kind.
Json upgrade_saved_config(const std::string& kind, Json config);
// The description followed by "(config: key, key, ...)" from the schema.
std::string describe(const KindInfo& kind);
// gm_kinds_json's list: {"kind", "capabilities", "description", "config": schema} per kind,
// capabilities filtered through capability_mask.
Json kinds_json(uint32_t capability_mask);
// Names of capability bits, in bit order ("fit", "sample", ...).
std::vector<std::string> capability_names(uint32_t caps);

}  // namespace gm
