// FeatureClassifier files: a safetensors container (see lib/io/safetensors.hpp) holding the
// eight tensors under their PyTorch names (conv1.weight (32, 1, 4, 4), ..., fc2.bias (10)),
// and __metadata__ with
//   format = "genmodels-feature-classifier", architecture = kArchitecture,
//   genmodels_version, and whatever the trainer adds (test_accuracy, train_data, ...).
// The loader trusts nothing: the container is validated by decode_safetensors, then every
// tensor's name, dtype and shape must be the architecture's and every value finite.
#include <cmath>
#include <cstring>

#include <fmt/ranges.h>

#include "core/error.hpp"
#include "eval/classifier.hpp"
#include "eval/classifier_net.hpp"
#include "gm_build_config.h"
#include "io/file.hpp"

namespace gm::eval {

namespace {
constexpr const char* kFormat = "genmodels-feature-classifier";
// Changing the network means a new tag: an old file then fails with a clear message
// instead of loading into the wrong shapes.
constexpr const char* kArchitecture =
    "standardise(0.2860,0.3530)-conv1x32k4s2p1-relu-conv32x64k4s2p1-relu-fc3136x128-relu-fc128x10";
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;  // the real file is 1.7 MiB

const std::string& meta_or_fail(const Metadata& meta, const char* key) {
  const auto it = meta.find(key);
  if (it == meta.end())
    fail(Status::corrupt_file,
         "not a feature classifier file: its metadata has no \"{}\" (train one with "
         "`genmodels classifier --out FILE`)",
         key);
  return it->second;
}
}  // namespace

std::vector<uint8_t> FeatureClassifier::save_bytes(const Metadata& extra) const {
  Metadata meta = extra;
  meta["format"] = kFormat;
  meta["architecture"] = kArchitecture;
  meta["genmodels_version"] = GM_VERSION_STRING;
  return encode_safetensors(net_->store.tensors(), meta);
}

void FeatureClassifier::save(const std::string& path, const Metadata& extra) const {
  const std::vector<uint8_t> bytes = save_bytes(extra);
  write_file_atomic(path, bytes.data(), bytes.size());
}

FeatureClassifier FeatureClassifier::load_bytes(const uint8_t* data, std::size_t size) {
  if (data == nullptr && size > 0) fail(Status::invalid_argument, "classifier buffer is NULL");
  const SafetensorsContents file = decode_safetensors(data, size);
  const std::string& format = meta_or_fail(file.metadata, "format");
  if (format == "genmodels") {
    const auto kind = file.metadata.find("kind");
    fail(Status::corrupt_file,
         "this is a genmodels model file ({}), not a feature classifier: pass a file written "
         "by `genmodels classifier`",
         kind != file.metadata.end() ? kind->second : "unknown kind");
  }
  if (format != kFormat)
    fail(Status::corrupt_file, "not a feature classifier file (metadata format is \"{}\")", format);
  const std::string& arch = meta_or_fail(file.metadata, "architecture");
  if (arch != kArchitecture)
    fail(Status::corrupt_file,
         "the classifier file is for architecture \"{}\", this genmodels uses \"{}\": "
         "retrain it with `genmodels classifier`",
         arch, kArchitecture);

  FeatureClassifier c;
  nn::ParameterStore& store = c.net_->store;
  if (file.tensors.size() != static_cast<std::size_t>(store.count()))
    fail(Status::corrupt_file, "the classifier file has {} tensors, the network has {}", file.tensors.size(),
         store.count());
  for (const TensorRef& t : file.tensors) {
    nn::ParamId id;
    try {
      id = store.find(t.name);
    } catch (const Error&) {
      fail(Status::corrupt_file, "the classifier file has an unknown tensor \"{}\"", t.name);
    }
    const nn::ParameterStore::Entry& e = store.entry(id);
    if (t.dtype != DType::f32 || t.shape != e.shape)
      fail(Status::corrupt_file, "classifier tensor \"{}\" is {} {}, expected F32 {}", t.name, dtype_name(t.dtype),
           fmt::join(t.shape, "×"), fmt::join(e.shape, "×"));
    float* dst = store.value(id);
    std::memcpy(dst, t.data, t.bytes());  // the file's bytes may be unaligned
    for (int64_t k = 0; k < e.size; ++k)
      if (!std::isfinite(dst[k]))
        fail(Status::corrupt_file, "classifier tensor \"{}\" has a non-finite value at index {}", t.name, k);
  }
  c.metadata_ = file.metadata;
  return c;
}

FeatureClassifier FeatureClassifier::load(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path, kMaxFileBytes);
  try {
    return load_bytes(bytes.data(), bytes.size());
  } catch (const Error& e) {
    if (e.status() == Status::corrupt_file) fail(Status::corrupt_file, "{}: {}", path, e.what());
    throw;
  }
}

}  // namespace gm::eval
