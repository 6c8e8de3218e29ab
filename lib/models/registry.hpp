// The kinds genmodels knows: name, capabilities, a one-line description and a factory.
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
  const char* description;
  std::function<std::unique_ptr<GenerativeModel>(const Json& config)> create;
};

const std::vector<KindInfo>& all_kinds();
// Throws unknown_kind listing the known kinds.
const KindInfo& find_kind(const std::string& name);
// Throws unknown_kind or invalid_config.
std::unique_ptr<GenerativeModel> create_model(const std::string& kind, const Json& config);
// Names of capability bits, in bit order ("fit", "sample", ...).
std::vector<std::string> capability_names(uint32_t caps);

}  // namespace gm
