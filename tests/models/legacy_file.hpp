// A model file as a version before `key` existed wrote it: the model's own file with the key
// taken out of its configuration metadata (the tensors unchanged). For the tests that old
// files load with the value they were fitted with (KindInfo::upgrade_saved_config, or the
// key's default where that is the old behaviour).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/config.hpp"
#include "io/safetensors.hpp"
#include "models/model_file.hpp"

namespace gm_test {

inline std::vector<uint8_t> without_config_key(const gm::GenerativeModel& model, const std::string& key) {
  const std::vector<uint8_t> written = gm::save_model_bytes(model);
  const gm::SafetensorsContents c = gm::decode_safetensors(written.data(), written.size());
  gm::Metadata meta = c.metadata;
  gm::Json cfg = gm::Json::parse(meta.at("config"));
  REQUIRE(cfg.contains(key));
  cfg.erase(key);
  meta["config"] = cfg.dump();
  return gm::encode_safetensors(c.tensors, meta);
}

}  // namespace gm_test
