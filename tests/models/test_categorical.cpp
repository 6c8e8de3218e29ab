#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "level_helpers.hpp"
#include "models/bernoulli.hpp"
#include "models/categorical.hpp"
#include "models/model_file.hpp"

using namespace gm_test;
using gm::CategoricalModel;

namespace {

DataView with_levels(const Rows& rows, int64_t m) {
  DataView v = rows.view();
  v.levels = m;
  return v;
}

CategoricalModel fitted_categorical(const Rows& rows, int64_t m, double alpha = 1.0) {
  CategoricalModel model(Json{{"alpha", alpha}});
  model.fit(with_levels(rows, m), FitOptions{});
  return model;
}

const TensorRef& tensor_named(const std::vector<TensorRef>& t, const char* name) {
  for (const TensorRef& r : t)
    if (r.name == name) return r;
  FAIL("no tensor " << name);
  return t[0];
}

}  // namespace

TEST_CASE("categorical: configuration and capabilities") {
  CategoricalModel m(Json::object());
  CHECK(std::string(m.kind()) == "categorical");
  CHECK(m.config() == Json::parse(R"({"alpha": 1.0})"));
  CHECK((m.capabilities() & cap_levels));
  CHECK_FALSE((m.capabilities() & cap_binary_data));
  CHECK(m.levels() == 2);  // before a fit
  CHECK(status_of([] { CategoricalModel(Json{{"alpha", 0.0}}); }) == Status::invalid_config);
  CHECK(status_of([] { CategoricalModel(Json{{"levels", 4}}); }) == Status::invalid_config);
}

TEST_CASE("categorical: fit gives p_i(v) = (n_iv + alpha) / (N + M alpha)") {
  const int64_t m = 5;
  const Rows rows = random_levels(41, 7, m, 3);
  for (double alpha : {1.0, 0.25}) {
    CAPTURE(alpha);
    const CategoricalModel model = fitted_categorical(rows, m, alpha);
    CHECK(model.levels() == m);
    CHECK(model.data_shape().levels == m);
    const std::vector<TensorRef> t = model.tensors();
    const auto* p = static_cast<const double*>(tensor_named(t, "p").data);
    const auto* counts = static_cast<const int64_t*>(tensor_named(t, "counts").data);
    for (int64_t i = 0; i < rows.d; ++i)
      for (int64_t v = 0; v < m; ++v) {
        int64_t n = 0;
        for (int64_t r = 0; r < rows.n; ++r) n += rows.x[static_cast<std::size_t>(r * rows.d + i)] == v;
        CHECK(counts[i * m + v] == n);
        CHECK(p[i * m + v] == doctest::Approx((n + alpha) / (41 + m * alpha)).epsilon(1e-15));
      }
    // log_prob is the sum of log p_i(x_i), exactly as written.
    std::vector<double> lp(static_cast<std::size_t>(rows.n));
    model.log_prob(with_levels(rows, m), EvalOptions{}, lp.data());
    for (int64_t r = 0; r < rows.n; ++r) {
      double want = 0.0;
      for (int64_t i = 0; i < rows.d; ++i)
        want += std::log(p[i * m + static_cast<int64_t>(rows.x[static_cast<std::size_t>(r * rows.d + i)])]);
      CHECK(lp[static_cast<std::size_t>(r)] == doctest::Approx(want).epsilon(1e-14));
    }
  }
}

TEST_CASE("categorical: exp(log_prob) sums to 1 over all 256 images of 2x2 pixels with M = 4") {
  const ImageShape image{1, 2, 2};
  const Rows rows = random_levels(50, 4, 4, 11, image);
  for (double alpha : {1.0, 1e-3}) {
    const CategoricalModel model = fitted_categorical(rows, 4, alpha);
    CHECK(std::fabs(total_level_probability(model, 4, 4, image) - 1.0) < 1e-9);
  }
}

TEST_CASE("categorical: samples follow the model (joint and per-pixel marginals, chi-square)") {
  const Rows rows = random_levels(200, 4, 4, 5);
  const CategoricalModel model = fitted_categorical(rows, 4, 0.5);
  check_level_sampler(model, 4, 4, 20000, 99);
  // Complete with nothing observed is the sampler; observed pixels are kept.
  std::vector<float> x(4, NAN), out(4), sample(4);
  std::vector<uint8_t> none(4, 0), some{1, 0, 1, 0};
  DataView v;
  v.x = x.data();
  v.n = 1;
  v.d = 4;
  SampleOptions s;
  s.seed = 7;
  model.complete(v, none.data(), s, out.data());
  model.sample(1, s, sample.data());
  CHECK(std::memcmp(out.data(), sample.data(), sizeof(float) * 4) == 0);
  x = {3, NAN, 1, NAN};
  model.complete(v, some.data(), s, out.data());
  CHECK(out[0] == 3.0f);
  CHECK(out[2] == 1.0f);
}

TEST_CASE("categorical: on binary data it is bernoulli") {
  const Rows rows = random_binary(60, 13, 2);
  const CategoricalModel cat = fitted_categorical(rows, 2, 0.7);
  gm::BernoulliModel bern(Json{{"alpha", 0.7}});
  bern.fit(rows.view(), FitOptions{});
  std::vector<double> a(60), b(60);
  cat.log_prob(rows.view(), EvalOptions{}, a.data());  // levels not stated: the model's own (2)
  bern.log_prob(rows.view(), EvalOptions{}, b.data());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-13));
  // Not stating the levels of a first fit means 2.
  CategoricalModel unstated(Json::object());
  unstated.fit(rows.view(), FitOptions{});
  CHECK(unstated.levels() == 2);
}

