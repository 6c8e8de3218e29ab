// nade: the kernels' fast sigmoid, exact normalisation, log_prob against the formula in
// double, sampler and completion against enumeration, the loss gradient as a whole against
// central differences, bars-and-stripes to the optimum, encode, persistence, determinism
// and the refusals.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "exact_helpers.hpp"
#include "level_helpers.hpp"
#include "models/categorical.hpp"
#include "models/model_file.hpp"
#include "models/nade.hpp"
#include "models/nade_kernels.hpp"
#include "nn/init.hpp"

using namespace gm;
using namespace gm_test;

namespace {

// One thread unless a test is about threads: these fits are small, and a busy machine
// makes every OpenMP barrier of the training loop wait for a descheduled worker.
std::unique_ptr<NadeModel> fitted(const Rows& data, int64_t epochs, Json config = Json::object(), uint64_t seed = 1,
                                  int threads = 1, int64_t batch_size = 50) {
  if (!config.contains("hidden")) config["hidden"] = 16;
  auto m = std::make_unique<NadeModel>(config);
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.learning_rate = 0.02;
  o.seed = seed;
  o.threads = threads;
  m->fit(data.view(), o);
  return m;
}

std::vector<float> values_of(NadeModel& m) {
  nn::ParameterStore& s = m.parameter_store();
  return {s.values(), s.values() + s.trainable_size()};
}

// Overwrites every parameter with N(0, std²): a model far from independence, so the
// checks below test the conditionals, not just the biases.
void randomise(NadeModel& m, double std, uint64_t seed) {
  nn::ParameterStore& s = m.parameter_store();
  Rng rng(seed, 0);
  for (const char* name : {"W", "V", "b", "c"}) {
    const nn::ParamId id = s.find(name);
    float* p = s.value(id);
    for (int64_t j = 0; j < s.size(id); ++j) p[j] = static_cast<float>(std * rng.normal());
  }
}

const float* param(NadeModel& m, const char* name) {
  nn::ParameterStore& s = m.parameter_store();
  return s.value(s.find(name));
}

// log p(x) straight from the equations, in double.
double reference_log_prob(NadeModel& m, const float* x) {
  const int64_t d = m.data_shape().d, h = m.hidden();
  const float *w = param(m, "W"), *v = param(m, "V"), *b = param(m, "b"), *c = param(m, "c");
  std::vector<double> a(c, c + h);
  double lp = 0;
  for (int64_t i = 0; i < d; ++i) {
    double l = b[i];
    for (int64_t k = 0; k < h; ++k) l += v[i * h + k] / (1.0 + std::exp(-a[k]));
    lp += x[i] != 0.0f ? -std::log1p(std::exp(-l)) : -std::log1p(std::exp(l));
    for (int64_t k = 0; k < h; ++k) a[k] += w[i * h + k] * x[i];
  }
  return lp;
}

Rows bars_and_stripes_4x4() {
  Rows bars{{}, 0, 16, ImageShape{1, 4, 4}};
  for (int kind = 0; kind < 2; ++kind)
    for (int bits = 0; bits < 16; ++bits) {
      if (kind == 1 && (bits == 0 || bits == 15)) continue;  // all-off and all-on appear once
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) bars.x.push_back(static_cast<float>((bits >> (kind ? x : y)) & 1));
      ++bars.n;
    }
  return bars;
}

}  // namespace

TEST_CASE("nade: the kernels' fast sigmoid is accurate to 1e-6 relative") {
  std::vector<float> xs;
  for (float x = -87.0f; x <= 87.0f; x += 0.01371f) xs.push_back(x);
  for (const nade::Kernels* k : {&nade::kernels(), &nade::generic_kernels()}) {
    std::vector<float> y = xs;
    k->sigmoid(y.data(), static_cast<int64_t>(y.size()));
    double worst = 0;
    for (std::size_t j = 0; j < xs.size(); ++j) {
      const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(xs[j])));
      worst = std::max(worst, std::fabs(y[j] - exact) / exact);
    }
    INFO(k->name << ": worst relative error " << worst);
    CHECK(worst < 1e-6);
  }
  float tails[] = {-1000.0f, -88.0f, 88.0f, 1000.0f, 0.0f};
  nade::kernels().sigmoid(tails, 5);
  CHECK(tails[0] >= 0.0f);
  CHECK(tails[0] < 1e-37f);
  CHECK(std::fabs(tails[2] - 1.0f) < 2e-7f);
  CHECK(std::fabs(tails[3] - 1.0f) < 2e-7f);
  CHECK(std::fabs(tails[4] - 0.5f) < 1e-7f);
}

