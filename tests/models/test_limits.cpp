// The bounds of core/limits.hpp as every kind's verbs apply them (issue 12): a thread count
// libgomp cannot honour, a fit of more optimiser steps than the limit, and a score that
// overflowed inside the forward pass are refused with a status, never a crash, an exit() in
// libgomp or a NaN returned with success.
#include <doctest/doctest.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "contract_kinds.hpp"
#include "core/limits.hpp"
#include "models/registry.hpp"

using namespace gm;
using namespace gm_test;

namespace {

Status limit_status(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

const ContractData& data() {
  static const ContractData d = contract_data(32, 3);
  return d;
}

}  // namespace

TEST_CASE("limits: a thread count above the cap is refused by every verb, before any thread starts") {
  const int too_many[] = {limits::max_threads() + 1, INT_MAX};
  for (const KindInfo& k : all_kinds()) {
    INFO("kind: ", std::string(k.name));
    auto m = create_model(k.name, small_config(k.name));
    for (int threads : too_many) {
      FitOptions f = contract_fit(1);
      f.threads = threads;
      CHECK(limit_status([&] { m->fit(data().view(), f); }) == Status::invalid_argument);
      CHECK_FALSE(m->fitted());
    }
    m->fit(data().view(), contract_fit(1));
    std::vector<float> out(static_cast<std::size_t>(4 * 64));
    std::vector<double> scores(32);
    for (int threads : too_many) {
      SampleOptions s;
      s.threads = threads;
      std::vector<int32_t> labels(4, 0);
      if (k.capabilities & cap_conditional) s.labels = labels.data();
      if (k.capabilities & cap_sample)
        CHECK(limit_status([&] { m->sample(4, s, out.data()); }) == Status::invalid_argument);
      if (k.capabilities & cap_translate) {
        TranslateOptions t;
        t.threads = threads;
        t.domain = 0;
        std::vector<float> translated(static_cast<std::size_t>(data().rows.n * 64));
        CHECK(limit_status([&] { m->translate(data().view(), t, translated.data()); }) == Status::invalid_argument);
      }
      if (k.capabilities & cap_log_prob) {
        EvalOptions e;
        e.threads = threads;
        CHECK(limit_status([&] { m->log_prob(data().view(), e, scores.data()); }) == Status::invalid_argument);
      }
    }
  }
}

TEST_CASE("limits: epochs above the cap, and epochs x batches above the step limit, are refused before training") {
  auto m = create_model("fvsbn", small_config("fvsbn"));
  FitOptions f = contract_fit(1);
  f.epochs = limits::kMaxEpochs + 1;
  CHECK(limit_status([&] { m->fit(data().view(), f); }) == Status::invalid_argument);
  f.epochs = INT64_MAX;
  CHECK(limit_status([&] { m->fit(data().view(), f); }) == Status::invalid_argument);
  // 2^17 rows of batch 1 for 2^24 epochs: 2^41 steps. Refused at once, not after hours.
  const int64_t n = int64_t{1} << 17;
  std::vector<float> x(static_cast<std::size_t>(n * 2), 0.0f);
  for (int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(2 * i)] = static_cast<float>(i % 2);
  DataView v;
  v.x = x.data();
  v.n = n;
  v.d = 2;
  f.epochs = limits::kMaxEpochs;
  f.batch_size = 1;
  bool called = false;
  f.progress = [&](int64_t, int64_t, double) { return called = true; };
  try {
    m->fit(v, f);
    FAIL("fit of 2^41 steps returned");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid_argument);
    CHECK(std::string(e.what()).find("optimiser steps") != std::string::npos);
  }
  CHECK_FALSE(called);
  CHECK_FALSE(m->fitted());
}

