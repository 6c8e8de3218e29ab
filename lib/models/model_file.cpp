#include "models/model_file.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "gm_build_config.h"
#include "io/file.hpp"
#include "io/safetensors.hpp"
#include "models/registry.hpp"

namespace gm {

namespace {

constexpr const char* kFormat = "genmodels";
// The data_shape text is four integers; anything longer is not one.
constexpr std::size_t kMaxShapeTextBytes = 256;
// A checkpoint's training state: about a dozen numbers.
constexpr const char* kTrainingKey = "training";
constexpr std::size_t kMaxTrainingTextBytes = 4096;
constexpr const char* kLevelsKey = "levels";

// The "levels" metadata: 1 to 3 decimal digits giving M in [2, limits::kMaxLevels].
int64_t parse_levels(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 3 && text.find_first_not_of("0123456789") == std::string::npos;
  const int64_t m = digits ? std::stoll(text) : 0;
  if (m < 2 || m > limits::kMaxLevels)
    fail(Status::corrupt_file, "metadata levels must be an integer in [2, {}], got \"{}\"", limits::kMaxLevels,
         text.substr(0, 16));
  return m;
}

Json shape_json(const DataShape& s) { return Json::array({s.d, s.image.channels, s.image.height, s.image.width}); }

// Metadata strings are JSON text from the file: bounded and parsed like a caller's
// configuration (core/config.hpp), so a deep "[[[[" in a file cannot overflow the stack of
// the code that later copies or prints the value (issue 12).
DataShape parse_shape(const std::string& text) {
  const Json j = parse_json_text(text, kMaxShapeTextBytes, Status::corrupt_file, "metadata data_shape");
  if (!j.is_array() || j.size() != 4)
    fail(Status::corrupt_file, "metadata data_shape must be [d, channels, height, width], got {}", text);
  int64_t v[4];
  for (int i = 0; i < 4; ++i) {
    if (!j[i].is_number_integer()) fail(Status::corrupt_file, "metadata data_shape has a non-integer: {}", text);
    v[i] = j[i].get<int64_t>();
  }
  DataShape s{v[0], ImageShape{v[1], v[2], v[3]}};
  if (s.d <= 0 || s.d > limits::kMaxRowWidth)
    fail(Status::corrupt_file, "metadata data_shape has d = {}; it must be in [1, {}] (limits::kMaxRowWidth)", s.d,
         limits::kMaxRowWidth);
  check_image_shape(s.image, Status::corrupt_file, "metadata data_shape");
  const bool any = v[1] || v[2] || v[3];
  if (any && s.image.size() != s.d)
    fail(Status::corrupt_file, "metadata data_shape {} has an image layout that does not hold d values", text);
  return s;
}

const std::string& require_meta(const Metadata& meta, const char* key) {
  const auto it = meta.find(key);
  if (it == meta.end()) fail(Status::corrupt_file, "model file metadata lacks \"{}\"", key);
  return it->second;
}

// Metadata values can be megabytes long: messages quote a prefix.
std::string shown(const std::string& s) { return s.size() <= 64 ? s : s.substr(0, 64) + "..."; }

// "MAJOR.MINOR.PATCH[-pre][+build]", each number 1 to 9 digits (sscanf's %d, used before,
// has undefined behaviour when a file's number overflows int).
bool parse_version(const std::string& text, int out[3]) {
  std::size_t at = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0 && (at >= text.size() || text[at++] != '.')) return false;
    int digits = 0, value = 0;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      if (digits == 9) return false;  // a tenth digit could overflow int (UBSan found 999999999 x 10)
      value = value * 10 + (text[at] - '0');
    }
    if (digits == 0) return false;
    out[part] = value;
  }
  return at == text.size() || text[at] == '-' || text[at] == '+';  // semver pre-release / build
}

// Major versions must agree; a file from a newer minor version may use features we lack.
void check_version(const std::string& file_version) {
  int file[3] = {0, 0, 0}, ours[3] = {0, 0, 0};
  if (!parse_version(file_version, file))
    fail(Status::corrupt_file, "metadata genmodels_version \"{}\" is not MAJOR.MINOR.PATCH", shown(file_version));
  parse_version(GM_VERSION_STRING, ours);
  if (file[0] != ours[0] || file[1] > ours[1])
    fail(Status::version_mismatch, "model file was written by genmodels {}, this is {}: upgrade genmodels",
         file_version, GM_VERSION_STRING);
}

Metadata model_metadata(const GenerativeModel& model) {
  Metadata meta;
  meta["format"] = kFormat;
  meta["genmodels_version"] = GM_VERSION_STRING;
  meta["kind"] = model.kind();
  meta["config"] = model.config().dump();
  meta["data_shape"] = shape_json(model.data_shape()).dump();
  // Only kinds of M levels write it (docs/levels.md); a file without it has M = 2.
  if (model.capabilities() & cap_levels) meta[kLevelsKey] = std::to_string(model.data_shape().levels);
  return meta;
}

}  // namespace

std::vector<uint8_t> save_model_bytes(const GenerativeModel& model) {
  model.require_fitted("save");
  return encode_safetensors(model.tensors(), model_metadata(model));
}

void save_model_file(const GenerativeModel& model, const std::string& path) {
  const std::vector<uint8_t> bytes = save_model_bytes(model);
  write_file_atomic(path, bytes.data(), bytes.size());
}

