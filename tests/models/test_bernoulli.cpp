#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "exact_helpers.hpp"
#include "models/bernoulli.hpp"

using namespace gm_test;
using gm::BernoulliModel;

namespace {

BernoulliModel fitted_bernoulli(const Rows& rows, double alpha = 1.0) {
  BernoulliModel m(Json{{"alpha", alpha}});
  m.fit(rows.view(), FitOptions{});
  return m;
}

const double* p_of(const GenerativeModel& m) {
  // "ones", "rows" (the counts partial fit adds to) and "p", last.
  const std::vector<TensorRef> t = m.tensors();
  REQUIRE(t.size() == 3);
  CHECK(t[2].name == "p");
  CHECK(t[2].dtype == DType::f64);
  return static_cast<const double*>(t[2].data);
}

}  // namespace

TEST_CASE("bernoulli: configuration defaults and the effective config") {
  BernoulliModel m(Json::object());
  CHECK(std::string(m.kind()) == "bernoulli");
  CHECK(m.config() == Json::parse(R"({"alpha": 1.0})"));
  CHECK(m.capabilities() ==
        (cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_binary_data));
  CHECK_FALSE(m.fitted());
  CHECK(BernoulliModel(Json{{"alpha", 0.25}}).config()["alpha"] == 0.25);
  CHECK(status_of([] { BernoulliModel(Json{{"alpah", 1.0}}); }) == Status::invalid_config);
  CHECK(status_of([] { BernoulliModel(Json{{"alpha", 0.0}}); }) == Status::invalid_config);
  CHECK(status_of([] { BernoulliModel(Json{{"alpha", -1.0}}); }) == Status::invalid_config);
  CHECK(status_of([] { BernoulliModel(Json{{"alpha", "one"}}); }) == Status::invalid_config);
}

TEST_CASE("bernoulli: fit gives p_i = (c_i + alpha) / (N + 2 alpha)") {
  const Rows rows = random_binary(37, 11, 5);
  for (double alpha : {1.0, 0.5, 1e-3}) {
    CAPTURE(alpha);
    double reported = 0.0;
    int64_t calls = 0;
    FitOptions f;
    f.progress = [&](int64_t step, int64_t total, double loss) {
      CHECK(step == 1);
      CHECK(total == 1);
      reported = loss;
      ++calls;
      return false;
    };
    BernoulliModel m(Json{{"alpha", alpha}});
    m.fit(rows.view(), f);
    CHECK(m.fitted());
    CHECK(m.data_shape().d == 11);
    const double* p = p_of(m);
    for (int64_t i = 0; i < rows.d; ++i) {
      double c = 0;
      for (int64_t r = 0; r < rows.n; ++r) c += rows.x[r * rows.d + i];
      CHECK(p[i] == doctest::Approx((c + alpha) / (37.0 + 2.0 * alpha)).epsilon(1e-15));
    }
    // The reported loss is the mean training NLL.
    CHECK(calls == 1);
    double nll = 0.0;
    for (double lp : log_probs(m, rows)) nll -= lp;
    CHECK(reported == doctest::Approx(nll / 37.0).epsilon(1e-12));
  }
}

TEST_CASE("bernoulli: fit records the image layout; refit replaces the parameters") {
  const Rows bas = bars_and_stripes_3x3();
  REQUIRE(bas.n == 14);
  BernoulliModel m(Json::object());
  m.fit(bas.view(), FitOptions{});
  CHECK(m.data_shape().image.height == 3);
  CHECK(m.data_shape().image.width == 3);
  // Every pixel is on in exactly 7 of the 14 patterns.
  for (int i = 0; i < 9; ++i) CHECK(p_of(m)[i] == doctest::Approx(8.0 / 16.0));
  const Rows other = random_binary(20, 5, 1);
  m.fit(other.view(), FitOptions{});
  CHECK(m.data_shape().d == 5);
  CHECK_FALSE(m.data_shape().image.is_image());
}

TEST_CASE("bernoulli: sum of exp(log_prob) over all 2^D inputs is 1") {
  CHECK(total_probability(fitted_bernoulli(bars_and_stripes_3x3()), 9) == doctest::Approx(1.0).epsilon(1e-9));
  for (int64_t d : {10, 13, 16}) {
    CAPTURE(d);
    const BernoulliModel m = fitted_bernoulli(random_binary(100, d, static_cast<uint64_t>(d)), 0.5);
    CHECK(std::fabs(total_probability(m, d) - 1.0) < 1e-9);
  }
}

TEST_CASE("bernoulli: samples agree with exp(log_prob)") {
  for (int64_t d : {4, 6}) {
    CAPTURE(d);
    check_sampler(fitted_bernoulli(random_binary(200, d, 11)), d, 100000, 1234);
  }
}