// Absurd but finite weights (one flipped exponent bit in a file gives 1e10..3e38): the
// forward pass overflows. The model is either refused at restore (corrupt_file) or its
// scores are refused (invalid_data naming the row); never a NaN with success.
TEST_CASE("limits: scores are finite or refused, for every kind with log_prob or encode") {
  for (const KindInfo& k : all_kinds()) {
    if (!(k.capabilities & (cap_log_prob | cap_encode))) continue;
    INFO("kind: ", std::string(k.name));
    auto m = create_model(k.name, small_config(k.name));
    m->fit(data().view(), contract_fit(1));
    for (float scale : {1e10f, 3e38f}) {
      INFO("weights set to ", scale);
      // Copies of the tensors with every f32 value replaced by +-scale.
      std::vector<TensorRef> tensors = m->tensors();
      std::vector<std::vector<float>> storage;
      storage.reserve(tensors.size());
      for (TensorRef& t : tensors) {
        if (t.dtype != DType::f32) continue;
        storage.emplace_back(static_cast<std::size_t>(t.elements()));
        std::vector<float>& v = storage.back();
        std::memcpy(v.data(), t.data, v.size() * sizeof(float));
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = (i % 2 ? -scale : scale);
        t.data = v.data();
      }
      auto hostile = create_model(k.name, m->config());
      const Status restored = limit_status([&] { hostile->restore(m->data_shape(), tensors); });
      CHECK((restored == Status::ok || restored == Status::corrupt_file));
      if (restored != Status::ok) continue;
      std::vector<double> scores(static_cast<std::size_t>(data().rows.n));
      if (k.capabilities & cap_log_prob) {
        const Status s = limit_status([&] { hostile->log_prob(data().view(), EvalOptions{}, scores.data()); });
        CHECK((s == Status::ok || s == Status::invalid_data));
        if (s == Status::ok)
          for (double v : scores) CHECK(std::isfinite(v));
      }
      if (k.capabilities & cap_encode) {
        std::vector<float> codes(static_cast<std::size_t>(data().rows.n * hostile->encode_dim()));
        const Status s = limit_status([&] { hostile->encode(data().view(), EvalOptions{}, codes.data()); });
        CHECK((s == Status::ok || s == Status::invalid_data));
        if (s == Status::ok)
          for (float v : codes) CHECK(std::isfinite(v));
      }
    }
  }
}

TEST_CASE("limits: a model too big for the memory budget is refused before it allocates") {
  // fvsbn on rows of 2^22 values wants 2^44 weights: 256 TiB with its gradients and moments.
  const int64_t d = int64_t{1} << 22;
  std::vector<float> x(static_cast<std::size_t>(2 * d), 0.0f);
  x[0] = 1.0f;
  DataView v;
  v.x = x.data();
  v.n = 2;
  v.d = d;
  auto m = create_model("fvsbn", Json::object());
  try {
    m->fit(v, contract_fit(1));
    FAIL("fit beyond the budget returned");
  } catch (const Error& e) {
    CHECK(e.status() == Status::out_of_memory);
    CHECK(std::string(e.what()).find("TiB, more than the memory budget of") != std::string::npos);
    CHECK(std::string(e.what()).find("(half of this machine's memory)") != std::string::npos);
  }
  CHECK_FALSE(m->fitted());

  // A budget set by the caller: nade with 20 000 hidden units on 64 pixels (2.6 M parameters,
  // 41 MB with gradients and moments) fits a 1 GiB budget, not a 1 MiB one.
  auto nade = create_model("nade", Json{{"hidden", 20000}});
  limits::set_memory_budget(int64_t{1} << 20);
  try {
    nade->fit(data().view(), contract_fit(1));
    FAIL("fit beyond the budget returned");
  } catch (const Error& e) {
    CHECK(e.status() == Status::out_of_memory);
    CHECK(std::string(e.what()).find("memory budget of 1.0 MiB (set with gm_set_memory_budget)") != std::string::npos);
  }
  limits::set_memory_budget(int64_t{1} << 30);
  FitOptions one = contract_fit(1);
  one.epochs = 1;
  CHECK(limit_status([&] { nade->fit(data().view(), one); }) == Status::ok);
  limits::set_memory_budget(0);
  CHECK(limits::memory_budget() > (int64_t{1} << 30));
}

TEST_CASE("limits: importance samples above the cap are refused, from the options and from the configuration") {
  auto m = create_model("vae", small_config("vae"));
  m->fit(data().view(), contract_fit(1));
  std::vector<double> scores(static_cast<std::size_t>(data().rows.n));
  EvalOptions e;
  e.samples = limits::kMaxImportanceSamples + 1;
  CHECK(limit_status([&] { m->log_prob(data().view(), e, scores.data()); }) == Status::invalid_argument);
  CHECK(limit_status([&] {
          create_model("vae", Json{{"iwae_samples", limits::kMaxImportanceSamples + 1}});
        }) == Status::invalid_config);
}