TEST_CASE("nade: the selected kernels agree with the plain-loop build") {
  const nade::Kernels& fast = nade::kernels();
  const nade::Kernels& ref = nade::generic_kernels();
  MESSAGE("nade kernels in use: " << std::string(fast.name));
  const int64_t d = 30, h = 70, n = 5;  // H not a multiple of 8: masked tails
  std::vector<float> w(d * h), v(d * h), b(d), c(h);
  Rng rng(17, 0);
  for (auto* t : {&w, &v, &b, &c})
    for (float& e : *t) e = static_cast<float>(rng.normal());
  const nade::Weights p{w.data(), v.data(), b.data(), c.data(), d, h};
  const Rows x = random_binary(n, d, 12);
  auto close = [](const std::vector<float>& a, const std::vector<float>& e, double tol) {
    double worst = 0;
    for (std::size_t j = 0; j < a.size(); ++j)
      worst = std::max(worst, std::fabs(a[j] - e[j]) / (1.0 + std::fabs(e[j])));
    INFO("worst difference " << worst);
    CHECK(worst < tol);
  };
  for (auto [h0, hc] : {std::pair<int64_t, int64_t>{0, h}, {64, 6}, {8, 37}}) {
    CAPTURE(h0);
    std::vector<float> a1(n * hc), h1(n * hc), part1(n * d), a2 = a1, h2 = h1, part2 = part1;
    fast.forward(p, h0, hc, x.x.data(), n, a1.data(), h1.data(), part1.data());
    ref.forward(p, h0, hc, x.x.data(), n, a2.data(), h2.data(), part2.data());
    close(part1, part2, 2e-5);
    close(a1, a2, 1e-5);
    std::vector<float> g(n * d), s(n * hc), gw1(d * h), gv1(d * h), gc1(h), gw2 = gw1, gv2 = gv1, gc2 = gc1;
    for (float& e : g) e = static_cast<float>(rng.normal());
    fast.backward(p, h0, hc, x.x.data(), g.data(), n, a1.data(), h1.data(), s.data(), gw1.data(), gv1.data(),
                  gc1.data());
    ref.backward(p, h0, hc, x.x.data(), g.data(), n, a2.data(), h2.data(), s.data(), gw2.data(), gv2.data(),
                 gc2.data());
    close(gw1, gw2, 2e-5);
    close(gv1, gv2, 2e-5);
    close(gc1, gc2, 2e-5);
    close(a1, std::vector<float>(n * hc, 0.0f), 1e30);  // walked back: finite
  }
  std::vector<float> a(n * h), hh(n * h), out1(n * d), out2(n * d);
  std::vector<double> lw1(n), lw2(n);
  std::vector<uint8_t> observed(d, 0);
  for (int64_t i = 0; i < d; i += 3) observed[i] = 1;
  std::vector<Rng> r1, r2;
  for (int64_t r = 0; r < n; ++r) {
    r1.emplace_back(5, r);
    r2.emplace_back(5, r);
  }
  fast.draw(p, n, x.x.data(), observed.data(), 0, r1.data(), a.data(), hh.data(), out1.data(), lw1.data());
  ref.draw(p, n, x.x.data(), observed.data(), 0, r2.data(), a.data(), hh.data(), out2.data(), lw2.data());
  CHECK(out1 == out2);
  for (int64_t r = 0; r < n; ++r) CHECK(lw1[r] == doctest::Approx(lw2[r]).epsilon(1e-5));
}