TEST_CASE("bernoulli: complete draws from p(x_u | x_o)") {
  const int64_t d = 8;
  const BernoulliModel m = fitted_bernoulli(random_binary(200, d, 3));
  Rng rng(77, 0);
  std::vector<float> row(d);
  std::vector<uint8_t> mask(d);
  for (int64_t j = 0; j < d; ++j) {
    row[j] = static_cast<float>(rng.bernoulli(0.5));
    mask[j] = rng.bernoulli(0.5);
  }
  check_completion(m, row, mask, 100000, 9);
}

TEST_CASE("bernoulli: same seed gives the same samples on 1 or 2 threads") {
  const Rows rows = random_binary(50, 12, 2);
  const BernoulliModel m = fitted_bernoulli(rows);
  const std::vector<float> a = sample_rows(m, 301, 42, 1);
  CHECK(a == sample_rows(m, 301, 42, 2));
  CHECK(a == sample_rows(m, 301, 42, 0));
  CHECK(a != sample_rows(m, 301, 43, 1));
  CHECK(complete_rows(m, rows, 5, 1) == complete_rows(m, rows, 5, 2));
  CHECK(log_probs(m, rows, 1) == log_probs(m, rows, 2));
}

TEST_CASE("bernoulli: tensors -> restore gives bit-identical outputs") {
  const Rows rows = random_binary(60, 10, 8);
  const BernoulliModel m = fitted_bernoulli(rows, 0.3);
  const SavedTensors saved = save_unaligned(m);
  BernoulliModel copy(m.config());
  copy.restore(m.data_shape(), saved.refs);
  CHECK(copy.fitted());
  CHECK(copy.data_shape().d == 10);
  CHECK(log_probs(copy, rows) == log_probs(m, rows));
  CHECK(sample_rows(copy, 100, 3, 0) == sample_rows(m, 100, 3, 0));
  CHECK(complete_rows(copy, rows, 4, 0) == complete_rows(m, rows, 4, 0));
}

TEST_CASE("bernoulli: restore rejects wrong shapes and bad probabilities") {
  const BernoulliModel m = fitted_bernoulli(random_binary(30, 6, 1));
  const auto restore_status = [&](const DataShape& shape, const std::vector<TensorRef>& refs) {
    return status_of([&] { BernoulliModel(Json::object()).restore(shape, refs); });
  };
  SavedTensors s = save_unaligned(m);
  CHECK(restore_status(DataShape{6, {}}, s.refs) == Status::ok);
  CHECK(restore_status(DataShape{7, {}}, s.refs) == Status::corrupt_file);
  CHECK(restore_status(DataShape{0, {}}, s.refs) == Status::corrupt_file);
  CHECK(restore_status(DataShape{6, ImageShape{1, 2, 2}}, s.refs) == Status::corrupt_file);
  CHECK(restore_status(DataShape{6, {}}, {}) == Status::corrupt_file);
  std::vector<TensorRef> renamed = s.refs;
  renamed[0].name = "q";
  CHECK(restore_status(DataShape{6, {}}, renamed) == Status::corrupt_file);
  std::vector<TensorRef> f32 = s.refs;
  f32[0].dtype = DType::f32;
  CHECK(restore_status(DataShape{6, {}}, f32) == Status::corrupt_file);
  for (double bad : {std::nan(""), 0.0, 1.0, -0.25, 1.5, std::numeric_limits<double>::infinity()}) {
    CAPTURE(bad);
    std::vector<double> p(6, 0.5);
    p[3] = bad;
    TensorRef t = s.refs.back();  // "p", alone: a file without counts
    t.data = p.data();
    CHECK(restore_status(DataShape{6, {}}, {t}) == Status::corrupt_file);
  }
  // A failed restore leaves a fitted model as it was.
  BernoulliModel kept = fitted_bernoulli(random_binary(30, 6, 2));
  const std::vector<float> before = sample_rows(kept, 10, 1, 0);
  CHECK(status_of([&] { kept.restore(DataShape{7, {}}, s.refs); }) == Status::corrupt_file);
  CHECK(sample_rows(kept, 10, 1, 0) == before);
}

