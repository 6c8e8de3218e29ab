#include "core/data_view.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"

namespace gm {

void check_image_shape(const ImageShape& im, Status status, const char* what) {
  if (im.channels < 0 || im.height < 0 || im.width < 0)
    fail(status, "{}: image shape must be non-negative, got {}x{}x{}", what, im.channels, im.height, im.width);
  if (im.channels > limits::kMaxImageSide || im.height > limits::kMaxImageSide || im.width > limits::kMaxImageSide)
    fail(status, "{}: image shape {}x{}x{} has a side above {} (limits::kMaxImageSide)", what, im.channels, im.height,
         im.width, limits::kMaxImageSide);
  // Sides up to 2^16 cannot overflow int64 in a product of three.
  if (im.size() > limits::kMaxRowWidth)
    fail(status, "{}: image shape {}x{}x{} holds {} values, more than {} (limits::kMaxRowWidth)", what, im.channels,
         im.height, im.width, im.size(), limits::kMaxRowWidth);
}

void validate_view(const DataView& data) {
  if (data.n < 0) fail(Status::invalid_argument, "row count must be >= 0, got {}", data.n);
  if (data.d <= 0) fail(Status::invalid_argument, "row width d must be > 0, got {}", data.d);
  if (data.d > limits::kMaxRowWidth)
    fail(Status::invalid_argument, "row width d = {} is above the limit of {} values (limits::kMaxRowWidth)", data.d,
         limits::kMaxRowWidth);
  if (data.n > 0 && data.x == nullptr) fail(Status::invalid_argument, "data pointer x is NULL");
  // n·d values of 4 bytes must be addressable: n = 2^62, d = 4 wrapped to a small product and
  // the verbs read past the caller's buffer (issue 12).
  int64_t values = 0;
  if (data.n > limits::kMaxRows || __builtin_mul_overflow(data.n, data.d, &values) ||
      values > PTRDIFF_MAX / static_cast<int64_t>(sizeof(float)))
    fail(Status::invalid_argument, "{} rows of d = {} values is more than one call can address (at most {} rows)",
         data.n, data.d, limits::kMaxRows);
  const ImageShape& im = data.image;
  check_image_shape(im, Status::invalid_argument, "data");
  if ((im.channels || im.height || im.width) && im.size() != data.d)
    fail(Status::invalid_argument, "image shape {}x{}x{} holds {} values but rows have d = {}", im.channels, im.height,
         im.width, im.size(), data.d);
  if (data.labels) {
    if (data.num_classes <= 0)
      fail(Status::invalid_argument, "labels were given but num_classes is {}; set it to the class count",
           data.num_classes);
    for (int64_t i = 0; i < data.n; ++i)
      if (data.labels[i] < 0 || data.labels[i] >= data.num_classes)
        fail(Status::invalid_data, "label of row {} is {}, outside [0, {})", i, data.labels[i], data.num_classes);
  }
  if (data.conditions && data.condition_dim <= 0)
    fail(Status::invalid_argument, "conditions were given but condition_dim is {}", data.condition_dim);
  if (data.levels != 0 && (data.levels < 2 || data.levels > limits::kMaxLevels))
    fail(Status::invalid_argument, "levels must be 0 (not stated) or in [2, {}], got {}", limits::kMaxLevels,
         data.levels);
}

void require_finite(const DataView& data) {
  for (int64_t i = 0; i < data.n; ++i) {
    const float* r = data.row(i);
    for (int64_t j = 0; j < data.d; ++j)
      if (!std::isfinite(r[j])) fail(Status::invalid_data, "row {} column {} is {}", i, j, r[j]);
  }
}

namespace {
// x is a level of [0, m): an integer, 0 <= x < m. NaN fails every comparison.
inline bool is_level(float x, float m) { return x >= 0.0f && x < m && x == static_cast<float>(static_cast<int>(x)); }

[[noreturn]] void fail_level(const char* kind, int64_t m, bool stated, const char* what, int64_t i, int64_t j,
                             float x) {
  // An integer level above M when nobody stated M: most likely 8-bit pixels passed as they
  // are, to a model that took the default of 2 levels.
  if (!stated && x >= static_cast<float>(m) && x < static_cast<float>(limits::kMaxLevels) &&
      x == static_cast<float>(static_cast<int>(x)))
    fail(Status::invalid_data,
         "{} {}row {} column {} is {}, not a level of the {} levels the model takes: the data did not state its "
         "level count, so the model's own applies ({} before the first fit); state it (gm_data.levels, levels= in "
         "the bindings, --levels M on the command line), e.g. 256 for 8-bit pixels",
         kind, what, i, j, x, m, m == 2 ? "2" : std::to_string(m));
  if (m == 2)
    fail(Status::invalid_data,
         "{} needs binary data (0 or 1) but {}row {} column {} is {}; binarise it first (e.g. --binarize 0.5 or "
         "--levels 2)",
         kind, what, i, j, x);
  fail(Status::invalid_data,
       "{} models {} levels: values must be integers in [0, {}) but {}row {} column {} is {}; quantise images in "
       "[0, 1] with --levels {} (gm_dataset_options.levels)",
       kind, m, m, what, i, j, x, m);
}
}  // namespace

void require_levels(const DataView& data, int64_t levels, const char* kind, int threads) {
  if (data.levels != 0 && data.levels != levels)
    fail(Status::invalid_data, "the data has {} levels (gm_data.levels) but the {} model has {}: {}", data.levels, kind,
         levels,
         levels == 2 ? "binarise the data (--levels 2 or --binarize 0.5)"
                     : fmt::format("quantise the data to {} levels (--levels {})", levels, levels));
  const float m = static_cast<float>(levels);
  int64_t bad_rows = 0;
#pragma omp parallel for num_threads(resolve_threads(threads)) schedule(static) reduction(+ : bad_rows)
  for (int64_t i = 0; i < data.n; ++i) {
    const float* r = data.row(i);
    int bad = 0;
    if (levels == 2)  // the binary kinds' hot case: two compares, no conversion (NaN is caught)
      for (int64_t j = 0; j < data.d; ++j) bad |= static_cast<int>(r[j] != 0.0f) & static_cast<int>(r[j] != 1.0f);
    else
      for (int64_t j = 0; j < data.d; ++j) bad |= static_cast<int>(!is_level(r[j], m));
    bad_rows += bad;
  }
  if (bad_rows == 0) return;
  for (int64_t i = 0; i < data.n; ++i) {
    const float* r = data.row(i);
    for (int64_t j = 0; j < data.d; ++j)
      if (!is_level(r[j], m)) fail_level(kind, levels, data.levels != 0, "", i, j, r[j]);
  }
}

void require_observed_levels(const DataView& data, const uint8_t* observed, int64_t levels, const char* kind) {
  const float m = static_cast<float>(levels);
  for (int64_t i = 0; i < data.n; ++i) {
    const float* r = data.row(i);
    const uint8_t* o = observed + i * data.d;
    for (int64_t j = 0; j < data.d; ++j)
      if (o[j] && !is_level(r[j], m)) fail_level(kind, levels, data.levels != 0, "observed ", i, j, r[j]);
  }
}

void require_binary(const DataView& data, const char* kind, int threads) {
  int64_t bad_rows = 0;
#pragma omp parallel for num_threads(resolve_threads(threads)) schedule(static) reduction(+ : bad_rows)
  for (int64_t i = 0; i < data.n; ++i) {
    const float* r = data.row(i);
    int bad = 0;  // NaN compares unequal to both, so it is caught too
    for (int64_t j = 0; j < data.d; ++j) bad |= static_cast<int>(r[j] != 0.0f) & static_cast<int>(r[j] != 1.0f);
    bad_rows += bad;
  }
  if (bad_rows == 0) return;
  for (int64_t i = 0; i < data.n; ++i) {
    const float* r = data.row(i);
    for (int64_t j = 0; j < data.d; ++j)
      if (r[j] != 0.0f && r[j] != 1.0f)
        fail(Status::invalid_data,
             "{} needs binary data (0 or 1) but row {} column {} is {}; binarise it first "
             "(e.g. --binarize 0.5)",
             kind, i, j, r[j]);
  }
}

}  // namespace gm