TEST_CASE("nade: sum of exp(log_prob) over all 2^D inputs is 1") {
  for (int64_t d : {6, 10, 12}) {
    auto m = fitted(random_binary(400, d, 3), 10);
    CHECK(total_probability(*m, d) == doctest::Approx(1.0).epsilon(1e-5));
    randomise(*m, 1.5, static_cast<uint64_t>(d));
    CHECK(total_probability(*m, d) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("nade: log_prob matches the equations evaluated in double") {
  const Rows data = random_binary(50, 20, 8);
  auto m = fitted(data, 1, Json{{"hidden", 70}});  // more than one 64-unit chunk
  randomise(*m, 0.7, 5);
  const std::vector<double> lp = log_probs(*m, data);
  for (int64_t r = 0; r < data.n; ++r) {
    INFO("row " << r);
    CHECK(lp[r] == doctest::Approx(reference_log_prob(*m, &data.x[r * 20])).epsilon(1e-5));
  }
  Rng rng(0, 0);
  CHECK(m->evaluate(data.view(), rng) == doctest::Approx(-std::accumulate(lp.begin(), lp.end(), 0.0)));
}

TEST_CASE("nade: samples agree with exp(log_prob)") {
  auto m = fitted(random_binary(400, 6, 5), 20);
  randomise(*m, 1.0, 2);
  check_sampler(*m, 6, 100000, 11);
}

TEST_CASE("nade: completion is exact when the observed pixels are a prefix") {
  auto m = fitted(random_binary(400, 6, 7), 20, Json{{"complete_samples", 4}});
  randomise(*m, 1.0, 3);
  check_completion(*m, {1, 0, 1, 0, 0, 0}, {1, 1, 1, 0, 0, 0}, 40000, 5);
}

TEST_CASE("nade: importance resampling approaches the exact conditional for a scattered mask") {
  auto m = fitted(random_binary(400, 8, 9), 30, Json{{"complete_samples", 256}});
  check_completion(*m, {0, 0, 0, 0, 1, 1, 1, 1}, {0, 0, 1, 0, 1, 0, 1, 1}, 4000, 3);
}

TEST_CASE("nade: the loss gradient matches central differences for W, V, b and c") {
  const int64_t d = 5, h = 70;  // two hidden chunks (64 + 6)
  auto model = fitted(random_binary(40, d, 1), 1, Json{{"hidden", h}});
  NadeModel& m = *model;
  randomise(m, 0.5, 4);
  nn::ParameterStore& store = m.parameter_store();
  const Rows batch = random_binary(37, d, 2);  // more rows than one kernel block (32)
  Rng rng(0, 0);
  store.zero_grad();
  const double loss = m.train_step(batch.view(), rng);
  CHECK(loss == doctest::Approx(m.evaluate(batch.view(), rng)).epsilon(1e-5));
  const std::vector<float> analytic(store.grads(), store.grads() + store.trainable_size());
  const float eps = 1e-2f;
  for (const char* name : {"W", "V", "b", "c"}) {
    const auto& e = store.entry(store.find(name));
    double diff2 = 0, norm2 = 0;
    int bad = 0;
    for (int64_t k = e.offset; k < e.offset + e.size; ++k) {
      float& v = store.values()[k];
      const float saved = v;
      v = saved + eps;
      const double up = m.evaluate(batch.view(), rng) / batch.n;
      v = saved - eps;
      const double down = m.evaluate(batch.view(), rng) / batch.n;
      v = saved;
      const double numeric = (up - down) / (2 * eps);
      diff2 += (analytic[k] - numeric) * (analytic[k] - numeric);
      norm2 += numeric * numeric;
      if (std::fabs(analytic[k] - numeric) > 2e-4 + 1e-2 * std::fabs(numeric)) {
        if (++bad <= 5)
          MESSAGE(name << "[" << k - e.offset << "]: analytic " << analytic[k] << ", numeric " << numeric);
      }
    }
    INFO(name << ": relative error " << std::sqrt(diff2 / norm2));
    CHECK(bad == 0);
    CHECK(std::sqrt(diff2 / norm2) < 1e-3);
    CHECK(norm2 > 0);
  }
}

TEST_CASE("nade: bars-and-stripes 4x4 reaches ln 30 within 0.1 nats") {
  const Rows bars = bars_and_stripes_4x4();
  REQUIRE(bars.n == 30);
  NadeModel m(Json{{"hidden", 32}});
  FitOptions o;
  o.epochs = 1500;
  o.batch_size = 30;
  o.learning_rate = 0.03;
  o.seed = 3;
  o.threads = 1;
  m.fit(bars.view(), o);
  const std::vector<double> lp = log_probs(m, bars);
  double nll = 0;
  for (double v : lp) nll -= v / 30;
  MESSAGE("nade on 4x4 bars-and-stripes: NLL " << nll << " nats (optimum ln 30 = " << std::log(30.0) << ")");
  CHECK(nll > std::log(30.0) - 1e-4);
  CHECK(nll < std::log(30.0) + 0.1);
}

TEST_CASE("nade: encode gives the hidden units sigma(c + W x)") {
  const Rows data = random_binary(300, 12, 6);
  auto m = fitted(data, 2, Json{{"hidden", 20}});
  randomise(*m, 0.5, 9);
  CHECK((m->capabilities() & cap_encode) != 0);
  REQUIRE(m->encode_dim() == 20);
  std::vector<float> out(static_cast<std::size_t>(data.n * 20));
  m->encode(data.view(), EvalOptions{}, out.data());
  const float *w = param(*m, "W"), *c = param(*m, "c");
  double worst = 0;
  for (int64_t r = 0; r < data.n; ++r)
    for (int64_t k = 0; k < 20; ++k) {
      double a = c[k];
      for (int64_t i = 0; i < 12; ++i) a += w[i * 20 + k] * data.x[r * 12 + i];
      worst = std::max(worst, std::fabs(out[r * 20 + k] - 1.0 / (1.0 + std::exp(-a))));
    }
  CHECK(worst < 1e-5);
}

TEST_CASE("nade: save → load is bit-identical; fits are reproducible") {
  // B·D·H = 100·12·300 is above the size where a step runs on a team of threads, and H
  // spans five hidden chunks: the parallel path is the one checked.
  const Rows data = random_binary(300, 12, 4);
  const Json config{{"hidden", 300}};
  auto pa = fitted(data, 3, config, 1, 2, 100);
  auto pb = fitted(data, 3, config, 1, 2, 100);
  NadeModel &a = *pa, &b = *pb;
  CHECK(values_of(a) == values_of(b));
  SUBCASE("the thread count does not change the fit") {
    auto pc = fitted(data, 3, config, 1, 1, 100);
    CHECK(values_of(a) == values_of(*pc));
  }
  SUBCASE("another seed gives another fit") {
    auto pc = fitted(data, 3, config, 2, 2, 100);
    CHECK(values_of(a) != values_of(*pc));
  }
  SUBCASE("save and load") {
    const std::vector<uint8_t> bytes = save_model_bytes(a);
    auto loaded = load_model_bytes(bytes.data(), bytes.size());
    CHECK(std::string(loaded->kind()) == "nade");
    CHECK(all_log_probs(a, 12) == all_log_probs(*loaded, 12));
    CHECK(sample_rows(a, 50, 3, 0) == sample_rows(*loaded, 50, 3, 0));
    CHECK(save_model_bytes(*loaded) == bytes);
    NadeModel unaligned(a.config());
    const SavedTensors saved = save_unaligned(a);
    unaligned.restore(a.data_shape(), saved.refs);
    CHECK(all_log_probs(a, 12) == all_log_probs(unaligned, 12));
  }
  SUBCASE("log_prob, sample and complete do not depend on the thread count") {
    CHECK(all_log_probs(a, 12, 1) == all_log_probs(a, 12, 2));
    CHECK(sample_rows(a, 37, 5, 1) == sample_rows(a, 37, 5, 2));
    NadeModel few(Json{{"hidden", 300}, {"complete_samples", 10}});
    few.restore(a.data_shape(), a.tensors());
    const Rows rows = random_binary(9, 12, 11);
    CHECK(complete_rows(few, rows, 4, 1) == complete_rows(few, rows, 4, 2));
  }
}

TEST_CASE("nade: refusals") {
  const Rows data = random_binary(100, 8, 2);
  SUBCASE("non-binary data") {
    Rows bad = data;
    bad.x[17] = 0.5f;
    NadeModel m(Json{{"hidden", 8}});
    CHECK(status_of([&] { m.fit(bad.view(), FitOptions{}); }) == Status::invalid_data);
    CHECK(!m.fitted());
    auto good = fitted(data, 1);
    std::vector<double> lp(static_cast<std::size_t>(bad.n));
    CHECK(status_of([&] { good->log_prob(bad.view(), EvalOptions{}, lp.data()); }) == Status::invalid_data);
    std::vector<float> h(static_cast<std::size_t>(bad.n * 16));
    CHECK(status_of([&] { good->encode(bad.view(), EvalOptions{}, h.data()); }) == Status::invalid_data);
  }
  SUBCASE("configuration") {
    CHECK(status_of([] { NadeModel m(Json{{"hiden", 8}}); }) == Status::invalid_config);
    CHECK(status_of([] { NadeModel m(Json{{"hidden", 0}}); }) == Status::invalid_config);
    CHECK(status_of([] { NadeModel m(Json{{"complete_samples", 0}}); }) == Status::invalid_config);
    NadeModel m(Json::object());
    CHECK(m.config()["hidden"] == 500);
  }
  SUBCASE("verbs before fit, and decode") {
    NadeModel m(Json{{"hidden", 8}});
    std::vector<float> out(8);
    CHECK(status_of([&] { m.sample(1, SampleOptions{}, out.data()); }) == Status::not_fitted);
    auto good = fitted(data, 1);
    DataView codes = data.view();
    CHECK(status_of([&] { good->decode(codes, SampleOptions{}, out.data()); }) == Status::unsupported);
    CHECK(message_of([&] { good->decode(codes, SampleOptions{}, out.data()); }).find("encode") != std::string::npos);
  }
  SUBCASE("a bad learning rate keeps the previous model") {
    auto m = fitted(data, 1);
    const std::vector<float> before = values_of(*m);
    FitOptions o;
    o.learning_rate = 1e38;
    CHECK(status_of([&] { m->fit(data.view(), o); }) == Status::invalid_argument);
    CHECK(values_of(*m) == before);
  }
  SUBCASE("corrupt tensors") {
    auto good = fitted(data, 1);
    SavedTensors saved = save_unaligned(*good);
    NadeModel other_width(Json{{"hidden", 17}});
    CHECK(status_of([&] { other_width.restore(good->data_shape(), saved.refs); }) == Status::corrupt_file);
    NadeModel m(Json{{"hidden", 16}});
    DataShape wider = good->data_shape();
    wider.d = 9;
    CHECK(status_of([&] { m.restore(wider, saved.refs); }) == Status::corrupt_file);
    for (TensorRef& t : saved.refs)
      if (t.name == "V") {
        const float nan = std::nanf("");
        std::memcpy(const_cast<void*>(t.data), &nan, sizeof nan);
      }
    CHECK(status_of([&] { m.restore(good->data_shape(), saved.refs); }) == Status::corrupt_file);
    CHECK(!m.fitted());
    std::vector<TensorRef> missing = good->tensors();
    missing.pop_back();
    CHECK(status_of([&] { m.restore(good->data_shape(), missing); }) == Status::corrupt_file);
  }
  SUBCASE("cancel keeps a usable model") {
    NadeModel m(Json{{"hidden", 8}});
    FitOptions o;
    o.epochs = 5;
    o.batch_size = 20;
    o.progress = [](int64_t step, int64_t, double) { return step == 3; };
    CHECK(status_of([&] { m.fit(data.view(), o); }) == Status::cancelled);
    CHECK(total_probability(m, 8) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

// ---------------------------------------------------------------- M levels

namespace {

DataView with_levels(const Rows& rows, int64_t m) {
  DataView v = rows.view();
  v.levels = m;
  return v;
}

std::unique_ptr<NadeModel> fitted_levels(const Rows& data, int64_t m, int64_t epochs, Json config = Json::object(),
                                         uint64_t seed = 1, int threads = 1) {
  if (!config.contains("hidden")) config["hidden"] = 16;
  auto model = std::make_unique<NadeModel>(config);
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 50;
  o.learning_rate = 0.02;
  o.seed = seed;
  o.threads = threads;
  model->fit(with_levels(data, m), o);
  return model;
}

// The model's order of positions (nade.hpp): t = p·C + c reads storage index c·H·W + p.
std::vector<int64_t> model_order(const ImageShape& im, int64_t d) {
  std::vector<int64_t> order(static_cast<std::size_t>(d));
  const int64_t c = im.channels > 1 ? im.channels : 1, hw = d / c;
  for (int64_t p = 0; p < hw; ++p)
    for (int64_t ch = 0; ch < c; ++ch) order[static_cast<std::size_t>(p * c + ch)] = ch * hw + p;
  return order;
}

// log p(x_t | x_<t) at every position t of an M-level model straight from the equations, in
// double, in the given order.
std::vector<double> reference_level_terms(NadeModel& m, const float* x, const std::vector<int64_t>& order) {
  const int64_t d = m.data_shape().d, h = m.hidden(), lv = m.levels();
  const float *w = param(m, "W"), *v = param(m, "V"), *b = param(m, "b"), *c = param(m, "c");
  std::vector<double> a(c, c + h), hid(static_cast<std::size_t>(h)), l(static_cast<std::size_t>(lv)), terms;
  for (int64_t t = 0; t < d; ++t) {
    for (int64_t k = 0; k < h; ++k) hid[k] = 1.0 / (1.0 + std::exp(-a[k]));
    double top = -1e300;
    for (int64_t q = 0; q < lv; ++q) {
      l[q] = b[t * lv + q];
      for (int64_t k = 0; k < h; ++k) l[q] += v[(t * lv + q) * h + k] * hid[k];
      top = std::max(top, l[q]);
    }
    double z = 0;
    for (int64_t q = 0; q < lv; ++q) z += std::exp(l[q] - top);
    const double xv = x[order[static_cast<std::size_t>(t)]];
    terms.push_back(l[static_cast<int64_t>(xv)] - top - std::log(z));
    for (int64_t k = 0; k < h; ++k) a[k] += w[t * h + k] * xv / static_cast<double>(lv - 1);
  }
  return terms;
}

double reference_level_log_prob(NadeModel& m, const float* x, const std::vector<int64_t>& order) {
  const std::vector<double> terms = reference_level_terms(m, x, order);
  return std::accumulate(terms.begin(), terms.end(), 0.0);
}

}  // namespace

TEST_CASE("nade levels: exp(log_prob) sums to 1 over all 256 images of 2x2 pixels with M = 4") {
  const ImageShape im{1, 2, 2};
  const Rows data = random_levels(300, 4, 4, 3, im);
  auto m = fitted_levels(data, 4, 1);
  CHECK(m->levels() == 4);
  CHECK(m->data_shape().levels == 4);
  CHECK((m->capabilities() & cap_levels) != 0);
  CHECK(total_level_probability(*m, 4, 4, im) == doctest::Approx(1.0).epsilon(1e-6));
  auto trained = fitted_levels(data, 4, 30);
  CHECK(total_level_probability(*trained, 4, 4, im) == doctest::Approx(1.0).epsilon(1e-6));
  randomise(*m, 1.5, 7);
  CHECK(total_level_probability(*m, 4, 4, im) == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("nade levels: an untrained model is the categorical one (biases at the smoothed log frequencies)") {
  const Rows data = random_levels(200, 6, 5, 4);
  auto m = fitted_levels(data, 5, 1);
  nn::ParameterStore& s = m->parameter_store();
  // Undo the one epoch: V = 0 makes every conditional softmax(b_t).
  float* v = s.value(s.find("V"));
  std::fill(v, v + s.size(s.find("V")), 0.0f);
  std::vector<float> b(30);
  nn::init_log_marginals(with_levels(data, 5), 5, b.data());
  std::memcpy(s.value(s.find("b")), b.data(), b.size() * sizeof(float));
  CategoricalModel cat(Json{{"alpha", 1.0}});
  cat.fit(with_levels(data, 5), FitOptions{});
  std::vector<double> lp1(static_cast<std::size_t>(data.n)), lp2(lp1.size());
  m->log_prob(with_levels(data, 5), EvalOptions{}, lp1.data());
  cat.log_prob(with_levels(data, 5), EvalOptions{}, lp2.data());
  for (std::size_t r = 0; r < lp1.size(); ++r) CHECK(lp1[r] == doctest::Approx(lp2[r]).epsilon(1e-5));
}

TEST_CASE("nade levels: RGB pixels are ordered pixel by pixel, R G B within a pixel") {
  const ImageShape im{3, 1, 2};  // D = 6: storage R0 R1 G0 G1 B0 B1
  const int64_t d = 6, lv = 3;
  const Rows data = random_levels(200, d, lv, 5, im);
  auto m = fitted_levels(data, lv, 2, Json{{"hidden", 9}});
  randomise(*m, 1.0, 11);
  const std::vector<int64_t> order = model_order(im, d);
  CHECK(order == std::vector<int64_t>{0, 2, 4, 1, 3, 5});
  std::vector<int64_t> storage(static_cast<std::size_t>(d));
  std::iota(storage.begin(), storage.end(), 0);
  const Rows all = all_level_inputs(d, lv, im);
  const std::vector<double> lp = all_level_log_probs(*m, d, lv, im);
  double worst = 0, worst_storage = 0;
  for (int64_t r = 0; r < all.n; ++r) {
    worst = std::max(worst, std::fabs(lp[r] - reference_level_log_prob(*m, &all.x[r * d], order)));
    worst_storage = std::max(worst_storage, std::fabs(lp[r] - reference_level_log_prob(*m, &all.x[r * d], storage)));
  }
  CHECK(worst < 1e-4);
  CHECK(worst_storage > 1e-2);  // the test tells the orders apart
  // The conditionals read from the enumeration, p(x_t | x_<t) = p(x_≤t) / p(x_<t) with the
  // prefixes in the model's order, are the reference's softmax at each position: so a
  // later channel (G1, position 4) changes no conditional before it.
  for (int64_t r = 0; r < all.n; r += 37) {
    const float* x = &all.x[r * d];
    const std::vector<double> terms = reference_level_terms(*m, x, order);
    double prev = 1.0;
    for (int64_t t = 0; t < d; ++t) {
      double prefix = 0;  // p(x_{order[0..t]})
      for (int64_t k = 0; k < all.n; ++k) {
        bool same = true;
        for (int64_t u = 0; u <= t; ++u) same = same && all.x[k * d + order[u]] == x[order[u]];
        if (same) prefix += std::exp(lp[k]);
      }
      CHECK(std::log(prefix / prev) == doctest::Approx(terms[static_cast<std::size_t>(t)]).epsilon(1e-5));
      prev = prefix;
    }
    CHECK(std::log(prev) == doctest::Approx(reference_level_log_prob(*m, x, order)).epsilon(1e-5));
  }
}

TEST_CASE("nade levels: samples follow exp(log_prob) (joint and marginals), flat and RGB") {
  {
    const ImageShape im{1, 2, 2};
    auto m = fitted_levels(random_levels(300, 4, 4, 6, im), 4, 5);
    randomise(*m, 1.0, 3);
    check_level_sampler(*m, 4, 4, 60000, 13, im);
  }
  {
    const ImageShape im{3, 1, 2};
    auto m = fitted_levels(random_levels(300, 6, 3, 6, im), 3, 5, Json{{"hidden", 9}});
    randomise(*m, 1.0, 4);
    check_level_sampler(*m, 6, 3, 60000, 14, im);
  }
}

TEST_CASE("nade levels: completion of an observed prefix follows the exact conditional") {
  const ImageShape im{1, 2, 2};
  auto m = fitted_levels(random_levels(300, 4, 4, 8, im), 4, 5, Json{{"hidden", 16}, {"complete_samples", 3}});
  randomise(*m, 1.0, 5);
  const int64_t d = 4, lv = 4, n = 30000;
  const std::vector<float> row = {2, 1, 0, 0};
  const std::vector<uint8_t> mask = {1, 1, 0, 0};
  Rows in{{}, n, d, im};
  std::vector<uint8_t> observed;
  for (int64_t i = 0; i < n; ++i) {
    in.x.insert(in.x.end(), row.begin(), row.end());
    observed.insert(observed.end(), mask.begin(), mask.end());
  }
  std::vector<float> out(in.x.size());
  SampleOptions so;
  so.seed = 9;
  m->complete(with_levels(in, lv), observed.data(), so, out.data());
  const std::vector<double> lp = all_level_log_probs(*m, d, lv, im);
  std::vector<double> p(16, 0.0);
  double z = 0;
  for (int64_t k = 0; k < 256; ++k)
    if (k % 4 == 2 && (k / 4) % 4 == 1) z += (p[static_cast<std::size_t>(k / 16)] = std::exp(lp[k]));
  for (double& q : p) q /= z;
  std::vector<int64_t> counts(16, 0);
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(out[i * d] == 2.0f);
    REQUIRE(out[i * d + 1] == 1.0f);
    ++counts[static_cast<std::size_t>(out[i * d + 2] + 4 * out[i * d + 3])];
  }
  check_frequencies(counts, p, n);
}

TEST_CASE("nade levels: the loss gradient matches central differences for W, V, b and c (M = 4)") {
  const int64_t d = 5, h = 70, lv = 4;  // two hidden chunks (64 + 6)
  auto model = fitted_levels(random_levels(40, d, lv, 1), lv, 1, Json{{"hidden", h}});
  NadeModel& m = *model;
  randomise(m, 0.5, 4);
  nn::ParameterStore& store = m.parameter_store();
  const Rows batch = random_levels(37, d, lv, 2);
  Rng rng(0, 0);
  store.zero_grad();
  const double loss = m.train_step(with_levels(batch, lv), rng);
  CHECK(loss == doctest::Approx(m.evaluate(with_levels(batch, lv), rng)).epsilon(1e-5));
  const std::vector<float> analytic(store.grads(), store.grads() + store.trainable_size());
  const float eps = 1e-2f;
  for (const char* name : {"W", "V", "b", "c"}) {
    const auto& e = store.entry(store.find(name));
    double diff2 = 0, norm2 = 0;
    int bad = 0;
    for (int64_t k = e.offset; k < e.offset + e.size; k += (std::string(name) == "V" ? 7 : 1)) {
      float& v = store.values()[k];
      const float saved = v;
      v = saved + eps;
      const double up = m.evaluate(with_levels(batch, lv), rng) / batch.n;
      v = saved - eps;
      const double down = m.evaluate(with_levels(batch, lv), rng) / batch.n;
      v = saved;
      const double numeric = (up - down) / (2 * eps);
      diff2 += (analytic[k] - numeric) * (analytic[k] - numeric);
      norm2 += numeric * numeric;
      if (std::fabs(analytic[k] - numeric) > 2e-4 + 1e-2 * std::fabs(numeric)) {
        if (++bad <= 5)
          MESSAGE(name << "[" << k - e.offset << "]: analytic " << analytic[k] << ", numeric " << numeric);
      }
    }
    INFO(name << ": relative error " << std::sqrt(diff2 / norm2));
    CHECK(bad == 0);
    CHECK(std::sqrt(diff2 / norm2) < 1e-3);
    CHECK(norm2 > 0);
  }
}

TEST_CASE("nade levels: a fit on correlated levels beats the categorical model") {
  const int64_t d = 16, lv = 8;
  const Rows data = random_levels(600, d, lv, 21);
  auto m = fitted_levels(data, lv, 40, Json{{"hidden", 32}});
  CategoricalModel cat(Json{{"alpha", 1.0}});
  cat.fit(with_levels(data, lv), FitOptions{});
  std::vector<double> lp(static_cast<std::size_t>(data.n)), lc(lp.size());
  m->log_prob(with_levels(data, lv), EvalOptions{}, lp.data());
  cat.log_prob(with_levels(data, lv), EvalOptions{}, lc.data());
  double nll = 0, nll_cat = 0;
  for (std::size_t r = 0; r < lp.size(); ++r) {
    nll -= lp[r] / data.n;
    nll_cat -= lc[r] / data.n;
  }
  MESSAGE("M = 8, D = 16: nade NLL " << nll << " nats, categorical " << nll_cat);
  CHECK(nll < nll_cat - 3.0);
  const auto& report = m->last_report();
  CHECK(report.epochs.size() == 40);
  CHECK(report.epochs.back().train_loss < report.epochs.front().train_loss);
}

TEST_CASE("nade levels: save → load is bit-identical; thread counts do not change fits or verbs") {
  const ImageShape im{3, 2, 2};
  const int64_t d = 12, lv = 6;
  const Rows data = random_levels(300, d, lv, 4, im);
  const Json config{{"hidden", 70}};
  auto a = fitted_levels(data, lv, 2, config, 1, 2);
  auto b = fitted_levels(data, lv, 2, config, 1, 1);
  CHECK(values_of(*a) == values_of(*b));
  const std::vector<uint8_t> bytes = save_model_bytes(*a);
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(loaded->levels() == lv);
  CHECK(loaded->data_shape().image.channels == 3);
  const Rows rows = random_levels(50, d, lv, 9, im);
  std::vector<double> l1(50), l2(50), l3(50);
  EvalOptions one, two;
  one.threads = 1;
  two.threads = 2;
  a->log_prob(with_levels(rows, lv), one, l1.data());
  loaded->log_prob(with_levels(rows, lv), two, l2.data());
  b->log_prob(with_levels(rows, lv), two, l3.data());
  CHECK(l1 == l2);
  CHECK(l1 == l3);
  CHECK(sample_rows(*a, 40, 3, 1) == sample_rows(*loaded, 40, 3, 2));
  CHECK(save_model_bytes(*loaded) == bytes);
  NadeModel unaligned(a->config());
  const SavedTensors saved = save_unaligned(*a);
  unaligned.restore(a->data_shape(), saved.refs);
  std::vector<double> l4(50);
  unaligned.log_prob(with_levels(rows, lv), one, l4.data());
  CHECK(l1 == l4);
  NadeModel few(Json{{"hidden", 70}, {"complete_samples", 20}});
  few.restore(a->data_shape(), a->tensors());
  std::vector<uint8_t> mask(rows.x.size());
  Rng mr(3, 3);
  for (uint8_t& o : mask) o = mr.bernoulli(0.5);
  std::vector<float> c1(rows.x.size()), c2(rows.x.size());
  SampleOptions s1, s2;
  s1.threads = 1;
  s2.threads = 2;
  few.complete(with_levels(rows, lv), mask.data(), s1, c1.data());
  few.complete(with_levels(rows, lv), mask.data(), s2, c2.data());
  CHECK(c1 == c2);
  for (std::size_t j = 0; j < mask.size(); ++j)
    if (mask[j]) CHECK(c1[j] == rows.x[j]);
  // encode feeds x̃ = x / (M − 1) in the model's order.
  std::vector<float> codes(static_cast<std::size_t>(50 * 70));
  a->encode(with_levels(rows, lv), EvalOptions{}, codes.data());
  const std::vector<int64_t> order = model_order(im, d);
  const float *w = param(*a, "W"), *c = param(*a, "c");
  double worst = 0;
  for (int64_t r = 0; r < 50; ++r)
    for (int64_t k = 0; k < 70; ++k) {
      double pre = c[k];
      for (int64_t t = 0; t < d; ++t) pre += w[t * 70 + k] * rows.x[r * d + order[t]] / (lv - 1.0);
      worst = std::max(worst, std::fabs(codes[r * 70 + k] - 1.0 / (1.0 + std::exp(-pre))));
    }
  CHECK(worst < 1e-5);
  // A warm start continues (1 + 1 epochs = 2 epochs is test_training_state's); other levels are refused.
  std::vector<double> lp(50);
  CHECK(status_of([&] { a->log_prob(with_levels(rows, 7), one, lp.data()); }) == Status::invalid_data);
  Rows bad = rows;
  bad.x[5] = 6.0f;
  CHECK(status_of([&] { a->log_prob(with_levels(bad, lv), one, lp.data()); }) == Status::invalid_data);
  CHECK(status_of([&] { a->encode(with_levels(bad, lv), one, codes.data()); }) == Status::invalid_data);
}

TEST_CASE("nade levels: 1 + 1 epochs (warm start, and through a checkpoint's bytes) equal 2 epochs") {
  const ImageShape im{3, 2, 2};
  const Rows data = random_levels(120, 12, 5, 31, im);
  auto whole = fitted_levels(data, 5, 2, Json{{"hidden", 20}});
  auto half = fitted_levels(data, 5, 1, Json{{"hidden", 20}});
  const std::vector<uint8_t> ckpt = save_checkpoint_bytes(*half);
  FitOptions o;
  o.epochs = 1;
  o.batch_size = 50;
  o.learning_rate = 0.02;
  o.seed = 1;
  o.threads = 1;
  o.warm_start = true;
  half->fit(with_levels(data, 5), o);
  CHECK(values_of(*half) == values_of(*whole));
  auto resumed = load_model_bytes(ckpt.data(), ckpt.size());
  CHECK(resumed->levels() == 5);
  resumed->fit(with_levels(data, 5), o);
  CHECK(save_model_bytes(*resumed) == save_model_bytes(*whole));
}
