#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "exact_helpers.hpp"
#include "level_helpers.hpp"
#include "models/markov.hpp"
#include "models/model_file.hpp"

using namespace gm_test;
using gm::MarkovModel;

namespace {

MarkovModel fitted_markov(const Rows& rows, int order, double alpha = 1.0, int threads = 0) {
  MarkovModel m(Json{{"order", order}, {"alpha", alpha}});
  FitOptions f;
  f.threads = threads;
  m.fit(rows.view(), f);
  return m;
}

// p[i][c] from the persistent tensor.
double p_at(const MarkovModel& m, int64_t i, int64_t c) {
  const std::vector<TensorRef> t = m.tensors();  // "counts" (partial fit adds to them), then "p"
  REQUIRE(t.size() == 2);
  REQUIRE(t[1].name == "p");
  REQUIRE(t[1].shape == std::vector<int64_t>{m.data_shape().d, int64_t{1} << m.order()});
  return static_cast<const double*>(t[1].data)[i * (int64_t{1} << m.order()) + c];
}

}  // namespace

TEST_CASE("markov: configuration defaults and ranges") {
  MarkovModel m(Json::object());
  CHECK(std::string(m.kind()) == "markov");
  CHECK(m.config() == Json::parse(R"({"alpha": 1.0, "order": 1, "tied": false})"));
  CHECK(m.capabilities() == (cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_levels));
  CHECK(m.levels() == 2);  // before a fit
  CHECK(MarkovModel(Json{{"tied", true}}).tied());
  CHECK(status_of([] { MarkovModel(Json{{"tied", 1}}); }) == Status::invalid_config);
  CHECK(MarkovModel(Json{{"order", 12}}).order() == 12);
  CHECK(status_of([] { MarkovModel(Json{{"order", 0}}); }) == Status::invalid_config);
  CHECK(status_of([] { MarkovModel(Json{{"order", 13}}); }) == Status::invalid_config);
  CHECK(status_of([] { MarkovModel(Json{{"order", 1.5}}); }) == Status::invalid_config);
  CHECK(status_of([] { MarkovModel(Json{{"alpha", 0}}); }) == Status::invalid_config);
  CHECK(status_of([] { MarkovModel(Json{{"k", 2}}); }) == Status::invalid_config);
}

TEST_CASE("markov: order 1 on a tiny set gives the hand-computed transitions") {
  // x0 x1 x2
  const Rows rows{{1, 1, 1,  //
                   1, 1, 0,  //
                   1, 0, 0,  //
                   0, 0, 1,  //
                   0, 0, 0},
                  5,
                  3,
                  {}};
  double reported = 0.0;
  FitOptions f;
  f.progress = [&](int64_t, int64_t, double loss) {
    reported = loss;
    return false;
  };
  MarkovModel m(Json{{"order", 1}});
  m.fit(rows.view(), f);
  CHECK(p_at(m, 0, 0) == doctest::Approx(4.0 / 7.0));  // 3 of 5 rows: (3+1)/(5+2)
  CHECK(p_at(m, 0, 1) == 0.5);                         // unreachable: padding is 0
  CHECK(p_at(m, 1, 0) == doctest::Approx(1.0 / 4.0));  // x0=0: x1 = 0,0
  CHECK(p_at(m, 1, 1) == doctest::Approx(3.0 / 5.0));  // x0=1: x1 = 1,1,0
  CHECK(p_at(m, 2, 0) == doctest::Approx(2.0 / 5.0));  // x1=0: x2 = 0,1,0
  CHECK(p_at(m, 2, 1) == doctest::Approx(2.0 / 4.0));  // x1=1: x2 = 1,0
  const std::vector<double> lp = log_probs(m, rows);
  CHECK(lp[0] == doctest::Approx(std::log(4.0 / 7.0) + std::log(3.0 / 5.0) + std::log(0.5)).epsilon(1e-14));
  CHECK(lp[4] == doctest::Approx(std::log(3.0 / 7.0) + std::log(3.0 / 4.0) + std::log(3.0 / 5.0)).epsilon(1e-14));
  double nll = 0.0;
  for (double v : lp) nll -= v;
  CHECK(reported == doctest::Approx(nll / 5.0).epsilon(1e-12));
}

TEST_CASE("markov: the context packs the most recent pixel in bit 0") {
  // One row 1,0,1,1: pixel 2 sees (x1, x0) = (0, 1) -> c = 0 + 2*1 = 2; pixel 3 sees
  // (x2, x1) = (1, 0) -> c = 1.
  const Rows rows{{1, 0, 1, 1}, 1, 4, {}};
  const MarkovModel m = fitted_markov(rows, 2, 0.5);
  CHECK(p_at(m, 2, 2) == doctest::Approx(1.5 / 2.0));
  CHECK(p_at(m, 3, 1) == doctest::Approx(1.5 / 2.0));
  CHECK(p_at(m, 1, 1) == doctest::Approx(0.5 / 2.0));  // pixel 1 after x0 = 1 saw a 0
  for (int64_t c : {0, 1, 3}) CHECK(p_at(m, 2, c) == 0.5);
}