TEST_CASE("bernoulli: errors name the problem") {
  BernoulliModel m(Json::object());
  float out[4];
  double lp[1];
  CHECK(status_of([&] { m.sample(1, SampleOptions{}, out); }) == Status::not_fitted);
  Rows one{{0, 1, 0, 1}, 1, 4, {}};
  CHECK(status_of([&] { m.log_prob(one.view(), EvalOptions{}, lp); }) == Status::not_fitted);
  const uint8_t mask[4] = {1, 0, 1, 0};
  CHECK(status_of([&] { m.complete(one.view(), mask, SampleOptions{}, out); }) == Status::not_fitted);
  CHECK(status_of([&] { (void)m.tensors(); }) == Status::not_fitted);

  Rows half{{0, 0.5f, 1, 0}, 1, 4, {}};
  CHECK(status_of([&] { m.fit(half.view(), FitOptions{}); }) == Status::invalid_data);
  Rows nan{{0, std::nanf(""), 1, 0}, 1, 4, {}};
  CHECK(status_of([&] { m.fit(nan.view(), FitOptions{}); }) == Status::invalid_data);
  CHECK_FALSE(m.fitted());
  m.fit(one.view(), FitOptions{});
  CHECK(status_of([&] { m.log_prob(half.view(), EvalOptions{}, lp); }) == Status::invalid_data);
  CHECK(status_of([&] { m.log_prob(nan.view(), EvalOptions{}, lp); }) == Status::invalid_data);
  Rows wide{{0, 1, 0, 1, 1}, 1, 5, {}};
  CHECK(status_of([&] { m.log_prob(wide.view(), EvalOptions{}, lp); }) == Status::invalid_data);

  // complete: unobserved entries may be anything, observed ones must be binary.
  Rows partial{{0, std::nanf(""), 1, 7.0f}, 1, 4, {}};
  CHECK(status_of([&] { m.complete(partial.view(), mask, SampleOptions{}, out); }) == Status::ok);
  CHECK((out[0] == 0.0f && out[2] == 1.0f));
  CHECK(((out[1] == 0.0f || out[1] == 1.0f) && (out[3] == 0.0f || out[3] == 1.0f)));
  const uint8_t all[4] = {1, 1, 1, 1};
  CHECK(status_of([&] { m.complete(partial.view(), all, SampleOptions{}, out); }) == Status::invalid_data);
  CHECK(status_of([&] { m.complete(partial.view(), nullptr, SampleOptions{}, out); }) == Status::invalid_argument);

  float codes[4];
  CHECK(status_of([&] { m.encode(one.view(), EvalOptions{}, codes); }) == Status::unsupported);
  CHECK(status_of([&] { m.decode(one.view(), SampleOptions{}, out); }) == Status::unsupported);
  CHECK(status_of([&] { (void)m.latent_dim(); }) == Status::unsupported);
  CHECK(message_of([&] { (void)m.encode_dim(); }).find("no latent space") != std::string::npos);
}

TEST_CASE("bernoulli: a cancelled fit leaves the model unchanged") {
  BernoulliModel m(Json::object());
  const Rows rows = random_binary(10, 4, 1);
  FitOptions f;
  f.progress = [](int64_t, int64_t, double) { return true; };
  CHECK(status_of([&] { m.fit(rows.view(), f); }) == Status::cancelled);
  CHECK_FALSE(m.fitted());
}

// require_fitted_rows, through the verbs: a layout is a claim about the data, so one that
// contradicts the model's is refused, while flat rows and an unlaid model accept anything
// of the right width.
TEST_CASE("bernoulli: rows whose image layout disagrees with the model's are invalid_data") {
  const Rows bas = bars_and_stripes_3x3();  // 1x3x3
  const BernoulliModel m = fitted_bernoulli(bas);
  std::vector<double> lp(static_cast<std::size_t>(bas.n));
  std::vector<float> out(bas.x.size());
  const std::vector<uint8_t> mask(bas.x.size(), 1);
  Rows strip = bas;
  strip.image = ImageShape{1, 1, 9};
  CHECK(status_of([&] { m.log_prob(strip.view(), EvalOptions{}, lp.data()); }) == Status::invalid_data);
  CHECK(status_of([&] { m.complete(strip.view(), mask.data(), SampleOptions{}, out.data()); }) == Status::invalid_data);
  const std::string message = message_of([&] { m.log_prob(strip.view(), EvalOptions{}, lp.data()); });
  CHECK(message.find("1x1x9") != std::string::npos);
  CHECK(message.find("1x3x3") != std::string::npos);

  Rows flat = bas;
  flat.image = ImageShape{};
  CHECK(status_of([&] { m.log_prob(flat.view(), EvalOptions{}, lp.data()); }) == Status::ok);
  CHECK(status_of([&] { m.complete(flat.view(), mask.data(), SampleOptions{}, out.data()); }) == Status::ok);

  const BernoulliModel unlaid = fitted_bernoulli(flat);
  CHECK_FALSE(unlaid.data_shape().image.is_image());
  CHECK(status_of([&] { unlaid.log_prob(strip.view(), EvalOptions{}, lp.data()); }) == Status::ok);
}
