// Model handles: create, query, fit and the inference verbs.
#include "condition.hpp"
#include "core/distributed.hpp"
#include "handles.hpp"
#include "models/registry.hpp"

using namespace gm;
using namespace gm::capi;

namespace {

FitOptions fit_options_of(const gm_fit_options* o) {
  FitOptions f;
  if (!o) return f;
  if (o->struct_size < sizeof(uint32_t)) fail(Status::invalid_argument, "fit options: call gm_fit_options_init");
  if (GM_HAS_FIELD(o, gm_fit_options, epochs)) f.epochs = o->epochs;
  if (GM_HAS_FIELD(o, gm_fit_options, batch_size)) f.batch_size = o->batch_size;
  if (GM_HAS_FIELD(o, gm_fit_options, learning_rate)) f.learning_rate = o->learning_rate;
  if (GM_HAS_FIELD(o, gm_fit_options, seed)) f.seed = o->seed;
  if (GM_HAS_FIELD(o, gm_fit_options, threads)) f.threads = o->threads;
  if (GM_HAS_FIELD(o, gm_fit_options, user_data) && o->progress) {
    const gm_progress_fn fn = o->progress;
    void* user = o->user_data;
    f.progress = [fn, user](int64_t step, int64_t total, double loss) { return fn(step, total, loss, user) != 0; };
  }
  if (GM_HAS_FIELD(o, gm_fit_options, validation_fraction)) f.validation_fraction = o->validation_fraction;
  if (GM_HAS_FIELD(o, gm_fit_options, patience)) f.patience = o->patience;
  if (GM_HAS_FIELD(o, gm_fit_options, epoch_user_data) && o->epoch_callback) {
    const gm_epoch_fn fn = o->epoch_callback;
    void* user = o->epoch_user_data;
    f.epoch_report = [fn, user](const nn::EpochReport& r) {
      gm_epoch_report c;
      std::memset(&c, 0, sizeof c);
      c.struct_size = sizeof c;
      c.epoch = r.epoch;
      c.last_epoch = r.last_epoch;
      c.train_loss = r.train_loss;
      c.validation_loss = r.validation_loss;
      c.best_epoch = r.best_epoch;
      c.discriminator_loss = r.discriminator_loss;
      c.generator_loss = r.generator_loss;
      c.images_per_second = r.images_per_second;
      c.epoch_seconds = r.epoch_seconds;
      c.elapsed_seconds = r.elapsed_seconds;
      c.eta_seconds = r.eta_seconds;
      c.stopping = r.stopping ? 1 : 0;
      return fn(&c, user) != 0;
    };
  }
  if (GM_HAS_FIELD(o, gm_fit_options, warm_start)) {
    if (o->warm_start != 0 && o->warm_start != 1)
      fail(Status::invalid_argument, "warm_start must be 0 or 1, got {}", o->warm_start);
    f.warm_start = o->warm_start == 1;
  }
  if (GM_HAS_FIELD(o, gm_fit_options, checkpoint_path)) {
    f.checkpoint_every = o->checkpoint_every;
    if (o->checkpoint_path) f.checkpoint_path = o->checkpoint_path;
  }
  // The 0/1 switches: anything else is the caller's mistake, named.
  const auto flag = [](int value, const char* name) {
    if (value != 0 && value != 1) fail(Status::invalid_argument, "{} must be 0 or 1, got {}", name, value);
    return value == 1;
  };
  if (GM_HAS_FIELD(o, gm_fit_options, mpi_comm) && flag(o->distributed, "distributed"))
    f.comm = dist::Communicator::from_mpi(o->mpi_comm);
  if (GM_HAS_FIELD(o, gm_fit_options, sync_batch_norm)) {
    f.sync_batch_norm = flag(o->sync_batch_norm, "sync_batch_norm");
    if (f.sync_batch_norm && !f.comm)
      fail(Status::invalid_argument, "sync_batch_norm is for a distributed fit: set distributed to 1 too");
  }
  if (GM_HAS_FIELD(o, gm_fit_options, sharded)) {
    f.sharded = flag(o->sharded, "sharded");
    if (f.sharded && !f.comm)
      fail(Status::invalid_argument, "sharded is for a distributed fit: set distributed to 1 too");
  }
  return f;
}

SampleOptions sample_options_of(const gm_sample_options* o) {
  SampleOptions s;
  if (!o) return s;
  if (o->struct_size < sizeof(uint32_t)) fail(Status::invalid_argument, "sample options: call gm_sample_options_init");
  if (GM_HAS_FIELD(o, gm_sample_options, seed)) s.seed = o->seed;
  if (GM_HAS_FIELD(o, gm_sample_options, threads)) s.threads = o->threads;
  if (GM_HAS_FIELD(o, gm_sample_options, condition_dim)) {
    s.labels = o->labels;
    s.conditions = o->conditions;
    s.condition_dim = o->condition_dim;
  }
  if (GM_HAS_FIELD(o, gm_sample_options, stage)) s.stage = o->stage;
  if (GM_HAS_FIELD(o, gm_sample_options, truncation)) s.truncation = o->truncation;
  return s;
}

EvalOptions score_options_of(const gm_score_options* o) {
  EvalOptions e;
  if (!o) return e;
  if (o->struct_size < sizeof(uint32_t)) fail(Status::invalid_argument, "score options: call gm_score_options_init");
  if (GM_HAS_FIELD(o, gm_score_options, seed)) e.seed = o->seed;
  if (GM_HAS_FIELD(o, gm_score_options, threads)) e.threads = o->threads;
  if (GM_HAS_FIELD(o, gm_score_options, samples)) e.samples = o->samples;  // 0: the model decides
  return e;
}

TranslateOptions translate_options_of(const gm_translate_options* o) {
  TranslateOptions t;
  if (!o) return t;
  if (o->struct_size < sizeof(uint32_t))
    fail(Status::invalid_argument, "translate options: call gm_translate_options_init");
  if (GM_HAS_FIELD(o, gm_translate_options, seed)) t.seed = o->seed;
  if (GM_HAS_FIELD(o, gm_translate_options, threads)) t.threads = o->threads;
  if (GM_HAS_FIELD(o, gm_translate_options, domain)) t.domain = o->domain;
  if (GM_HAS_FIELD(o, gm_translate_options, domain_name) && o->domain_name) {
    t.domain_name = o->domain_name;
    if (t.domain_name.empty())
      fail(Status::invalid_argument, "translate options: domain_name is empty (NULL: not given)");
  }
  if (GM_HAS_FIELD(o, gm_translate_options, domains)) t.domains = o->domains;
  return t;
}

}  // namespace