TEST_CASE("categorical: values must be levels of the model") {
  const Rows rows = random_levels(10, 4, 3, 1);
  CategoricalModel model = fitted_categorical(rows, 3);
  std::vector<double> lp(10);
  Rows bad = rows;
  bad.x[5] = 3.0f;  // = M
  CHECK(status_of([&] { model.log_prob(with_levels(bad, 3), EvalOptions{}, lp.data()); }) == Status::invalid_data);
  bad.x[5] = 1.5f;
  CHECK(message_of([&] { model.log_prob(with_levels(bad, 3), EvalOptions{}, lp.data()); }).find("integers in [0, 3)") !=
        std::string::npos);
  bad.x[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK(status_of([&] { model.log_prob(with_levels(bad, 3), EvalOptions{}, lp.data()); }) == Status::invalid_data);
  bad.x[5] = -1.0f;
  CHECK(status_of([&] { model.fit(with_levels(bad, 3), FitOptions{}); }) == Status::invalid_data);
  // A stated level count must be the model's.
  CHECK(message_of([&] {
          model.log_prob(with_levels(rows, 4), EvalOptions{}, lp.data());
        }).find("the data has 4 levels") != std::string::npos);
  CHECK(status_of([&] { model.log_prob(with_levels(rows, 1), EvalOptions{}, lp.data()); }) == Status::invalid_argument);
  CHECK(status_of([&] { model.log_prob(with_levels(rows, 257), EvalOptions{}, lp.data()); }) ==
        Status::invalid_argument);
  // Without a stated count, values are checked against the model's M.
  CHECK(status_of([&] { model.log_prob(rows.view(), EvalOptions{}, lp.data()); }) == Status::ok);
  // The failed fit above left the model as it was.
  CHECK(model.levels() == 3);
  // complete checks the observed entries only.
  std::vector<float> x{2, 7, 0, 1}, out(4);
  std::vector<uint8_t> observed{1, 0, 1, 1};
  DataView v;
  v.x = x.data();
  v.n = 1;
  v.d = 4;
  CHECK(status_of([&] { model.complete(v, observed.data(), SampleOptions{}, out.data()); }) == Status::ok);
  observed[1] = 1;
  CHECK(status_of([&] { model.complete(v, observed.data(), SampleOptions{}, out.data()); }) == Status::invalid_data);
}

TEST_CASE("categorical: partial fits add counts and equal the one-shot fit bit for bit") {
  const Rows rows = random_levels(90, 6, 7, 4);
  const CategoricalModel whole = fitted_categorical(rows, 7);
  CategoricalModel chunked(Json::object());
  FitOptions f;
  for (int64_t start = 0; start < rows.n; start += 40) {
    const int64_t n = std::min<int64_t>(40, rows.n - start);
    Rows chunk{{rows.x.begin() + start * rows.d, rows.x.begin() + (start + n) * rows.d}, n, rows.d, {}};
    // The first chunk states M; a warm start without a stated count takes the model's.
    DataView v = chunk.view();
    if (start == 0) v.levels = 7;
    chunked.fit(v, f);
    f.warm_start = true;
  }
  CHECK(chunked.levels() == 7);
  CHECK(save_model_bytes(chunked) == save_model_bytes(whole));
  // A warm start with another stated count is refused, and changes nothing.
  Rows more = random_levels(5, 6, 7, 9);
  CHECK(status_of([&] { chunked.fit(with_levels(more, 8), f); }) == Status::invalid_data);
  CHECK(save_model_bytes(chunked) == save_model_bytes(whole));
}

TEST_CASE("categorical: save and load are bit-identical, and the loader checks the counts") {
  const Rows rows = random_levels(30, 4, 6, 8, ImageShape{1, 2, 2});
  const CategoricalModel model = fitted_categorical(rows, 6);
  const std::vector<uint8_t> bytes = save_model_bytes(model);
  const auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(loaded->levels() == 6);
  CHECK(save_model_bytes(*loaded) == bytes);
  std::vector<double> a(30), b(30);
  model.log_prob(rows.view(), EvalOptions{}, a.data());
  loaded->log_prob(rows.view(), EvalOptions{}, b.data());
  CHECK(std::memcmp(a.data(), b.data(), sizeof(double) * a.size()) == 0);

  // Counts whose pixels disagree on N, and a p that the counts do not give.
  std::vector<TensorRef> t = model.tensors();
  std::vector<int64_t> counts(static_cast<const int64_t*>(t[0].data),
                              static_cast<const int64_t*>(t[0].data) + t[0].elements());
  ++counts[6];  // pixel 1, level 0
  t[0].data = counts.data();
  CategoricalModel other(Json::object());
  CHECK(message_of([&] { other.restore(model.data_shape(), t); }).find("inconsistent") != std::string::npos);
  --counts[6];
  std::vector<double> p(static_cast<const double*>(t[1].data), static_cast<const double*>(t[1].data) + t[1].elements());
  p[3] = std::nextafter(p[3], 1.0);
  t[1].data = p.data();
  CHECK(status_of([&] { other.restore(model.data_shape(), t); }) == Status::corrupt_file);
  CHECK_FALSE(other.fitted());
}
