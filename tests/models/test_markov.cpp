#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "exact_helpers.hpp"
#include "models/markov.hpp"

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
  CHECK(m.config() == Json::parse(R"({"alpha": 1.0, "order": 1})"));
  CHECK(m.capabilities() ==
        (cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_binary_data));
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