TEST_CASE("markov: sum of exp(log_prob) over all 2^D inputs is 1") {
  const Rows bas = bars_and_stripes_3x3();
  for (int k : {1, 2, 3, 5, 12}) {
    CAPTURE(k);
    CHECK(std::fabs(total_probability(fitted_markov(bas, k), 9) - 1.0) < 1e-9);
  }
  for (int64_t d : {10, 13, 16})
    for (int k : {1, 2, 3}) {
      CAPTURE(d);
      CAPTURE(k);
      const MarkovModel m = fitted_markov(random_binary(300, d, static_cast<uint64_t>(d * 10 + k)), k, 0.5);
      CHECK(std::fabs(total_probability(m, d) - 1.0) < 1e-9);
    }
  for (int k : {6, 8, 12}) {
    CAPTURE(k);
    const MarkovModel m = fitted_markov(random_binary(300, 10, 7), k, 0.1);
    CHECK(std::fabs(total_probability(m, 10) - 1.0) < 1e-9);
  }
  // Order larger than the row.
  CHECK(std::fabs(total_probability(fitted_markov(random_binary(20, 3, 1), 12), 3) - 1.0) < 1e-9);
}

TEST_CASE("markov: samples agree with exp(log_prob)") {
  check_sampler(fitted_markov(random_binary(200, 4, 1), 1), 4, 100000, 101);
  check_sampler(fitted_markov(random_binary(200, 5, 2), 2), 5, 100000, 102);
  check_sampler(fitted_markov(random_binary(200, 6, 3), 3), 6, 100000, 103);
}

TEST_CASE("markov: complete draws exactly from p(x_u | x_o)") {
  const int64_t d = 8;
  const Rows train = random_binary(200, d, 21);
  Rng rng(2024, 0);
  std::vector<float> row(d);
  for (float& v : row) v = static_cast<float>(rng.bernoulli(0.5));
  std::vector<uint8_t> random_mask(d);
  for (uint8_t& o : random_mask) o = rng.bernoulli(0.5);
  const std::vector<std::vector<uint8_t>> masks = {
      random_mask,
      {0, 0, 0, 0, 0, 0, 0, 0},  // nothing observed: complete = sample
      {1, 0, 0, 0, 0, 0, 0, 1},  // both ends pinned
      {0, 1, 0, 1, 0, 1, 0, 1},  // every other pixel
      {0, 0, 0, 1, 1, 0, 0, 0},  // a block in the middle
  };
  for (int k : {2, 1, 5}) {
    const MarkovModel m = fitted_markov(train, k);
    for (std::size_t i = 0; i < (k == 2 ? masks.size() : 2); ++i) {
      CAPTURE(k);
      CAPTURE(i);
      check_completion(m, row, masks[i], 100000, 500 + i);
    }
  }
  // Fully observed rows come back unchanged.
  const MarkovModel m = fitted_markov(train, 3);
  check_completion(m, row, std::vector<uint8_t>(d, 1), 10, 1);
}

TEST_CASE("markov: fit, sample, log_prob and complete do not depend on the thread count") {
  const Rows rows = random_binary(257, 40, 6);
  for (int k : {1, 4, 9}) {
    CAPTURE(k);
    const MarkovModel a = fitted_markov(rows, k, 1.0, 1), b = fitted_markov(rows, k, 1.0, 2);
    const std::vector<TensorRef> ta = a.tensors(), tb = b.tensors();
    for (std::size_t j = 0; j < ta.size(); ++j) CHECK(std::memcmp(ta[j].data, tb[j].data, ta[j].bytes()) == 0);
    const std::vector<float> s = sample_rows(a, 301, 42, 1);
    CHECK(s == sample_rows(a, 301, 42, 2));
    CHECK(s == sample_rows(a, 301, 42, 0));
    CHECK(s != sample_rows(a, 301, 43, 1));
    CHECK(log_probs(a, rows, 1) == log_probs(a, rows, 2));
    CHECK(complete_rows(a, rows, 5, 1) == complete_rows(a, rows, 5, 2));
  }
}

TEST_CASE("markov: tensors -> restore gives bit-identical outputs") {
  const Rows rows = random_binary(80, 12, 9);
  for (int k : {1, 3}) {
    CAPTURE(k);
    const MarkovModel m = fitted_markov(rows, k, 0.7);
    const SavedTensors saved = save_unaligned(m);
    MarkovModel copy(m.config());
    copy.restore(m.data_shape(), saved.refs);
    CHECK(log_probs(copy, rows) == log_probs(m, rows));
    CHECK(sample_rows(copy, 100, 3, 0) == sample_rows(m, 100, 3, 0));
    CHECK(complete_rows(copy, rows, 4, 0) == complete_rows(m, rows, 4, 0));
  }
}

TEST_CASE("markov: restore rejects wrong shapes and bad probabilities") {
  const MarkovModel m = fitted_markov(random_binary(30, 6, 1), 2);
  const SavedTensors s = save_unaligned(m);
  const auto restore_status = [&](int order, const DataShape& shape, const std::vector<TensorRef>& refs) {
    return status_of([&] { MarkovModel(Json{{"order", order}}).restore(shape, refs); });
  };
  CHECK(restore_status(2, DataShape{6, {}}, s.refs) == Status::ok);
  CHECK(restore_status(1, DataShape{6, {}}, s.refs) == Status::corrupt_file);  // (6, 4) vs order 1
  CHECK(restore_status(3, DataShape{6, {}}, s.refs) == Status::corrupt_file);
  CHECK(restore_status(2, DataShape{5, {}}, s.refs) == Status::corrupt_file);
  CHECK(restore_status(2, DataShape{-1, {}}, s.refs) == Status::corrupt_file);
  CHECK(restore_status(2, DataShape{6, {}}, {}) == Status::corrupt_file);
  for (double bad : {std::nan(""), 0.0, 1.0, -0.5, 2.0, 1e-200, std::numeric_limits<double>::infinity()}) {
    CAPTURE(bad);
    std::vector<double> p(24, 0.5);
    p[13] = bad;
    TensorRef t = s.refs.back();  // "p", alone: a file without counts
    t.data = p.data();
    CHECK(restore_status(2, DataShape{6, {}}, {t}) == Status::corrupt_file);
  }
}

