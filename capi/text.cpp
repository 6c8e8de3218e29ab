// Sentences as condition vectors (data/text_features.hpp has the definition).
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

}  // extern "C"