std::vector<uint8_t> save_checkpoint_bytes(const GenerativeModel& model) {
  model.require_fitted("save a checkpoint of");
  const nn::TrainingState* state = model.training_state();
  if (state == nullptr) {
    if (!model.trains_in_epochs())
      fail(Status::unsupported,
           "{} is fitted in closed form: its model file is its whole state, save that instead of a checkpoint",
           model.kind());
    fail(Status::not_fitted,
         "this {} model has no training state to checkpoint: it was loaded from a plain model file or its first fit "
         "was cancelled; fit it (warm_start continues its parameters) and save the checkpoint then",
         model.kind());
  }
  Metadata meta = model_metadata(model);
  meta[kTrainingKey] = state->to_json().dump();
  std::vector<TensorRef> tensors = model.tensors();
  for (TensorRef& t : state->tensors()) tensors.push_back(std::move(t));
  return encode_safetensors(tensors, meta);
}

void save_checkpoint_file(const GenerativeModel& model, const std::string& path) {
  const std::vector<uint8_t> bytes = save_checkpoint_bytes(model);
  write_file_atomic(path, bytes.data(), bytes.size());
}

std::unique_ptr<GenerativeModel> load_model_bytes(const uint8_t* data, std::size_t size) {
  if (data == nullptr && size > 0) fail(Status::invalid_argument, "model buffer is NULL");
  const SafetensorsContents file = decode_safetensors(data, size);
  const Metadata& meta = file.metadata;
  if (require_meta(meta, "format") != kFormat)
    fail(Status::corrupt_file, "not a genmodels model file (metadata format is \"{}\")", shown(meta.at("format")));
  check_version(require_meta(meta, "genmodels_version"));
  const std::string& kind = require_meta(meta, "kind");
  if (kind.size() > 64) fail(Status::corrupt_file, "metadata kind \"{}\" is not a kind name", shown(kind));
  Json config =
      parse_json_text(require_meta(meta, "config"), limits::kConfigMaxBytes, Status::corrupt_file, "metadata config");
  if (!config.is_object()) fail(Status::corrupt_file, "metadata config is not a JSON object");
  DataShape shape = parse_shape(require_meta(meta, "data_shape"));
  const auto levels = meta.find(kLevelsKey);
  if (levels != meta.end()) shape.levels = parse_levels(levels->second);

  std::unique_ptr<GenerativeModel> model;
  try {
    // Keys added since the file was written take the values it was fitted with.
    model = create_model(kind, upgrade_saved_config(kind, std::move(config)));
  } catch (const Error& e) {
    fail(Status::corrupt_file, "model file holds an unusable configuration: {}", e.what());
  }
  // A checkpoint's training tensors are the training state's; the rest are the model's.
  std::vector<TensorRef> model_tensors, training_tensors;
  for (const TensorRef& t : file.tensors)
    (t.name.rfind(nn::kTrainingTensorPrefix, 0) == 0 ? training_tensors : model_tensors).push_back(t);
  const auto training = meta.find(kTrainingKey);
  if (training == meta.end() && !training_tensors.empty())
    fail(Status::corrupt_file, "model file has tensor '{}' but no \"{}\" metadata", training_tensors[0].name,
         kTrainingKey);
  if (levels != meta.end() && !(model->capabilities() & cap_levels))
    fail(Status::corrupt_file, "model file gives {} a level count, but {} takes no M-level data", kind, kind);
  // A file of a kind that now takes M levels, written before (no "levels"): its pixel order
  // for colour images was channel after channel, where it is now R, G, B within each pixel
  // (docs/levels.md), so its parameters would be read in another order. Grey and flat rows
  // are the same in both orders.
  if (levels == meta.end() && (model->capabilities() & cap_levels) && shape.image.channels > 1)
    fail(Status::version_mismatch,
         "this {} model of {}-channel images was written by a genmodels that ordered colour pixels channel by "
         "channel; it now orders R, G, B within each pixel (docs/levels.md): fit the model again",
         kind, shape.image.channels);
  model->restore(shape, model_tensors);
  if (model_tensors.size() != model->tensors().size())
    fail(Status::corrupt_file, "model file has {} tensors, a {} model has {}", model_tensors.size(), kind,
         model->tensors().size());
  if (training != meta.end()) {
    const Json j = parse_json_text(training->second, kMaxTrainingTextBytes, Status::corrupt_file, "metadata training");
    model->set_training_state(std::make_unique<nn::TrainingState>(nn::TrainingState::restore(j, training_tensors)));
  }
  return model;
}

std::unique_ptr<GenerativeModel> load_model_file(const std::string& path) {
  try {
    // Devices and FIFOs are refused before reading (read_file_head); then the declared
    // header length is checked against the file's size and the header cap on 8 bytes, and
    // only then is the file read whole, at most limits::kModelFileMaxBytes (issue 12).
    uint64_t size = 0;
    const std::vector<uint8_t> head = read_file_head(path, 8, &size);
    check_safetensors_prefix(head.data(), head.size(), size);
    const std::vector<uint8_t> bytes = read_file(path, static_cast<std::size_t>(limits::kModelFileMaxBytes));
    return load_model_bytes(bytes.data(), bytes.size());
  } catch (const Error& e) {
    if (e.status() == Status::corrupt_file) fail(Status::corrupt_file, "{}: {}", path, e.what());
    throw;
  }
}

}  // namespace gm
