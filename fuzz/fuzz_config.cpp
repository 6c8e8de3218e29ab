// Configuration JSON: gm_model_create(kind, text) for every registered kind on the same
// fuzzer text. A configuration that is accepted must read back (gm_model_config_json) as
// one that is accepted again and reads back identically: the effective configuration is a
// fixed point. The queries that work on an unfitted model must not fail oddly.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"

namespace {

using gm_fuzz::check_status;
using gm_fuzz::finding;

const std::vector<std::string>& kinds() {
  static const std::vector<std::string> names = [] {
    gm_buffer* buf = nullptr;
    gm_error* err = nullptr;
    if (check_status("kinds_json", gm_kinds_json(&buf, &err), err) != GM_OK) finding("gm_kinds_json failed");
    const auto* p = reinterpret_cast<const char*>(gm_buffer_data(buf));
    const auto list = nlohmann::json::parse(p, p + gm_buffer_size(buf));
    gm_buffer_free(buf);
    std::vector<std::string> out;
    for (const auto& k : list) out.push_back(k.at("kind").get<std::string>());
    if (out.empty()) finding("no kinds registered");
    return out;
  }();
  return names;
}

std::string config_of(const gm_model* model, const std::string& kind) {
  gm_buffer* buf = nullptr;
  gm_error* err = nullptr;
  if (check_status("config_json", gm_model_config_json(model, &buf, &err), err) != GM_OK)
    finding(kind + ": config_json failed on a created model");
  std::string text(reinterpret_cast<const char*>(gm_buffer_data(buf)), static_cast<std::size_t>(gm_buffer_size(buf)));
  gm_buffer_free(buf);
  return text;
}

void query(const gm_model* model) {
  gm_error* err = nullptr;
  uint32_t caps = 0;
  check_status("capabilities", gm_model_capabilities(model, &caps, &err), err);
  int32_t fitted = 1;
  check_status("is_fitted", gm_model_is_fitted(model, &fitted, &err), err);
  if (fitted) finding("a created model says it is fitted");
  int32_t ck = 0;
  int64_t cd = 0;
  check_status("condition", gm_model_condition(model, &ck, &cd, &err), err);
  int64_t dim = 0;
  check_status("encode_dim", gm_model_encode_dim(model, &dim, &err), err);
  check_status("latent_dim", gm_model_latent_dim(model, &dim, &err), err);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  kinds();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);  // a C string stops at the first NUL
  for (const std::string& kind : kinds()) {
    gm_model* model = nullptr;
    gm_error* err = nullptr;
    if (check_status("create", gm_model_create(kind.c_str(), text.c_str(), &model, &err), err) != GM_OK) {
      if (model) finding("create failed but set *out");
      continue;
    }
    if (std::string(gm_model_kind(model)) != kind) finding("created a " + kind + " but its kind says otherwise");
    query(model);
    const std::string effective = config_of(model, kind);
    gm_model_free(model);

    gm_model* again = nullptr;
    if (check_status("create", gm_model_create(kind.c_str(), effective.c_str(), &again, &err), err) != GM_OK)
      finding(kind + ": the effective configuration " + effective + " is refused by create");
    const std::string twice = config_of(again, kind);
    gm_model_free(again);
    if (twice != effective)
      finding(kind + ": the effective configuration is not a fixed point: " + effective + " -> " + twice);
  }
  return 0;
}