TEST_CASE("markov: errors name the problem") {
  MarkovModel m(Json{{"order", 2}});
  float out[4];
  double lp[1];
  const Rows one{{0, 1, 0, 1}, 1, 4, {}};
  const uint8_t mask[4] = {1, 0, 0, 1};
  CHECK(status_of([&] { m.sample(1, SampleOptions{}, out); }) == Status::not_fitted);
  CHECK(status_of([&] { m.log_prob(one.view(), EvalOptions{}, lp); }) == Status::not_fitted);
  CHECK(status_of([&] { m.complete(one.view(), mask, SampleOptions{}, out); }) == Status::not_fitted);
  CHECK(message_of([&] { m.sample(1, SampleOptions{}, out); }).find("sample") != std::string::npos);

  const Rows half{{0, 0.5f, 1, 0}, 1, 4, {}}, nan{{0, 1, std::nanf(""), 0}, 1, 4, {}};
  CHECK(status_of([&] { m.fit(half.view(), FitOptions{}); }) == Status::invalid_data);
  CHECK(status_of([&] { m.fit(nan.view(), FitOptions{}); }) == Status::invalid_data);
  CHECK(status_of([&] { m.fit(Rows{{}, 0, 4, {}}.view(), FitOptions{}); }) == Status::invalid_data);
  m.fit(one.view(), FitOptions{});
  CHECK(status_of([&] { m.log_prob(half.view(), EvalOptions{}, lp); }) == Status::invalid_data);
  CHECK(status_of([&] { m.log_prob(nan.view(), EvalOptions{}, lp); }) == Status::invalid_data);
  CHECK(status_of([&] { m.log_prob(Rows{{0, 1, 0}, 1, 3, {}}.view(), EvalOptions{}, lp); }) == Status::invalid_data);
  CHECK(status_of([&] { m.complete(nan.view(), mask, SampleOptions{}, out); }) == Status::ok);
  const Rows bad_observed{{0.5f, 1, 0, 1}, 1, 4, {}};
  CHECK(status_of([&] { m.complete(bad_observed.view(), mask, SampleOptions{}, out); }) == Status::invalid_data);
  CHECK(status_of([&] { m.sample(-1, SampleOptions{}, out); }) == Status::invalid_argument);

  float codes[4];
  CHECK(status_of([&] { m.encode(one.view(), EvalOptions{}, codes); }) == Status::unsupported);
  CHECK(status_of([&] { m.decode(one.view(), SampleOptions{}, out); }) == Status::unsupported);
  CHECK(message_of([&] { m.encode(one.view(), EvalOptions{}, codes); }).find("markov has no latent space") !=
        std::string::npos);

  FitOptions cancel;
  cancel.progress = [](int64_t, int64_t, double) { return true; };
  const std::vector<double> before = log_probs(m, one);
  CHECK(status_of([&] { m.fit(bad_observed.view(), FitOptions{}); }) == Status::invalid_data);
  CHECK(status_of([&] { m.fit(random_binary(10, 4, 3).view(), cancel); }) == Status::cancelled);
  CHECK(log_probs(m, one) == before);
}

TEST_CASE("markov: fitting 60000 x 784 is fast") {
  const int64_t n = 60000, d = 784;
  Rows rows{std::vector<float>(static_cast<std::size_t>(n * d)), n, d, ImageShape{1, 28, 28}};
  uint64_t state = 88172645463325252ull;  // xorshift64: the data only has to be binary
  for (float& v : rows.x) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    v = static_cast<float>((state >> 40) % 3 == 0);
  }
  for (int k : {1, 4}) {
    MarkovModel m(Json{{"order", k}});
    FitOptions f;
    f.threads = 2;
    const auto start = std::chrono::steady_clock::now();
    m.fit(rows.view(), f);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MESSAGE("markov order " << k << " fit on 60000 x 784, 2 threads: " << seconds << " s");
    WARN(seconds < 2.0);
    CHECK(seconds < 20.0);  // generous: the suite may share the machine
  }
}

// ---------------------------------------------------------------- M levels, tied tables

