// Small configurations and data for every registered kind, for the contract suite
// (test_contract.cpp): each fits in well under a second. A kind missing from small_config()
// still runs with its default configuration, only slower — register it, then add a line here.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/rng.hpp"
#include "exact_helpers.hpp"
#include "models/model_file.hpp"
#include "small_kinds.hpp"

namespace gm_test {

inline Json small_config(const std::string& kind) { return Json::parse(small_config_json(kind)); }

// n binary 1×8×8 images (values exactly 0 or 1, so every kind accepts them) with labels
// r mod 2 of 2 classes: the binary kinds ignore the labels, cgan conditions on them.
struct ContractData {
  Rows rows;
  std::vector<int32_t> labels;
  DataView view() const {
    DataView v = rows.view();
    v.labels = labels.data();
    v.num_classes = 2;
    return v;
  }
};

inline ContractData contract_data(int64_t n, uint64_t seed) {
  ContractData c;
  c.rows = random_binary(n, 64, seed);
  c.rows.image = ImageShape{1, 8, 8};
  for (int64_t r = 0; r < n; ++r) c.labels.push_back(static_cast<int32_t>(r % 2));
  return c;
}

inline FitOptions contract_fit(uint64_t seed, int threads = 1) {
  FitOptions o;
  o.epochs = 2;
  o.batch_size = 16;
  o.seed = seed;
  o.threads = threads;
  return o;
}

// Everything a caller can observe of a fitted model, as bytes: its file (configuration, data
// shape, tensors) and the output of every verb in its capabilities on fixed inputs and seeds.
// Two models are "bit-identical" when their Observed compare equal.
struct Observed {
  std::vector<uint8_t> file;
  std::string config;
  std::vector<float> samples, codes, decoded, completed, from_parts;
  std::vector<double> log_probs;
  bool operator==(const Observed& o) const {
    auto same = [](const auto& a, const auto& b) {
      return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0);
    };
    return same(file, o.file) && config == o.config && same(samples, o.samples) && same(codes, o.codes) &&
           same(decoded, o.decoded) && same(completed, o.completed) && same(log_probs, o.log_probs) &&
           same(from_parts, o.from_parts);
  }
};

inline Observed observe(const GenerativeModel& m, const ContractData& data, int threads = 1) {
  Observed o;
  o.config = m.config().dump();
  if (!m.fitted()) return o;
  o.file = save_model_bytes(m);
  const uint32_t caps = m.capabilities();
  const int64_t n = 6, d = m.data_shape().d;
  DataView rows = data.view();
  rows.n = n;
  SampleOptions so;
  so.seed = 3;
  so.threads = threads;
  if (caps & cap_conditional) so.labels = data.labels.data();
  EvalOptions eo;
  eo.seed = 4;
  eo.threads = threads;
  if (caps & cap_sample) {
    o.samples.resize(static_cast<std::size_t>(n * d));
    m.sample(n, so, o.samples.data());
  }
  if (caps & cap_log_prob) {
    o.log_probs.resize(static_cast<std::size_t>(n));
    m.log_prob(rows, eo, o.log_probs.data());
  }
  if (caps & cap_encode) {
    o.codes.resize(static_cast<std::size_t>(n * m.encode_dim()));
    m.encode(rows, eo, o.codes.data());
  }
  if (caps & cap_decode) {
    const int64_t z = m.latent_dim();
    std::vector<float> codes(static_cast<std::size_t>(n * z));
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = 0.25f * static_cast<float>(i % 5) - 0.5f;
    DataView v;
    v.x = codes.data();
    v.n = n;
    v.d = z;
    o.decoded.resize(static_cast<std::size_t>(n * d));
    m.decode(v, so, o.decoded.data());
  }
  if (caps & cap_complete) {
    std::vector<uint8_t> observed(static_cast<std::size_t>(n * d));
    for (std::size_t i = 0; i < observed.size(); ++i) observed[i] = (i % 3) != 0;
    o.completed.resize(static_cast<std::size_t>(n * d));
    m.complete(rows, observed.data(), so, o.completed.data());
  }
  if (caps & cap_complete_from_parts) {
    // Two patches per row, at the top-left and bottom-right corners.
    const ImageShape im = m.data_shape().image;
    const int64_t P = m.parts_patch_size(), S = im.height, C = im.channels;
    std::vector<float> patches;
    std::vector<int64_t> positions;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t at : {int64_t{0}, S - P}) {
        positions.insert(positions.end(), {at, at});
        for (int64_t c = 0; c < C; ++c)
          for (int64_t y = 0; y < P; ++y)
            for (int64_t x = 0; x < P; ++x) patches.push_back(rows.row(r)[(c * S + at + y) * S + at + x]);
      }
    DataView v;
    v.x = patches.data();
    v.n = 2 * n;
    v.d = C * P * P;
    v.image = ImageShape{C, P, P};
    o.from_parts.resize(static_cast<std::size_t>(n * d));
    m.complete_from_parts(v, positions.data(), 2, so, o.from_parts.data());
  }
  return o;
}

}  // namespace gm_test
