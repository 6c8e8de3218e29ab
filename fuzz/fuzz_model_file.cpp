// Model files from a buffer: gm_model_load_buffer on the fuzzer's bytes (the same parser
// gm_model_load and `genmodels info` run). A file that loads is then used the way a host
// would: its configuration, shape and capabilities read back, two rows scored (a score
// returned with GM_OK must be finite), one row sampled and encoded, and it is saved again:
// save(load(save(m))) must give the bytes of save(m) (a canonical form).
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {

using gm_fuzz::check_status;
using gm_fuzz::finding;

// Verbs run only on models of at most this many values per row (a loaded file may declare a
// shape its tensors do not pay for; the scoring itself is not what this harness measures).
constexpr int64_t kMaxD = 4096;

std::vector<uint8_t> save(const gm_model* model, const char* what) {
  gm_buffer* buf = nullptr;
  gm_error* err = nullptr;
  if (check_status(what, gm_model_save_buffer(model, &buf, &err), err) != GM_OK)
    finding(std::string(what) + ": a loaded model cannot be saved");
  std::vector<uint8_t> bytes(gm_buffer_data(buf), gm_buffer_data(buf) + gm_buffer_size(buf));
  gm_buffer_free(buf);
  return bytes;
}

void use(const gm_model* model) {
  gm_error* err = nullptr;
  if (!gm_model_kind(model)) finding("loaded model has no kind");
  gm_buffer* config = nullptr;
  check_status("config_json", gm_model_config_json(model, &config, &err), err);
  gm_buffer_free(config);
  uint32_t caps = 0;
  check_status("capabilities", gm_model_capabilities(model, &caps, &err), err);
  int32_t fitted = 0;
  check_status("is_fitted", gm_model_is_fitted(model, &fitted, &err), err);
  if (!fitted) finding("a loaded model says it is not fitted");
  int64_t d = 0, c = 0, h = 0, w = 0;
  check_status("data_shape", gm_model_data_shape(model, &d, &c, &h, &w, &err), err);
  int32_t cond_kind = 0;
  int64_t cond_dim = 0;
  check_status("condition", gm_model_condition(model, &cond_kind, &cond_dim, &err), err);
  if (d <= 0 || d > kMaxD || cond_dim > kMaxD) return;

  // Two rows: all zeros and alternating 0/1 (binary, so every kind accepts them).
  std::vector<float> x(static_cast<std::size_t>(2 * d), 0.0f);
  for (int64_t i = 0; i < d; ++i) x[static_cast<std::size_t>(d + i)] = static_cast<float>(i & 1);
  gm_data data;
  gm_data_init(&data);
  data.x = x.data();
  data.n = 2;
  data.d = d;
  data.channels = c;
  data.height = h;
  data.width = w;

  if (caps & GM_CAP_LOG_PROB) {
    gm_score_options so;
    gm_score_options_init(&so);
    so.threads = 1;
    so.samples = 2;  // vae: a 2-sample bound instead of the configured hundreds
    double lp[2] = {0, 0};
    const int32_t st = check_status("log_prob", gm_model_log_prob(model, &data, &so, lp, 2, &err), err);
    if (st == GM_OK && !gm_fuzz::nonfinite_allowed() && (!std::isfinite(lp[0]) || !std::isfinite(lp[1])))
      finding("log_prob returned GM_OK with a non-finite score (" + std::to_string(lp[0]) + ", " +
              std::to_string(lp[1]) + ")");
  }
  gm_sample_options sample_opts;
  gm_sample_options_init(&sample_opts);
  sample_opts.threads = 1;
  sample_opts.seed = 7;
  std::vector<int32_t> labels(1, 0);
  std::vector<float> conds(static_cast<std::size_t>(cond_dim > 0 ? cond_dim : 1), 0.0f);
  if (cond_kind == GM_CONDITION_LABEL) sample_opts.labels = labels.data();
  if (cond_kind == GM_CONDITION_VECTOR || cond_kind == GM_CONDITION_TEXT) {
    sample_opts.conditions = conds.data();
    sample_opts.condition_dim = cond_dim;
  }
  if (caps & GM_CAP_SAMPLE) {
    std::vector<float> out(static_cast<std::size_t>(d));
    check_status("sample", gm_model_sample(model, 1, &sample_opts, out.data(), d, &err), err);
  }
  if (caps & GM_CAP_ENCODE) {
    int64_t e = 0;
    if (check_status("encode_dim", gm_model_encode_dim(model, &e, &err), err) == GM_OK && e > 0 && e <= kMaxD) {
      gm_score_options so;
      gm_score_options_init(&so);
      so.threads = 1;
      std::vector<float> out(static_cast<std::size_t>(2 * e));
      check_status("encode", gm_model_encode(model, &data, &so, out.data(), 2 * e, &err), err);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gm_model* model = nullptr;
  gm_error* err = nullptr;
  // libFuzzer hands over exactly `size` bytes on the heap: ASan sees any read past the end.
  const int32_t st =
      check_status("load_buffer", gm_model_load_buffer(data, static_cast<int64_t>(size), &model, &err), err);
  if (st != GM_OK) {
    if (model) finding("load_buffer failed but set *out");
    return 0;
  }
  use(model);
  const std::vector<uint8_t> first = save(model, "save of the loaded model");
  gm_model_free(model);

  gm_model* again = nullptr;
  if (check_status("reload", gm_model_load_buffer(first.data(), static_cast<int64_t>(first.size()), &again, &err),
                   err) != GM_OK)
    finding("a model saved by the library does not load again");
  const std::vector<uint8_t> second = save(again, "second save");
  gm_model_free(again);
  if (first != second) finding("save(load(bytes)) is not stable: two saves of the same model differ");
  return 0;
}
