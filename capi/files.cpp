// Model files, data sets and PNG grids.
#include <cmath>
#include <cstddef>
#include <cstring>

#include "core/limits.hpp"
#include "data/transforms.hpp"
#include "handles.hpp"
#include "io/png_grid.hpp"
#include "models/model_file.hpp"

using namespace gm;
using namespace gm::capi;

extern "C" {

int32_t gm_model_save(const gm_model* model, const char* path, gm_error** err) {
  return guarded(err, [&] { save_model_file(model_of(model), require(path, "path")); });
}

int32_t gm_model_save_checkpoint(const gm_model* model, const char* path, gm_error** err) {
  return guarded(err, [&] { save_checkpoint_file(model_of(model), require(path, "path")); });
}

int32_t gm_model_load(const char* path, gm_model** out, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    *out = nullptr;
    auto model = load_model_file(require(path, "path"));
    *out = new gm_model{std::move(model)};
  });
}

int32_t gm_model_save_buffer(const gm_model* model, gm_buffer** out, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    *out = make_buffer(save_model_bytes(model_of(model)));
  });
}

int32_t gm_model_load_buffer(const void* data, int64_t size, gm_model** out, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    *out = nullptr;
    if (size < 0) fail(Status::invalid_argument, "size must be >= 0, got {}", size);
    if (size > 0) require(data, "data");
    auto model = load_model_bytes(static_cast<const uint8_t*>(data), static_cast<std::size_t>(size));
    *out = new gm_model{std::move(model)};
  });
}

int32_t gm_dataset_load(const char* spec, const gm_dataset_options* opts, gm_dataset** out, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    *out = nullptr;
    double threshold = -1.0;
    int64_t max_examples = 0, levels = 0;
    if (opts) {
      if (GM_HAS_FIELD(opts, gm_dataset_options, binarize)) threshold = opts->binarize;
      if (GM_HAS_FIELD(opts, gm_dataset_options, max_examples)) max_examples = opts->max_examples;
      if (GM_HAS_FIELD(opts, gm_dataset_options, levels)) levels = opts->levels;
    }
    if (std::isnan(threshold)) fail(Status::invalid_argument, "binarize threshold is NaN");
    if (levels != 0 && (levels < 2 || levels > limits::kMaxLevels))
      fail(Status::invalid_argument, "levels must be 0 (keep values) or in [2, {}], got {}", limits::kMaxLevels,
           levels);
    if (levels != 0 && threshold >= 0)
      fail(Status::invalid_argument, "give binarize or levels, not both (levels = 2 quantises like binarize = 0.5)");
    if (max_examples < 0) fail(Status::invalid_argument, "max_examples must be >= 0, got {}", max_examples);
    auto ds = std::make_unique<gm_dataset>();
    ds->data = load_dataset(require(spec, "spec"));
    if (max_examples > 0 && max_examples < ds->data.n) ds->data.truncate(max_examples);
    if (threshold >= 0) binarize(ds->data, threshold);
    if (levels != 0) quantize(ds->data, levels);
    *out = ds.release();
  });
}

void gm_dataset_free(gm_dataset* ds) { delete ds; }

int32_t gm_dataset_view(const gm_dataset* ds, gm_data* out, gm_error** err) {
  return guarded(err, [&] {
    require(ds, "dataset");
    require(out, "out");
    gm_data_init(out);
    const DataView v = ds->data.view();
    out->x = v.x;
    out->n = v.n;
    out->d = v.d;
    out->channels = v.image.channels;
    out->height = v.image.height;
    out->width = v.image.width;
    out->labels = v.labels;
    out->num_classes = v.num_classes;
    out->levels = v.levels;
  });
}

int32_t gm_dataset_view_sized(const gm_dataset* ds, gm_data* out, uint32_t struct_size, gm_error** err) {
  return guarded(err, [&] {
    require(out, "out");
    if (struct_size < offsetof(gm_data, d) + sizeof(out->d))
      fail(Status::invalid_argument, "struct_size {} is too small for a gm_data view", struct_size);
    gm_data full;
    const int32_t status = gm_dataset_view(ds, &full, nullptr);
    if (status != GM_OK) require(ds, "dataset");  // the only way the view fails
    const uint32_t n = struct_size < sizeof(gm_data) ? struct_size : static_cast<uint32_t>(sizeof(gm_data));
    full.struct_size = n;
    std::memcpy(out, &full, n);
  });
}

int32_t gm_png_grid_write(const char* path, const gm_data* images, int64_t columns, gm_error** err) {
  return guarded(err, [&] {
    const DataView v = view_of(images, "images");
    if (!v.image.is_image())
      fail(Status::invalid_argument, "images need channels/height/width set to lay out a PNG grid");
    if (columns < 0) fail(Status::invalid_argument, "columns must be >= 0, got {}", columns);
    write_png_grid(require(path, "path"), v.x, v.n, v.image, columns, v.levels);
  });
}

int32_t gm_write_png_grid(const char* path, const gm_data* images, int64_t columns, gm_error** err) {
  return gm_png_grid_write(path, images, columns, err);
}

}  // extern "C"