extern "C" {

int32_t gm_kinds_json(gm_buffer** out, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    // registry.cpp builds it, so `genmodels kinds --json` prints the same text.
    *out = make_text_buffer(kinds_json(~0u).dump());
  });
}

int32_t gm_kind_capabilities(const char* kind, uint32_t* out, gm_error** err) {
  return guarded(err, [&] { *require(out, "out") = find_kind(require(kind, "kind")).capabilities; });
}

int32_t gm_model_create(const char* kind, const char* config_json, gm_model** out, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    *out = nullptr;
    auto model = create_model(require(kind, "kind"), parse_config(config_json ? config_json : ""));
    *out = new gm_model{std::move(model)};
  });
}

void gm_model_free(gm_model* model) { delete model; }

const char* gm_model_kind(const gm_model* model) { return (model && model->impl) ? model->impl->kind() : nullptr; }

int32_t gm_model_capabilities(const gm_model* model, uint32_t* out, gm_error** err) {
  return guarded(err, [&] { *require(out, "out") = model_of(model).capabilities(); });
}

int32_t gm_model_config_json(const gm_model* model, gm_buffer** out, gm_error** err) {
  return guarded(err, [&] {
    // Not `*require(out) = make_text_buffer(...)`: C++17 evaluates the right side first, and
    // the buffer leaked when out was NULL (issue 12).
    gm_buffer** dst = require(out, "out");
    *dst = make_text_buffer(model_of(model).config().dump());
  });
}

int32_t gm_model_is_fitted(const gm_model* model, int32_t* out, gm_error** err) {
  return guarded(err, [&] { *require(out, "out") = model_of(model).fitted() ? 1 : 0; });
}

int32_t gm_model_data_shape(const gm_model* model, int64_t* d, int64_t* channels, int64_t* height, int64_t* width,
                            gm_error** err) {
  return guarded(err, [&] {
    const DataShape& s = model_of(model).data_shape();
    if (d) *d = s.d;
    if (channels) *channels = s.image.channels;
    if (height) *height = s.image.height;
    if (width) *width = s.image.width;
  });
}

int32_t gm_model_levels(const gm_model* model, int64_t* out, gm_error** err) {
  return guarded(err, [&] { *require(out, "out") = model_of(model).levels(); });
}

int32_t gm_model_encode_dim(const gm_model* model, int64_t* out, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    m.require_capability(cap_encode, "encode");
    *require(out, "out") = m.encode_dim();
  });
}

