// The condition a model takes, read from what every model already exposes (its
// capabilities and effective configuration): the C++ side of gm_model_condition.
// Header-only so that the command line, which links lib/ directly rather than the C ABI,
// asks the same question the same way (tools/genmodels includes it).
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "models/generative_model.hpp"

namespace gm {

// The same numbers as GM_CONDITION_* in genmodels.h (capi/errors.cpp checks).
enum class ConditionKind : int32_t { none = 0, label = 1, vector = 2, text = 3 };

struct ModelCondition {
  ConditionKind kind = ConditionKind::none;
  // label: the number of classes; vector / text: the vector width; 0 = not known until fit
  // (cgan takes "classes" / "condition_dim" from its data when the configuration has none).
  int64_t dim = 0;
  // text: the sentence features' version name (data/text_features.hpp), the configuration
  // key "text_features"; "words-v1" when the configuration has none.
  std::string text_features = "words-v1";
};

// Conditional kinds (cap_conditional) name their condition in the configuration key
// "condition" ("label" when absent, "none" for no condition), its size in "classes" or
// "condition_dim". A kind whose configuration makes it conditional reports cap_conditional
// only then (pixelcnn with "conditional": true: "label", its "classes").
inline ModelCondition model_condition(const GenerativeModel& model) {
  ModelCondition c;
  if ((model.capabilities() & cap_conditional) == 0) return c;
  const Json& cfg = model.config();
  const std::string name = cfg.contains("condition") && cfg["condition"].is_string()
                               ? cfg["condition"].get<std::string>()
                               : std::string("label");
  const char* size_key = "condition_dim";
  if (name == "none") return c;  // a kind whose configuration can switch its condition off
  if (name == "label") {
    c.kind = ConditionKind::label;
    size_key = "classes";
  } else if (name == "vector") {
    c.kind = ConditionKind::vector;
  } else if (name == "text") {
    c.kind = ConditionKind::text;
    if (cfg.contains("text_features") && cfg["text_features"].is_string())
      c.text_features = cfg["text_features"].get<std::string>();
  } else {
    fail(Status::internal, "{} reports a condition \"{}\" that genmodels does not know", model.kind(), name);
  }
  if (cfg.contains(size_key) && cfg[size_key].is_number_integer()) c.dim = cfg[size_key].get<int64_t>();
  if (c.dim < 0) fail(Status::internal, "{} reports a negative \"{}\": {}", model.kind(), size_key, c.dim);
  return c;
}

// "none", "label", "vector" or "text": for messages.
inline const char* condition_name(ConditionKind kind) {
  switch (kind) {
    case ConditionKind::label: return "label";
    case ConditionKind::vector: return "vector";
    case ConditionKind::text: return "text";
    case ConditionKind::none: break;
  }
  return "none";
}

}  // namespace gm
