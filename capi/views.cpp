// Options defaults, data views, capacity checks and owned buffers.
#include <cstring>

#include "handles.hpp"

namespace gm::capi {

const gm::GenerativeModel& model_of(const gm_model* model) {
  if (model == nullptr || !model->impl) fail(Status::invalid_argument, "model must not be NULL");
  return *model->impl;
}

gm::GenerativeModel& model_of(gm_model* model) {
  model_of(static_cast<const gm_model*>(model));
  return *model->impl;
}

gm::DataView view_of(const gm_data* data, const char* name) {
  require(data, name);
  if (data->struct_size < offsetof(gm_data, d) + sizeof(data->d))
    fail(Status::invalid_argument, "{}->struct_size is {}: initialise it with gm_data_init", name, data->struct_size);
  gm::DataView v;
  v.x = data->x;
  v.n = data->n;
  v.d = data->d;
  if (GM_HAS_FIELD(data, gm_data, width)) v.image = {data->channels, data->height, data->width};
  if (GM_HAS_FIELD(data, gm_data, num_classes)) {
    v.labels = data->labels;
    v.num_classes = data->num_classes;
  }
  if (GM_HAS_FIELD(data, gm_data, condition_dim)) {
    v.conditions = data->conditions;
    v.condition_dim = data->condition_dim;
  }
  if (GM_HAS_FIELD(data, gm_data, levels)) v.levels = data->levels;
  validate_view(v);
  return v;
}

void require_capacity(int64_t rows, int64_t width, int64_t capacity, const char* name) {
  if (rows < 0 || width < 0) return;  // the verb refuses a negative count with its own message
  int64_t needed = 0;
  if (__builtin_mul_overflow(rows, width, &needed))
    fail(Status::invalid_argument, "output size {} x {} is not representable", rows, width);
  if (capacity < needed)
    fail(Status::buffer_too_small, "{} holds {} values but the call writes {} ({} rows x {})", name, capacity, needed,
         rows, width);
}

gm_buffer* make_buffer(std::vector<uint8_t> bytes) {
  auto* buf = new gm_buffer;
  buf->bytes = std::move(bytes);
  return buf;
}

gm_buffer* make_text_buffer(const std::string& text) {
  auto* buf = new gm_buffer;
  buf->bytes.assign(text.begin(), text.end());
  buf->bytes.push_back(0);
  buf->is_text = true;
  return buf;
}

}  // namespace gm::capi

namespace {
// Fill a full-size default struct, then copy the prefix the caller has.
template <typename T, typename Init>
void init_sized(T* out, uint32_t size, Init init) {
  if (!out || size < sizeof(uint32_t)) return;
  T full;
  init(&full);
  const uint32_t n = size < sizeof(T) ? size : static_cast<uint32_t>(sizeof(T));
  full.struct_size = n;
  std::memcpy(out, &full, n);
}
}  // namespace

extern "C" {

void gm_data_init(gm_data* data) {
  if (!data) return;
  std::memset(data, 0, sizeof(*data));
  data->struct_size = sizeof(*data);
}

void gm_fit_options_init(gm_fit_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  opts->epochs = 10;
  opts->batch_size = 100;
}

void gm_sample_options_init(gm_sample_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
}

void gm_score_options_init(gm_score_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  // samples stays 0: each model's own default decides (vae: its "iwae_samples"), so the
  // count lives in one place and gm_model_config_json shows it.
}

void gm_eval_options_init(gm_eval_options* opts) { gm_score_options_init(opts); }

void gm_translate_options_init(gm_translate_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  opts->domain = -1;  // not given: the caller names the target (domain, domain_name or domains)
}

void gm_dataset_options_init(gm_dataset_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->struct_size = sizeof(*opts);
  opts->binarize = -1.0;
}

void gm_data_init_sized(gm_data* data, uint32_t size) { init_sized(data, size, gm_data_init); }
void gm_fit_options_init_sized(gm_fit_options* opts, uint32_t size) { init_sized(opts, size, gm_fit_options_init); }
void gm_sample_options_init_sized(gm_sample_options* opts, uint32_t size) {
  init_sized(opts, size, gm_sample_options_init);
}
void gm_score_options_init_sized(gm_score_options* opts, uint32_t size) {
  init_sized(opts, size, gm_score_options_init);
}
void gm_eval_options_init_sized(gm_eval_options* opts, uint32_t size) { gm_score_options_init_sized(opts, size); }
void gm_translate_options_init_sized(gm_translate_options* opts, uint32_t size) {
  init_sized(opts, size, gm_translate_options_init);
}
void gm_dataset_options_init_sized(gm_dataset_options* opts, uint32_t size) {
  init_sized(opts, size, gm_dataset_options_init);
}

}  // extern "C"
