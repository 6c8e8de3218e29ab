// Sentences as condition vectors (data/text_features.hpp has the definition).
#include "condition.hpp"
#include "data/text_features.hpp"
#include "handles.hpp"

using namespace gm;
using namespace gm::capi;

extern "C" {

int32_t gm_text_features_compute(const char* sentence, int64_t dim, float* out, gm_error** err) {
  return guarded(err, [&] {
    require(sentence, "sentence");
    require(out, "out");
    if (dim < 1) fail(Status::invalid_argument, "dim must be >= 1 (the width of the condition vector), got {}", dim);
    text_features(sentence, dim, out);
  });
}

int32_t gm_text_features(const char* sentence, int64_t dim, float* out, gm_error** err) {
  return gm_text_features_compute(sentence, dim, out, err);
}

int32_t gm_text_features_compute_v(const char* sentence, const char* version, int64_t dim, float* out, gm_error** err) {
  return guarded(err, [&] {
    require(sentence, "sentence");
    require(version, "version");
    require(out, "out");
    const TextFeatures v = parse_text_features(version);
    if (dim < 1) fail(Status::invalid_argument, "dim must be >= 1 (the width of the condition vector), got {}", dim);
    text_features(sentence, v, dim, out);
  });
}

int32_t gm_model_text_features(const gm_model* model, const char* sentence, float* out, gm_error** err) {
  return guarded(err, [&] {
    const GenerativeModel& m = model_of(model);
    require(sentence, "sentence");
    const ModelCondition c = model_condition(m);
    if (c.kind != ConditionKind::text)
      fail(Status::unsupported, "{} is not conditioned on sentences (its condition: {})", m.kind(),
           condition_name(c.kind));
    if (c.dim < 1)
      fail(Status::not_fitted, "{}: the sentence width is known once the model is fitted (condition_dim)", m.kind());
    require(out, "out");
    text_features(sentence, parse_text_features(c.text_features), c.dim, out);
  });
}

}  // extern "C"
