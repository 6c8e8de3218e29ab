// Model files as a whole: the metadata and tensors a model file must hold, and a corpus of
// well-formed safetensors files that are nonetheless not a usable model.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "exact_helpers.hpp"
#include "io/safetensors.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"

using namespace gm;
using gm_test::status_of;

namespace {

std::unique_ptr<GenerativeModel> fitted_markov() {
  auto model = create_model("markov", Json::parse(R"({"order": 2})"));
  std::vector<float> x = {0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1};  // (2, 9)
  DataView v;
  v.x = x.data();
  v.n = 2;
  v.d = 9;
  v.image = {1, 3, 3};
  model->fit(v, FitOptions{});
  return model;
}

// Re-encodes a valid file with one change to its metadata or tensors.
struct Parts {
  Metadata meta;
  std::vector<TensorRef> tensors;
  std::vector<std::vector<uint8_t>> storage;
};

Parts parts_of(const std::vector<uint8_t>& bytes) {
  const SafetensorsContents c = decode_safetensors(bytes.data(), bytes.size());
  Parts p;
  p.meta = c.metadata;
  for (const TensorRef& t : c.tensors) {
    p.storage.emplace_back(static_cast<const uint8_t*>(t.data), static_cast<const uint8_t*>(t.data) + t.bytes());
    p.tensors.push_back(t);
    p.tensors.back().data = p.storage.back().data();
  }
  return p;
}

Status load_status(const Parts& p) {
  const std::vector<uint8_t> bytes = encode_safetensors(p.tensors, p.meta);
  return status_of([&] { load_model_bytes(bytes.data(), bytes.size()); });
}

}  // namespace

TEST_CASE("model file: metadata, round trip and identical bytes") {
  auto model = fitted_markov();
  const std::vector<uint8_t> bytes = save_model_bytes(*model);
  const SafetensorsContents c = decode_safetensors(bytes.data(), bytes.size());
  CHECK(c.metadata.at("format") == "genmodels");
  CHECK(c.metadata.at("kind") == "markov");
  CHECK(Json::parse(c.metadata.at("config")) == model->config());
  CHECK(c.metadata.at("data_shape") == "[9,1,3,3]");
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(loaded->data_shape().image.height == 3);
  CHECK(save_model_bytes(*loaded) == bytes);
}

TEST_CASE("model file: well-formed containers that are not a usable model are corrupt_file") {
  const std::vector<uint8_t> bytes = save_model_bytes(*fitted_markov());
  const Parts good = parts_of(bytes);
  CHECK(load_status(good) == Status::ok);

  auto with_meta = [&](const std::string& key, const std::string& value) {
    Parts p = parts_of(bytes);
    p.meta[key] = value;
    return load_status(p);
  };
  auto without_meta = [&](const std::string& key) {
    Parts p = parts_of(bytes);
    p.meta.erase(key);
    return load_status(p);
  };
  CHECK(without_meta("format") == Status::corrupt_file);
  CHECK(without_meta("kind") == Status::corrupt_file);
  CHECK(without_meta("config") == Status::corrupt_file);
  CHECK(without_meta("data_shape") == Status::corrupt_file);
  CHECK(without_meta("genmodels_version") == Status::corrupt_file);
  CHECK(with_meta("format", "pytorch") == Status::corrupt_file);
  CHECK(with_meta("kind", "nonesuch") == Status::corrupt_file);
  CHECK(with_meta("config", R"({"order": 2, "extra": 1})") == Status::corrupt_file);
  CHECK(with_meta("config", R"({"order": 3})") == Status::corrupt_file);  // table is (9, 4), not (9, 8)
  CHECK(with_meta("config", "not json") == Status::corrupt_file);
  CHECK(with_meta("data_shape", "[10,1,3,3]") == Status::corrupt_file);
  CHECK(with_meta("data_shape", "[9,1,2,2]") == Status::corrupt_file);
  CHECK(with_meta("data_shape", "[0,0,0,0]") == Status::corrupt_file);
  CHECK(with_meta("data_shape", "[-9,0,0,0]") == Status::corrupt_file);
  CHECK(with_meta("data_shape", "{}") == Status::corrupt_file);
  CHECK(with_meta("genmodels_version", "99.0.0") == Status::version_mismatch);
  CHECK(with_meta("genmodels_version", "0.99.0") == Status::version_mismatch);
  CHECK(with_meta("genmodels_version", "zero") == Status::corrupt_file);

  {  // wrong dtype: the same values as F32
    Parts p = parts_of(bytes);
    std::vector<float> f(static_cast<std::size_t>(p.tensors[0].elements()), 0.5f);
    p.tensors[0].dtype = DType::f32;
    p.tensors[0].data = f.data();
    CHECK(load_status(p) == Status::corrupt_file);
  }
  {  // shape disagreeing with the configuration
    Parts p = parts_of(bytes);
    p.tensors[0].shape = {18, 2};
    CHECK(load_status(p) == Status::corrupt_file);
  }
  {  // a tensor renamed, an extra tensor, no tensor
    Parts p = parts_of(bytes);
    p.tensors[0].name = "q";
    CHECK(load_status(p) == Status::corrupt_file);
    Parts extra = parts_of(bytes);
    extra.tensors.push_back(extra.tensors[0]);
    extra.tensors.back().name = "extra";
    CHECK(load_status(extra) == Status::corrupt_file);
    Parts none = parts_of(bytes);
    none.tensors.clear();
    CHECK(load_status(none) == Status::corrupt_file);
  }
  {  // values out of range
    Parts p = parts_of(bytes);
    std::vector<double> v(static_cast<std::size_t>(p.tensors[0].elements()), 1.5);
    p.tensors[0].data = v.data();
    CHECK(load_status(p) == Status::corrupt_file);
  }
}

TEST_CASE("model file: saving is atomic and loading reports the path") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(GM_TEST_TMPDIR) / "model_file_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "m.safetensors").string();
  auto model = fitted_markov();
  save_model_file(*model, path);
  save_model_file(*model, path);  // over an existing file
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  CHECK(load_model_file(path)->kind() == std::string("markov"));

  std::FILE* f = std::fopen((dir / "garbage.safetensors").string().c_str(), "wb");
  std::fputs("definitely not a model", f);
  std::fclose(f);
  const std::string msg = gm_test::message_of([&] { load_model_file((dir / "garbage.safetensors").string()); });
  CHECK(msg.find("garbage.safetensors") != std::string::npos);
  CHECK(status_of([&] { load_model_file((dir / "missing.safetensors").string()); }) == Status::io_error);
}