int32_t gm_model_latent_dim(const gm_model* model, int64_t* out, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    m.require_capability(cap_decode, "decode");
    *require(out, "out") = m.latent_dim();
  });
}

int32_t gm_model_condition(const gm_model* model, int32_t* kind, int64_t* dim, gm_error** err) {
  return guarded(err, [&] {
    const ModelCondition c = model_condition(model_of(model));
    if (kind) *kind = static_cast<int32_t>(c.kind);
    if (dim) *dim = c.dim;
  });
}

// The verbs check their own arguments (capability, fitted state, rows, option ranges, NULL
// buffers: GenerativeModel, lib/models/generative_model.cpp). What only the C ABI knows is the
// output buffer's capacity, checked here first; a width still unknown (unfitted model) is 0.
int32_t gm_model_fit(gm_model* model, const gm_data* data, const gm_fit_options* opts, gm_error** err) {
  return guarded(err, [&] { model_of(model).fit(view_of(data, "data"), fit_options_of(opts)); });
}

int32_t gm_model_training_progress(const gm_model* model, int64_t* epochs_done, int64_t* epochs_planned,
                                   gm_error** err) {
  return guarded(err, [&] {
    const nn::TrainingState* st = model_of(model).training_state();
    if (epochs_done) *epochs_done = st ? st->epochs_done : 0;
    if (epochs_planned) *epochs_planned = st ? st->epochs_planned : 0;
  });
}

int32_t gm_model_sample(const gm_model* model, int64_t n, const gm_sample_options* opts, float* out,
                        int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    const SampleOptions s = sample_options_of(opts);
    require_capacity(n, m.data_shape().d, out_capacity, "out_capacity");
    m.sample(n, s, out);
  });
}

int32_t gm_model_log_prob(const gm_model* model, const gm_data* data, const gm_score_options* opts, double* out,
                          int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    const DataView view = view_of(data, "data");
    const EvalOptions e = score_options_of(opts);
    require_capacity(view.n, 1, out_capacity, "out_capacity");
    m.log_prob(view, e, out);
  });
}

int32_t gm_model_encode(const gm_model* model, const gm_data* data, const gm_score_options* opts, float* out,
                        int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    const DataView view = view_of(data, "data");
    const EvalOptions e = score_options_of(opts);
    require_capacity(view.n, m.encode_dim(), out_capacity, "out_capacity");  // encode_dim: unsupported first
    m.encode(view, e, out);
  });
}

int32_t gm_model_decode(const gm_model* model, const gm_data* codes, const gm_sample_options* opts, float* out,
                        int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    const DataView view = view_of(codes, "codes");
    const SampleOptions s = sample_options_of(opts);
    m.latent_dim();  // unsupported before any size complaint
    require_capacity(view.n, m.data_shape().d, out_capacity, "out_capacity");
    m.decode(view, s, out);
  });
}

int32_t gm_model_complete(const gm_model* model, const gm_data* data, const uint8_t* observed,
                          const gm_sample_options* opts, float* out, int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    m.require_capability(cap_complete, "complete");
    const DataView view = view_of(data, "data");
    const SampleOptions s = sample_options_of(opts);
    require_capacity(view.n, view.d, out_capacity, "out_capacity");
    m.complete(view, observed, s, out);
  });
}

int32_t gm_model_translate(const gm_model* model, const gm_data* x, const gm_translate_options* opts, float* out,
                           int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    m.require_capability(cap_translate, "translate");
    const DataView view = view_of(x, "x");
    const TranslateOptions t = translate_options_of(opts);
    require_capacity(view.n, view.d, out_capacity, "out_capacity");
    m.translate(view, t, out);
  });
}

int32_t gm_model_complete_from_parts(const gm_model* model, const gm_data* patches, const int64_t* positions, int64_t k,
                                     const gm_sample_options* opts, float* out, int64_t out_capacity, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    m.require_capability(cap_complete_from_parts, "complete_from_parts");
    const DataView view = view_of(patches, "patches");
    const SampleOptions s = sample_options_of(opts);
    // k < 1 and a count that does not split into images are the verb's to word; the capacity
    // needs the image count first.
    if (k >= 1 && view.n % k == 0) require_capacity(view.n / k, m.data_shape().d, out_capacity, "out_capacity");
    m.complete_from_parts(view, positions, k, s, out);
  });
}

int32_t gm_model_domains_json(const gm_model* model, gm_buffer** out, gm_error** err) {
  return guarded(err, [&] {
    gm_buffer** dst = require(out, "out");
    *dst = make_text_buffer(Json(model_of(model).domain_names()).dump());
  });
}

}  // extern "C"