namespace {

DataView with_levels(const Rows& rows, int64_t m) {
  DataView v = rows.view();
  v.levels = m;
  return v;
}

MarkovModel fitted_levels(const Rows& rows, int64_t m, int order, bool tied, double alpha = 1.0, int threads = 0) {
  MarkovModel model(Json{{"order", order}, {"alpha", alpha}, {"tied", tied}});
  FitOptions f;
  f.threads = threads;
  model.fit(with_levels(rows, m), f);
  return model;
}

const TensorRef& tensor_named(const std::vector<TensorRef>& t, const char* name) {
  for (const TensorRef& r : t)
    if (r.name == name) return r;
  FAIL("no tensor " << name);
  return t[0];
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<double> level_log_probs(const GenerativeModel& m, const Rows& rows, int64_t levels) {
  std::vector<double> lp(static_cast<std::size_t>(rows.n));
  m.log_prob(with_levels(rows, levels), EvalOptions{}, lp.data());
  return lp;
}

// complete's draws for one row against p(x_u | x_o) by enumerating all M^D inputs.
void check_level_completion(const GenerativeModel& m, int64_t levels, std::vector<float> row,
                            const std::vector<uint8_t>& mask, int64_t n, uint64_t seed, ImageShape image = {}) {
  const int64_t d = static_cast<int64_t>(row.size());
  for (int64_t j = 0; j < d; ++j)
    if (!mask[static_cast<std::size_t>(j)]) row[static_cast<std::size_t>(j)] = std::numeric_limits<float>::quiet_NaN();
  Rows in{{}, n, d, image};
  std::vector<uint8_t> observed;
  for (int64_t i = 0; i < n; ++i) {
    in.x.insert(in.x.end(), row.begin(), row.end());
    observed.insert(observed.end(), mask.begin(), mask.end());
  }
  std::vector<float> out(in.x.size());
  SampleOptions s;
  s.seed = seed;
  m.complete(with_levels(in, levels), observed.data(), s, out.data());
  const std::vector<double> lp = all_level_log_probs(m, d, levels, image);
  std::vector<int64_t> counts(lp.size(), 0);
  bool valid = true;
  for (int64_t i = 0; i < n; ++i) {
    const float* y = &out[static_cast<std::size_t>(i * d)];
    for (int64_t j = 0; j < d; ++j) {
      if (mask[static_cast<std::size_t>(j)] && y[j] != row[static_cast<std::size_t>(j)]) valid = false;
      if (!(y[j] >= 0.0f && y[j] < static_cast<float>(levels) && y[j] == std::floor(y[j]))) valid = false;
    }
    if (valid) ++counts[static_cast<std::size_t>(level_index_of(y, d, levels))];
  }
  REQUIRE(valid);
  const Rows all = all_level_inputs(d, levels);
  std::vector<double> probs(lp.size(), 0.0);
  double z = 0.0;
  for (std::size_t k = 0; k < lp.size(); ++k) {
    bool consistent = true;
    for (int64_t j = 0; j < d; ++j)
      if (mask[static_cast<std::size_t>(j)] &&
          all.x[k * static_cast<std::size_t>(d) + static_cast<std::size_t>(j)] != row[static_cast<std::size_t>(j)])
        consistent = false;
    if (consistent) z += probs[k] = std::exp(lp[k]);
  }
  for (double& p : probs) p /= z;
  check_frequencies(counts, probs, n);
}

// A model file written by markov before M levels (commit 1e75583's build): order 2, alpha 0.5,
// fitted on kOldData (30 rows of 6 binary values, layout 1x2x3). No "levels" metadata; counts
// (6, 4, 2) and p (6, 4).
const char* const kOldFile =
    "10010000000000007b225f5f6d657461646174615f5f223a7b22636f6e666967223a227b5c22616c7068615c223a302e352c"
    "5c226f726465725c223a327d222c22646174615f7368617065223a225b362c312c322c335d222c22666f726d6174223a2267"
    "656e6d6f64656c73222c2267656e6d6f64656c735f76657273696f6e223a22302e312e30222c226b696e64223a226d61726b"
    "6f76227d2c22636f756e7473223a7b226474797065223a22493634222c227368617065223a5b362c342c325d2c2264617461"
    "5f6f666673657473223a5b302c3338345d7d2c2270223a7b226474797065223a22463634222c227368617065223a5b362c34"
    "5d2c22646174615f6f666673657473223a5b3338342c3537365d7d7d202014000000000000000a0000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000110000000000"
    "0000030000000000000003000000000000000700000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000f0000000000000002000000000000000300000000000000000000000000000002000000000000000100"
    "000000000000010000000000000006000000000000000f000000000000000200000000000000020000000000000001000000"
    "0000000004000000000000000000000000000000020000000000000004000000000000000d00000000000000060000000000"
    "0000000000000000000002000000000000000400000000000000000000000000000002000000000000000300000000000000"
    "0e00000000000000030000000000000004000000000000000200000000000000010000000000000001000000000000000200"
    "0000000000000300000000000000adb5d65a6badd53f000000000000e03f000000000000e03f000000000000e03f55555555"
    "5555c53fd145175d74d1e53f000000000000e03f000000000000e03f721cc7711cc7c13f000000000000c03f000000000000"
    "d83f000000000000ea3f721cc7711cc7c13f000000000000d83f9a9999999999b93f254992244992e43fcdccccccccccd43f"
    "abaaaaaaaaaaea3f9a9999999999b93fabaaaaaaaaaae23f398ee3388ee3c83fb76ddbb66ddbd63f000000000000e03fabaa"
    "aaaaaaaae23f";
const char* const kOldData =
    "000110000000111001000110101000111111000000001001000010000010001100000000100000110001010000111000000000000000"
    "010011000000000010000000100010000000010000111111000011111111000000111101";
// That build's log-prob --out for the 30 rows, sample --n 4 --seed 7, and complete of the first
// 4 rows with the bottom half hidden, --seed 3.
const double kOldLogProbs[30] = {
    -0x1.e37e235a6c64ap+1, -0x1.81141b1389f41p+0, -0x1.1c8884249b82ep+2, -0x1.e37e235a6c64ap+1, -0x1.0002a2449933bp+2,
    -0x1.98b67ed38d1aap+1, -0x1.81141b1389f41p+0, -0x1.321ba74b86d0ap+2, -0x1.3af88d33cde99p+1, -0x1.3af88d33cde99p+1,
    -0x1.47a46a249a053p+2, -0x1.81141b1389f41p+0, -0x1.ba7013a6d8ca2p+1, -0x1.51a34ed5e39cbp+2, -0x1.86d869a8bfd3cp+1,
    -0x1.832110fde9f68p+1, -0x1.81141b1389f41p+0, -0x1.81141b1389f41p+0, -0x1.2641c09f16453p+2, -0x1.81141b1389f41p+0,
    -0x1.3af88d33cde99p+1, -0x1.81141b1389f41p+0, -0x1.1a6f49a870dcdp+2, -0x1.81141b1389f41p+0, -0x1.86d869a8bfd3cp+1,
    -0x1.98b67ed38d1aap+1, -0x1.8635251f31b0ap+1, -0x1.98b67ed38d1aap+1, -0x1.81141b1389f41p+0, -0x1.d7833a25f5568p+1};
const char* const kOldSamples = "010010000010000000010111";
const char* const kOldCompletions = "000010000000111000000000";

Rows digits(const std::string& s, int64_t d, ImageShape image = {}) {
  Rows r{{}, static_cast<int64_t>(s.size()) / d, d, image};
  for (char c : s) r.x.push_back(static_cast<float>(c - '0'));
  return r;
}

}  // namespace

TEST_CASE("markov: binary results and files are those of the kind before M levels") {
  const Rows data = digits(kOldData, 6, ImageShape{1, 2, 3});
  const std::vector<uint8_t> old_bytes = from_hex(kOldFile);
  const auto old = load_model_bytes(old_bytes.data(), old_bytes.size());
  CHECK(old->levels() == 2);
  // log_prob, sample and complete of the old file: bit for bit the old build's.
  const std::vector<double> lp = log_probs(*old, data);
  for (int i = 0; i < 30; ++i) CHECK(lp[static_cast<std::size_t>(i)] == kOldLogProbs[i]);
  CHECK(sample_rows(*old, 4, 7, 0) == digits(kOldSamples, 6).x);
  {
    Rows first{{data.x.begin(), data.x.begin() + 24}, 4, 6, data.image};
    std::vector<uint8_t> mask;
    for (int i = 0; i < 4; ++i) mask.insert(mask.end(), {1, 1, 1, 0, 0, 0});
    std::vector<float> out(24);
    SampleOptions s;
    s.seed = 3;
    old->complete(first.view(), mask.data(), s, out.data());
    CHECK(out == digits(kOldCompletions, 6).x);
  }
  // A fit today gives the same tensors, byte for byte; its file (with "levels" 2) loads.
  MarkovModel now(Json{{"order", 2}, {"alpha", 0.5}});
  now.fit(data.view(), FitOptions{});
  const std::vector<TensorRef> a = old->tensors(), b = now.tensors();
  REQUIRE(a.size() == b.size());
  for (std::size_t j = 0; j < a.size(); ++j) {
    CHECK(a[j].name == b[j].name);
    CHECK(a[j].shape == b[j].shape);
    CHECK(std::memcmp(a[j].data, b[j].data, a[j].bytes()) == 0);
  }
  const std::vector<uint8_t> bytes = save_model_bytes(now);
  const auto again = load_model_bytes(bytes.data(), bytes.size());
  CHECK(log_probs(*again, data) == lp);
  CHECK(save_model_bytes(*again) == bytes);
  // A partial fit continues from the old file's counts.
  auto cont = load_model_bytes(old_bytes.data(), old_bytes.size());
  FitOptions warm;
  warm.warm_start = true;
  cont->fit(data.view(), warm);
  Rows twice = data;
  twice.x.insert(twice.x.end(), data.x.begin(), data.x.end());
  twice.n *= 2;
  MarkovModel both(Json{{"order", 2}, {"alpha", 0.5}});
  both.fit(twice.view(), FitOptions{});
  CHECK(save_model_bytes(*cont) == save_model_bytes(both));
}

TEST_CASE("markov: M levels sum to 1 over all 256 images of 2x2 pixels with M = 4") {
  const ImageShape image{1, 2, 2};
  const Rows rows = random_levels(60, 4, 4, 17, image);
  for (int order : {1, 2, 3})
    for (bool tied : {false, true})
      for (double alpha : {1.0, 0.01}) {
        CAPTURE(order);
        CAPTURE(tied);
        CAPTURE(alpha);
        const MarkovModel m = fitted_levels(rows, 4, order, tied, alpha);
        CHECK(m.levels() == 4);
        CHECK(std::fabs(total_level_probability(m, 4, 4, image) - 1.0) < 1e-9);
      }
}

TEST_CASE("markov: p_t(v | c) = (n + alpha) / (n_c + M alpha), untied and tied, by hand") {
  // Rows (0, 1, 2) and (1, 1, 0), M = 3, order 1.
  const Rows rows{{0, 1, 2, 1, 1, 0}, 2, 3, {}};
  const MarkovModel untied = fitted_levels(rows, 3, 1, false);
  const std::vector<TensorRef> t = untied.tensors();
  CHECK(tensor_named(t, "p").shape == std::vector<int64_t>{3, 3, 3});
  CHECK(tensor_named(t, "counts").shape == std::vector<int64_t>{3, 3, 3});
  const auto* p = static_cast<const double*>(tensor_named(t, "p").data);
  CHECK(p[0 * 9 + 0 * 3 + 1] == doctest::Approx(2.0 / 5.0));  // position 0: one 0, one 1 of 2 rows
  CHECK(p[1 * 9 + 1 * 3 + 1] == doctest::Approx(2.0 / 4.0));  // position 1 after a 1: one row, x = 1
  CHECK(p[2 * 9 + 2 * 3 + 0] == doctest::Approx(1.0 / 3.0));  // unseen context: 1/M
  CHECK(level_log_probs(untied, rows, 3)[0] ==
        doctest::Approx(std::log(2.0 / 5.0) + std::log(2.0 / 4.0) + std::log(2.0 / 5.0)).epsilon(1e-14));

  const MarkovModel tied = fitted_levels(rows, 3, 1, true);
  const std::vector<TensorRef> u = tied.tensors();
  CHECK(tensor_named(u, "p").shape == std::vector<int64_t>{1, 3, 3});
  const auto* q = static_cast<const double*>(tensor_named(u, "p").data);
  const auto* n = static_cast<const int64_t*>(tensor_named(u, "counts").data);
  // Context 0 (x0 of both rows, and x1 after x0 = 0): levels 0, 1, 1; context 1: 2, 1, 0.
  CHECK(std::vector<int64_t>(n, n + 9) == std::vector<int64_t>{1, 2, 0, 1, 1, 1, 0, 0, 0});
  CHECK(q[1] == doctest::Approx(3.0 / 6.0));
  CHECK(q[3 + 2] == doctest::Approx(2.0 / 6.0));
  CHECK(level_log_probs(tied, rows, 3)[0] ==
        doctest::Approx(std::log(2.0 / 6.0) + std::log(3.0 / 6.0) + std::log(2.0 / 6.0)).epsilon(1e-14));
  // Parameter counts: (D, M^k, M) and (1, M^k, M) tables of M - 1 free entries a row.
  CHECK(untied.dims(784, 256).cells == int64_t{784} * 65536);
  CHECK(tied.dims(784, 256).cells == int64_t{65536});
}

TEST_CASE("markov: RGB images go pixel by pixel, R, G, B within a pixel") {
  // C = 3, H = 1, W = 2: the stored row is (R0, R1, G0, G1, B0, B1); the pixel order is
  // R0 G0 B0 R1 G1 B1 = stored 0, 2, 4, 1, 3, 5.
  const ImageShape image{3, 1, 2};
  const int64_t order[6] = {0, 2, 4, 1, 3, 5};
  const Rows rows = random_levels(80, 6, 2, 23, image);
  for (bool tied : {false, true}) {
    CAPTURE(tied);
    const MarkovModel m = fitted_levels(rows, 2, 1, tied, 0.5);
    CHECK(std::fabs(total_level_probability(m, 6, 2, image) - 1.0) < 1e-9);
    // One image by hand: Π_t p_t(x_{order[t]} | x_{order[t−1]}).
    const auto* p = static_cast<const double*>(tensor_named(m.tensors(), "p").data);
    const Rows one{{1, 0, 1, 1, 0, 1}, 1, 6, image};
    double want = 0.0;
    int64_t c = 0;
    for (int64_t t = 0; t < 6; ++t) {
      const float v = one.x[static_cast<std::size_t>(order[t])];
      const double p1 = p[(tied ? 0 : t) * 2 + c];
      want += std::log(v != 0.0f ? p1 : 1.0 - p1);
      c = static_cast<int64_t>(v);
    }
    CHECK(level_log_probs(m, one, 2)[0] == doctest::Approx(want).epsilon(1e-13));
  }
  // The same as a flat chain fitted on the rows permuted into pixel order, bit for bit, in
  // every verb (M = 3, order 2).
  const Rows rgb = random_levels(120, 6, 3, 29, image);
  Rows flat{std::vector<float>(rgb.x.size()), rgb.n, 6, {}};
  for (int64_t r = 0; r < rgb.n; ++r)
    for (int64_t t = 0; t < 6; ++t)
      flat.x[static_cast<std::size_t>(r * 6 + t)] = rgb.x[static_cast<std::size_t>(r * 6 + order[t])];
  const MarkovModel a = fitted_levels(rgb, 3, 2, false), b = fitted_levels(flat, 3, 2, false);
  CHECK(level_log_probs(a, rgb, 3) == level_log_probs(b, flat, 3));
  const std::vector<float> sa = sample_rows(a, 50, 5, 0), sb = sample_rows(b, 50, 5, 0);
  std::vector<uint8_t> mask(rgb.x.size()), flat_mask(rgb.x.size());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = (i * 7) % 3 == 0;
  std::vector<float> ca(rgb.x.size()), cb(rgb.x.size());
  for (int64_t r = 0; r < rgb.n; ++r)
    for (int64_t t = 0; t < 6; ++t)
      flat_mask[static_cast<std::size_t>(r * 6 + t)] = mask[static_cast<std::size_t>(r * 6 + order[t])];
  SampleOptions s;
  s.seed = 9;
  a.complete(with_levels(rgb, 3), mask.data(), s, ca.data());
  b.complete(with_levels(flat, 3), flat_mask.data(), s, cb.data());
  for (int64_t r = 0; r < 50; ++r)
    for (int64_t t = 0; t < 6; ++t) {
      CHECK(sa[static_cast<std::size_t>(r * 6 + order[t])] == sb[static_cast<std::size_t>(r * 6 + t)]);
      CHECK(ca[static_cast<std::size_t>(r * 6 + order[t])] == cb[static_cast<std::size_t>(r * 6 + t)]);
    }
}

TEST_CASE("markov: M-level samples follow exp(log_prob) (joint and marginals)") {
  check_level_sampler(fitted_levels(random_levels(200, 4, 3, 31), 3, 1, false, 0.5), 4, 3, 40000, 201);
  check_level_sampler(fitted_levels(random_levels(200, 4, 4, 32), 4, 2, false, 0.3), 4, 4, 60000, 202);
  check_level_sampler(fitted_levels(random_levels(200, 5, 3, 33), 3, 2, true, 0.5), 5, 3, 60000, 203);
  const ImageShape rgb{3, 1, 2};
  check_level_sampler(fitted_levels(random_levels(200, 6, 2, 34, rgb), 2, 1, false), 6, 2, 40000, 204, rgb);
}

TEST_CASE("markov: M-level complete draws exactly from p(x_u | x_o)") {
  const int64_t d = 5, m = 3;
  const Rows train = random_levels(200, d, m, 41);
  const std::vector<float> row{2, 0, 1, 1, 2};
  const std::vector<std::vector<uint8_t>> masks = {
      {0, 0, 0, 0, 0},  // nothing observed
      {1, 0, 0, 0, 1},  // both ends pinned
      {0, 1, 0, 1, 0},  // every other pixel
      {0, 0, 1, 1, 0},  // a block
  };
  for (int order : {1, 2, 3})
    for (bool tied : {false, true}) {
      const MarkovModel model = fitted_levels(train, m, order, tied, 0.5);
      for (std::size_t i = 0; i < masks.size(); ++i) {
        CAPTURE(order);
        CAPTURE(tied);
        CAPTURE(i);
        check_level_completion(model, m, row, masks[i], 30000, 700 + i);
      }
    }
  // Fully observed rows come back unchanged; RGB order too.
  const ImageShape rgb{3, 1, 2};
  const MarkovModel c = fitted_levels(random_levels(100, 6, 3, 43, rgb), 3, 2, false);
  check_level_completion(c, 3, {2, 1, 0, 0, 1, 2}, {1, 0, 0, 1, 0, 1}, 30000, 9, rgb);
  check_level_completion(c, 3, {2, 1, 0, 0, 1, 2}, std::vector<uint8_t>(6, 1), 10, 9, rgb);
}

TEST_CASE("markov: M-level fits do not depend on the thread count") {
  const Rows rows = random_levels(157, 30, 5, 12);
  for (bool tied : {false, true}) {
    const MarkovModel a = fitted_levels(rows, 5, 2, tied, 1.0, 1), b = fitted_levels(rows, 5, 2, tied, 1.0, 2);
    CHECK(save_model_bytes(a) == save_model_bytes(b));
    CHECK(sample_rows(a, 64, 3, 1) == sample_rows(a, 64, 3, 2));
    std::vector<uint8_t> mask(rows.x.size());
    for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = i % 4 == 1;
    std::vector<float> c1(rows.x.size()), c2(rows.x.size());
    SampleOptions s;
    s.seed = 4;
    s.threads = 1;
    a.complete(with_levels(rows, 5), mask.data(), s, c1.data());
    s.threads = 2;
    a.complete(with_levels(rows, 5), mask.data(), s, c2.data());
    CHECK(c1 == c2);
  }
}

TEST_CASE("markov: M-level partial fits add counts and equal the one-shot fit bit for bit") {
  const Rows rows = random_levels(95, 7, 6, 4, ImageShape{1, 1, 7});
  for (bool tied : {false, true})
    for (int order : {1, 2}) {
      CAPTURE(tied);
      CAPTURE(order);
      const MarkovModel whole = fitted_levels(rows, 6, order, tied, 0.25);
      MarkovModel chunked(whole.config());
      FitOptions f;
      for (int64_t start = 0; start < rows.n; start += 40) {
        const int64_t n = std::min<int64_t>(40, rows.n - start);
        Rows chunk{{rows.x.begin() + start * rows.d, rows.x.begin() + (start + n) * rows.d}, n, rows.d, rows.image};
        DataView v = chunk.view();
        if (start == 0) v.levels = 6;  // later chunks take the model's M
        chunked.fit(v, f);
        f.warm_start = true;
      }
      CHECK(chunked.levels() == 6);
      CHECK(save_model_bytes(chunked) == save_model_bytes(whole));
      // Another stated M is refused and changes nothing.
      CHECK(status_of([&] { chunked.fit(with_levels(random_levels(5, 7, 7, 9), 7), f); }) == Status::invalid_data);
      CHECK(save_model_bytes(chunked) == save_model_bytes(whole));
    }
}

TEST_CASE("markov: M-level save and load are bit-identical") {
  const ImageShape image{3, 2, 2};
  const Rows rows = random_levels(40, 12, 5, 8, image);
  for (bool tied : {false, true}) {
    CAPTURE(tied);
    const MarkovModel m = fitted_levels(rows, 5, 2, tied, 0.1);
    const std::vector<uint8_t> bytes = save_model_bytes(m);
    const auto loaded = load_model_bytes(bytes.data(), bytes.size());
    CHECK(loaded->levels() == 5);
    CHECK(loaded->config() == m.config());
    CHECK(save_model_bytes(*loaded) == bytes);
    CHECK(level_log_probs(*loaded, rows, 5) == level_log_probs(m, rows, 5));
    CHECK(sample_rows(*loaded, 30, 2, 0) == sample_rows(m, 30, 2, 0));
    const SavedTensors saved = save_unaligned(m);
    MarkovModel copy(m.config());
    copy.restore(m.data_shape(), saved.refs);
    CHECK(save_model_bytes(copy) == bytes);
  }
}

TEST_CASE("markov: the loader checks M-level and tied counts, shapes and p") {
  const Rows rows = random_levels(30, 5, 3, 1);
  const auto restore_status = [](const Json& config, const DataShape& shape, const std::vector<TensorRef>& refs) {
    return status_of([&] { MarkovModel(config).restore(shape, refs); });
  };
  const auto restore_message = [](const Json& config, const DataShape& shape, const std::vector<TensorRef>& refs) {
    return message_of([&] { MarkovModel(config).restore(shape, refs); });
  };
  for (bool tied : {false, true}) {
    CAPTURE(tied);
    const MarkovModel m = fitted_levels(rows, 3, 2, tied);
    const Json config = m.config();
    const DataShape shape = m.data_shape();
    std::vector<TensorRef> t = m.tensors();
    CHECK(restore_status(config, shape, t) == Status::ok);
    // Wrong shapes: another M, order, d, tying; p alone; the binary p layout.
    CHECK(restore_status(config, DataShape{5, {}, 4}, t) == Status::corrupt_file);
    CHECK(restore_status(config, DataShape{5, {}, 2}, t) == Status::corrupt_file);
    CHECK(restore_status(Json{{"order", 1}, {"tied", tied}}, shape, t) == Status::corrupt_file);
    CHECK(restore_status(Json{{"order", 2}, {"tied", !tied}}, shape, t) == Status::corrupt_file);
    if (!tied) CHECK(restore_status(config, DataShape{4, {}, 3}, t) == Status::corrupt_file);
    CHECK(restore_status(config, shape, {t[1]}) == Status::corrupt_file);
    // Counts that no rows give.
    std::vector<int64_t> counts(static_cast<const int64_t*>(t[0].data),
                                static_cast<const int64_t*>(t[0].data) + t[0].elements());
    std::vector<TensorRef> bad = t;
    bad[0].data = counts.data();
    ++counts[static_cast<std::size_t>(tied ? 0 : 9 * 3)];  // untied: position 1, context 0, level 0
    CHECK(restore_message(config, shape, bad).find("inconsistent") != std::string::npos);
    --counts[static_cast<std::size_t>(tied ? 0 : 9 * 3)];
    CHECK(restore_status(config, shape, bad) == Status::ok);
    counts[5] = -1;
    CHECK(restore_status(config, shape, bad) == Status::corrupt_file);
    counts[5] = static_cast<const int64_t*>(t[0].data)[5];
    // A p the counts do not give.
    std::vector<double> p(static_cast<const double*>(t[1].data),
                          static_cast<const double*>(t[1].data) + t[1].elements());
    p[4] = std::nextafter(p[4], 1.0);
    bad[1].data = p.data();
    CHECK(restore_message(config, shape, bad).find("the stored counts give") != std::string::npos);
  }
  // Tied counts with the right total whose contexts are entered more often than anything leads
  // into them: one row of 3 pixels, order 1, M = 3, counted as n_{0,0} = 2, n_{2,1} = 1.
  std::vector<int64_t> counts{2, 0, 0, 0, 0, 0, 0, 1, 0};
  std::vector<double> p(9, 0.25);
  TensorRef c{"counts", DType::i64, {1, 3, 3}, counts.data()}, q{"p", DType::f64, {1, 3, 3}, p.data()};
  const Json tied1{{"order", 1}, {"tied", true}};
  CHECK(restore_message(tied1, DataShape{3, {}, 3}, {c, q}).find("inconsistent") != std::string::npos);
  counts = {2, 0, 0, 0, 0, 0, 0, 0, 0};  // 2 pixels counted for 3 positions
  c.data = counts.data();
  CHECK(restore_message(tied1, DataShape{3, {}, 3}, {c, q}).find("inconsistent") != std::string::npos);
  // Tied and M > 2 files must hold their counts.
  const MarkovModel tb = fitted_levels(random_binary(20, 4, 2), 2, 2, true);
  CHECK(restore_status(tb.config(), tb.data_shape(), {tb.tensors()[1]}) == Status::corrupt_file);
  CHECK(restore_status(tb.config(), tb.data_shape(), tb.tensors()) == Status::ok);
}

TEST_CASE("markov: tables beyond the memory budget are refused before they are allocated") {
  Rows one{std::vector<float>(784, 0.0f), 1, 784, ImageShape{1, 28, 28}};
  for (const std::pair<int, bool>& c :
       std::vector<std::pair<int, bool>>{{3, false}, {3, true}, {12, false}, {5, true}}) {
    const int order = c.first;
    const bool tied = c.second;
    CAPTURE(order);
    CAPTURE(tied);
    MarkovModel m(Json{{"order", order}, {"tied", tied}});
    const std::string why = message_of([&] { m.fit(with_levels(one, 256), FitOptions{}); });
    CHECK(status_of([&] { m.fit(with_levels(one, 256), FitOptions{}); }) == Status::out_of_memory);
    CHECK(why.find("order " + std::to_string(order) + " on 256 levels") != std::string::npos);
    CHECK(why.find("lower the order") != std::string::npos);
    CHECK((why.find("\"tied\": true") != std::string::npos) == !tied);
    CHECK_FALSE(m.fitted());
  }
  // complete's forward tables count too.
  const Rows rows = random_levels(20, 16, 64, 3);
  const MarkovModel m = fitted_levels(rows, 64, 1, false);
  gm::limits::set_memory_budget(4 << 10);  // 4 KiB: less than one 16 x 64 table of doubles
  std::vector<float> out(rows.x.size());
  std::vector<uint8_t> mask(rows.x.size(), 0);
  const std::string why =
      message_of([&] { m.complete(with_levels(rows, 64), mask.data(), SampleOptions{}, out.data()); });
  gm::limits::set_memory_budget(0);
  CHECK(why.find("complete") != std::string::npos);
  CHECK(why.find("memory budget") != std::string::npos);
  CHECK(status_of([&] { m.complete(with_levels(rows, 64), mask.data(), SampleOptions{}, out.data()); }) == Status::ok);
}
