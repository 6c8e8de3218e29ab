// The contract of M-level pixels (docs/levels.md), for every registered kind: a kind with
// cap_levels keeps the level count of the data it was fitted on — in levels(), through save →
// load and through a warm start that does not state it — its samples are levels, and every
// verb refuses values that are not levels and a stated count that differs; a kind without
// cap_levels refuses data quantised to more than 2 levels, naming the kinds that take them.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "contract_kinds.hpp"
#include "io/safetensors.hpp"
#include "level_helpers.hpp"
#include "models/registry.hpp"

using namespace gm;
using namespace gm_test;

namespace {

constexpr int64_t kLevels = 4;

// n 1x4x4 images of kLevels levels, labels r mod 2 (for the conditional kinds).
struct LevelData {
  Rows rows;
  std::vector<int32_t> labels;
  DataView view(int64_t levels = kLevels) const {
    DataView v = rows.view();
    v.labels = labels.data();
    v.num_classes = 2;
    v.levels = levels;
    return v;
  }
};

LevelData level_data(int64_t n, uint64_t seed) {
  LevelData d{random_levels(n, 16, kLevels, seed, ImageShape{1, 4, 4}), {}};
  for (int64_t r = 0; r < n; ++r) d.labels.push_back(static_cast<int32_t>(r % 2));
  return d;
}

}  // namespace

TEST_CASE("levels contract: cap_levels kinds keep M; the others refuse M-level data") {
  const LevelData data = level_data(48, 3);
  for (const KindInfo& k : all_kinds()) {
    const std::string kind = k.name;
    CAPTURE(kind);
    auto m = create_model(kind, small_config(kind));
    if (!(m->capabilities() & cap_levels)) {
      const std::string why = message_of([&] { m->fit(data.view(), contract_fit(7)); });
      CHECK(status_of([&] { m->fit(data.view(), contract_fit(7)); }) == Status::invalid_data);
      CHECK(why.find("levels") != std::string::npos);
      CHECK_FALSE(m->fitted());
      continue;
    }
    CHECK(m->levels() == 2);
    m->fit(data.view(), contract_fit(7));
    CHECK(m->levels() == kLevels);
    CHECK(m->data_shape().levels == kLevels);

    // Samples are levels.
    std::vector<float> s(8 * 16);
    SampleOptions so;
    so.seed = 5;
    if (m->capabilities() & cap_conditional) so.labels = data.labels.data();
    m->sample(8, so, s.data());
    bool levels_only = true;
    for (float v : s) levels_only &= v >= 0 && v < kLevels && v == std::floor(v);
    CHECK(levels_only);

    // Scores: unstated = the model's M; another stated M, or a value that is no level, refused.
    std::vector<double> a(4), b(4);
    DataView four = data.view();
    four.n = 4;
    m->log_prob(four, EvalOptions{}, a.data());
    DataView unstated = four;
    unstated.levels = 0;
    m->log_prob(unstated, EvalOptions{}, b.data());
    CHECK(a == b);
    DataView other = four;
    other.levels = kLevels + 1;
    CHECK(status_of([&] { m->log_prob(other, EvalOptions{}, a.data()); }) == Status::invalid_data);
    Rows bad = data.rows;
    bad.x[3] = kLevels;
    DataView badv = four;
    badv.x = bad.x.data();
    CHECK(status_of([&] { m->log_prob(badv, EvalOptions{}, a.data()); }) == Status::invalid_data);
    bad.x[3] = 0.5f;
    CHECK(status_of([&] { m->log_prob(badv, EvalOptions{}, a.data()); }) == Status::invalid_data);
    if (m->capabilities() & cap_complete) {
      std::vector<uint8_t> observed(4 * 16, 1);
      std::vector<float> out(4 * 16);
      SampleOptions co = so;
      CHECK(status_of([&] { m->complete(badv, observed.data(), co, out.data()); }) == Status::invalid_data);
      observed[3] = 0;  // the bad value is not observed: ignored
      CHECK(status_of([&] { m->complete(badv, observed.data(), co, out.data()); }) == Status::ok);
      CHECK((out[3] >= 0 && out[3] < kLevels && out[3] == std::floor(out[3])));
    }

    // save → load keeps M, and the loaded model scores alike.
    const std::vector<uint8_t> bytes = save_model_bytes(*m);
    auto loaded = load_model_bytes(bytes.data(), bytes.size());
    CHECK(loaded->levels() == kLevels);
    loaded->log_prob(four, EvalOptions{}, b.data());
    m->log_prob(four, EvalOptions{}, a.data());
    CHECK(a == b);

    // A warm start that does not state M continues with the model's; one that states another
    // M is refused and leaves the model as it was.
    FitOptions warm = contract_fit(8);
    warm.warm_start = true;
    CHECK(status_of([&] { m->fit(data.view(kLevels + 1), warm); }) == Status::invalid_data);
    CHECK(save_model_bytes(*m) == bytes);
    m->fit(data.view(0), warm);
    CHECK(m->levels() == kLevels);
  }
}

TEST_CASE("levels contract: a colour model file from before M levels is refused, a grey one loads") {
  // Files of the autoregressive kinds written before M levels have no "levels" metadata and
  // ordered colour pixels channel by channel; the order is now R, G, B within each pixel.
  for (const ImageShape image : {ImageShape{3, 2, 2}, ImageShape{1, 4, 4}}) {
    CAPTURE(image.channels);
    Rows rows = random_binary(40, image.size(), 2);
    rows.image = image;
    auto m = create_model("markov", Json::object());
    m->fit(rows.view(), FitOptions{});
    const std::vector<uint8_t> bytes = save_model_bytes(*m);
    SafetensorsContents file = decode_safetensors(bytes.data(), bytes.size());
    CHECK(file.metadata.at("levels") == "2");
    file.metadata.erase("levels");
    const std::vector<uint8_t> old = encode_safetensors(file.tensors, file.metadata);
    if (image.channels > 1) {
      const std::string why = message_of([&] { load_model_bytes(old.data(), old.size()); });
      CHECK(status_of([&] { load_model_bytes(old.data(), old.size()); }) == Status::version_mismatch);
      CHECK(why.find("fit the model again") != std::string::npos);
    } else {
      CHECK(load_model_bytes(old.data(), old.size())->levels() == 2);
    }
  }
}
