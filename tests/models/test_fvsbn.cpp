// fvsbn: exact normalisation, sampler and completion against enumeration, the loss gradient
// as a whole against finite differences, and the shared training loop's guarantees.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "exact_helpers.hpp"
#include "legacy_file.hpp"
#include "level_helpers.hpp"
#include "models/categorical.hpp"
#include "models/fvsbn.hpp"
#include "models/model_file.hpp"

using namespace gm;
using namespace gm_test;

namespace {

std::unique_ptr<FvsbnModel> fitted(const Rows& data, int64_t epochs, const Json& config = Json::object(),
                                   uint64_t seed = 1) {
  auto m = std::make_unique<FvsbnModel>(config);
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 50;
  o.learning_rate = 0.05;
  o.seed = seed;
  m->fit(data.view(), o);
  return m;
}

std::vector<float> values_of(FvsbnModel& m) {
  nn::ParameterStore& s = m.parameter_store();
  return {s.values(), s.values() + s.trainable_size()};
}

// Total variation between an empirical completion histogram and the exact conditional.
double completion_tv(const FvsbnModel& m, const std::vector<float>& row, const std::vector<uint8_t>& mask, int64_t n,
                     uint64_t seed) {
  const int64_t d = static_cast<int64_t>(row.size());
  Rows in{{}, n, d, {}};
  std::vector<uint8_t> observed;
  for (int64_t i = 0; i < n; ++i) {
    in.x.insert(in.x.end(), row.begin(), row.end());
    observed.insert(observed.end(), mask.begin(), mask.end());
  }
  std::vector<float> out(in.x.size());
  SampleOptions s;
  s.seed = seed;
  m.complete(in.view(), observed.data(), s, out.data());
  const std::vector<double> lp = all_log_probs(m, d);
  std::vector<double> exact(lp.size(), 0.0), empirical(lp.size(), 0.0);
  double z = 0;
  for (std::size_t x = 0; x < lp.size(); ++x) {
    bool consistent = true;
    for (int64_t j = 0; j < d; ++j)
      if (mask[j] && static_cast<float>((x >> j) & 1) != row[j]) consistent = false;
    if (consistent) z += (exact[x] = std::exp(lp[x]));
  }
  for (int64_t i = 0; i < n; ++i) empirical[static_cast<std::size_t>(index_of(&out[i * d], d))] += 1.0 / n;
  double tv = 0;
  for (std::size_t x = 0; x < lp.size(); ++x) tv += 0.5 * std::fabs(exact[x] / z - empirical[x]);
  return tv;
}

}  // namespace

TEST_CASE("fvsbn: sum of exp(log_prob) over all 2^D inputs is 1") {
  for (int64_t d : {6, 10, 12}) {
    const auto m = fitted(random_binary(400, d, 3), 20);
    CHECK(total_probability(*m, d) == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("fvsbn: samples agree with exp(log_prob)") {
  const auto m = fitted(random_binary(400, 6, 5), 30);
  check_sampler(*m, 6, 100000, 11);
}

TEST_CASE("fvsbn: completion is exact when the observed pixels are a prefix") {
  const auto m = fitted(random_binary(400, 6, 7), 30, Json{{"complete_samples", 4}});
  check_completion(*m, {1, 0, 1, 0, 0, 0}, {1, 1, 1, 0, 0, 0}, 40000, 5);
}

TEST_CASE("fvsbn: importance resampling beats ignoring the later observed pixels") {
  const Rows data = random_binary(400, 8, 9);
  const auto sir_model = fitted(data, 30);  // 256 proposals
  const FvsbnModel& sir = *sir_model;
  FvsbnModel ignore(Json{{"complete_samples", 1}});  // one proposal: the later observations are ignored
  const std::vector<uint8_t> bytes = save_model_bytes(sir);
  ignore.restore(sir.data_shape(), load_model_bytes(bytes.data(), bytes.size())->tensors());
  const std::vector<float> row = {0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<uint8_t> mask = {0, 0, 1, 0, 1, 0, 1, 1};  // scattered: not a prefix
  const double tv_sir = completion_tv(sir, row, mask, 4000, 3);
  const double tv_ignore = completion_tv(ignore, row, mask, 4000, 3);
  INFO("total variation to the exact conditional: resampling " << tv_sir << ", ignoring " << tv_ignore);
  CHECK(tv_sir < 0.06);
  CHECK(tv_sir < 0.5 * tv_ignore);
}

TEST_CASE("fvsbn: the loss gradient matches central differences") {
  auto model = fitted(random_binary(40, 5, 1), 1);
  FvsbnModel& m = *model;
  nn::ParameterStore& store = m.parameter_store();
  Rng init(4, 0);
  const int64_t d = 5;
  float* wt = store.value(store.find("Wt"));  // Wt[j, i] = W_ij
  float* b = store.value(store.find("b"));
  for (int64_t i = 0; i < d; ++i) {
    b[i] = static_cast<float>(init.normal());
    for (int64_t j = 0; j < i; ++j) wt[j * d + i] = static_cast<float>(init.normal());
  }
  const Rows batch = random_binary(7, d, 2);
  Rng rng(0, 0);
  store.zero_grad();
  m.train_step(batch.view(), rng);
  const std::vector<float> analytic(store.grads(), store.grads() + store.trainable_size());
  const float eps = 1e-2f;
  int checked = 0;
  for (int64_t k = 0; k < store.trainable_size(); ++k) {
    float& v = store.values()[k];
    const float saved = v;
    v = saved + eps;
    const double up = m.evaluate(batch.view(), rng) / batch.n;
    v = saved - eps;
    const double down = m.evaluate(batch.view(), rng) / batch.n;
    v = saved;
    const double numeric = (up - down) / (2 * eps);
    const bool on_or_above_diagonal = k < d * d && (k % d) <= (k / d);  // Wt[j, i] with i ≤ j
    if (on_or_above_diagonal) {
      CHECK(analytic[k] == 0.0f);  // masked: W stays strictly lower triangular
      continue;
    }
    const auto& wb = store.entry(store.find("b"));
    if (k >= d * d && (k < wb.offset || k >= wb.offset + wb.size)) continue;  // alignment padding
    INFO("parameter " << k << ": analytic " << analytic[k] << ", numeric " << numeric);
    CHECK(std::fabs(analytic[k] - numeric) < 2e-3 + 2e-2 * std::fabs(numeric));
    ++checked;
  }
  CHECK(checked == d * (d - 1) / 2 + d);
}

TEST_CASE("fvsbn: save → load is bit-identical; the same seed gives the same fit") {
  const Rows data = random_binary(300, 12, 4);
  auto pa = fitted(data, 3), pb = fitted(data, 3);
  FvsbnModel &a = *pa, &b = *pb;
  CHECK(values_of(a) == values_of(b));
  const std::vector<uint8_t> bytes = save_model_bytes(a);
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(all_log_probs(a, 12) == all_log_probs(*loaded, 12));
  std::vector<float> s1(50 * 12), s2(50 * 12);
  a.sample(50, SampleOptions{}, s1.data());
  loaded->sample(50, SampleOptions{}, s2.data());
  CHECK(s1 == s2);
  CHECK(save_model_bytes(*loaded) == bytes);
}

TEST_CASE("fvsbn: training loop — cancel, divergence, early stopping") {
  const Rows data = random_binary(200, 8, 6);
  SUBCASE("cancel within one batch keeps a usable model") {
    FvsbnModel m(Json::object());
    FitOptions o;
    o.epochs = 5;
    o.batch_size = 20;
    int64_t calls = 0;
    o.progress = [&](int64_t step, int64_t total, double loss) {
      ++calls;
      CHECK(total == 50);
      CHECK(std::isfinite(loss));
      return step == 3;
    };
    CHECK(status_of([&] { m.fit(data.view(), o); }) == Status::cancelled);
    CHECK(calls == 3);
    CHECK(total_probability(m, 8) == doctest::Approx(1.0).epsilon(1e-5));
  }
  SUBCASE("a learning rate that would overflow one update is refused") {
    FvsbnModel m(Json::object());
    FitOptions o;
    o.learning_rate = 1e38;
    CHECK(status_of([&] { m.fit(data.view(), o); }) == Status::invalid_argument);
  }
  SUBCASE("validation split with patience stops early and keeps the best epoch") {
    FvsbnModel m(Json::object());
    FitOptions o;
    o.epochs = 400;
    o.batch_size = 10;
    o.learning_rate = 0.5;  // large enough to overfit 160 rows and stall
    o.validation_fraction = 0.2;
    o.patience = 3;
    m.fit(data.view(), o);
    const nn::TrainReport& r = m.last_report();
    CHECK(r.stopped_early);
    CHECK(static_cast<int64_t>(r.epochs.size()) < 400);
    double best = INFINITY;
    for (const nn::EpochRecord& e : r.epochs) best = std::min(best, e.validation_loss);
    CHECK(r.epochs.back().validation_loss > best);
  }
}

TEST_CASE("fvsbn: a refit refused for its learning rate keeps the fitted parameters (issue 11)") {
  // It used to build fresh parameters before the trainer refused the rate: row 0's log_prob
  // moved (−11.0942 → −11.0904 on the data).
  const Rows data = random_binary(200, 8, 6);
  FvsbnModel m(Json::object());
  FitOptions o;
  o.epochs = 3;
  o.batch_size = 20;
  m.fit(data.view(), o);
  const std::vector<double> before = log_probs(m, data);
  const std::vector<uint8_t> bytes = save_model_bytes(m);
  FitOptions refused = o;
  refused.learning_rate = 100;
  CHECK(status_of([&] { m.fit(data.view(), refused); }) == Status::invalid_argument);
  CHECK(log_probs(m, data) == before);
  CHECK(save_model_bytes(m) == bytes);
}

TEST_CASE("fvsbn: bars-and-stripes 4x4 (its logistic conditionals cannot reach ln 30)") {
  std::vector<float> patterns;
  Rows bars{{}, 0, 16, ImageShape{1, 4, 4}};
  for (int kind = 0; kind < 2; ++kind)
    for (int bits = 0; bits < 16; ++bits) {
      if (kind == 1 && (bits == 0 || bits == 15)) continue;
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) bars.x.push_back(static_cast<float>((bits >> (kind ? x : y)) & 1));
      ++bars.n;
    }
  REQUIRE(bars.n == 30);
  FvsbnModel m(Json::object());
  FitOptions o;
  o.epochs = 2000;
  o.batch_size = 30;
  o.learning_rate = 0.05;
  m.fit(bars.view(), o);
  std::vector<double> lp(30);
  m.log_prob(bars.view(), EvalOptions{}, lp.data());
  double nll = 0;
  for (double v : lp) nll -= v / 30;
  MESSAGE("fvsbn on 4x4 bars-and-stripes: NLL " << nll << " nats (optimum ln 30 = " << std::log(30.0) << ")");
  CHECK(nll > std::log(30.0) - 1e-6);  // no model beats the data's entropy
  CHECK(nll < 4.5);
}

// ---------------------------------------------------------------- M levels

namespace {

DataView with_levels(const Rows& rows, int64_t m) {
  DataView v = rows.view();
  v.levels = m;
  return v;
}

std::unique_ptr<FvsbnModel> fitted_levels(const Rows& data, int64_t m, int64_t epochs,
                                          const Json& config = Json::object(), uint64_t seed = 1, int threads = 1) {
  auto model = std::make_unique<FvsbnModel>(config);
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 50;
  o.learning_rate = 0.05;
  o.seed = seed;
  o.threads = threads;
  model->fit(with_levels(data, m), o);
  return model;
}

bool has_tables(const FvsbnModel& m) { return m.config().at("neighbour_tables").get<bool>(); }

// Wt[j, t, v] ~ N(0, std²) for j < t, b and the neighbour tables N ~ N(0, std²): far from
// independence.
void randomise_levels(FvsbnModel& m, double std, uint64_t seed) {
  nn::ParameterStore& s = m.parameter_store();
  const int64_t d = m.data_shape().d, lv = m.levels();
  float* wt = s.value(s.find("Wt"));
  float* b = s.value(s.find("b"));
  Rng rng(seed, 0);
  for (int64_t j = 0; j < d; ++j)
    for (int64_t t = j + 1; t < d; ++t)
      for (int64_t v = 0; v < lv; ++v) wt[(j * d + t) * lv + v] = static_cast<float>(std * rng.normal());
  for (int64_t e = 0; e < d * lv; ++e) b[e] = static_cast<float>(std * rng.normal());
  if (has_tables(m)) {
    float* n = s.value(s.find("N"));
    for (int64_t e = 0; e < 4 * (lv + 1) * lv; ++e) n[e] = static_cast<float>(std * rng.normal());
  }
}

std::vector<int64_t> model_order(const ImageShape& im, int64_t d) {
  std::vector<int64_t> order(static_cast<std::size_t>(d));
  const int64_t c = im.channels > 1 ? im.channels : 1, hw = d / c;
  for (int64_t p = 0; p < hw; ++p)
    for (int64_t ch = 0; ch < c; ++ch) order[static_cast<std::size_t>(p * c + ch)] = ch * hw + p;
  return order;
}

// The storage index of the pixel (y + dy, x + dx) in the channel of storage index i, or −1
// off the image; flat rows (no image shape) have only the left neighbour, i − 1.
int64_t storage_neighbour(const ImageShape& im, int64_t d, int64_t i, int64_t dy, int64_t dx) {
  if (!im.is_image()) return dy == 0 && dx == -1 && i > 0 ? i - 1 : -1;
  const int64_t hw = im.height * im.width, ch = i / hw, y = (i % hw) / im.width + dy, x = i % im.width + dx;
  (void)d;
  return y >= 0 && y < im.height && x >= 0 && x < im.width ? ch * hw + y * im.width + x : -1;
}

// log p(x_t | x_<t) at every position from the equations, in double, in the given order
// (the neighbour tables, when the model has them, read the pixels by their storage place:
// left, up-left, up, up-right in the same channel).
std::vector<double> reference_terms(FvsbnModel& m, const float* x, const std::vector<int64_t>& order) {
  nn::ParameterStore& s = m.parameter_store();
  const int64_t d = m.data_shape().d, lv = m.levels();
  const ImageShape im = m.data_shape().image;
  const float* wt = s.value(s.find("Wt"));
  const float* b = s.value(s.find("b"));
  const float* n = has_tables(m) ? s.value(s.find("N")) : nullptr;
  const int64_t dy[4] = {0, -1, -1, -1}, dx[4] = {-1, -1, 0, 1};
  std::vector<double> terms, l(static_cast<std::size_t>(lv));
  for (int64_t t = 0; t < d; ++t) {
    double top = -1e300;
    for (int64_t v = 0; v < lv; ++v) {
      l[v] = b[t * lv + v];
      for (int64_t j = 0; j < t; ++j) l[v] += wt[(j * d + t) * lv + v] * x[order[j]] / (lv - 1.0);
      for (int64_t k = 0; n && k < 4; ++k) {
        const int64_t p = storage_neighbour(im, d, order[t], dy[k], dx[k]);
        l[v] += n[(k * (lv + 1) + (p < 0 ? lv : static_cast<int64_t>(x[p]))) * lv + v];
      }
      top = std::max(top, l[v]);
    }
    double z = 0;
    for (int64_t v = 0; v < lv; ++v) z += std::exp(l[v] - top);
    terms.push_back(l[static_cast<int64_t>(x[order[t]])] - top - std::log(z));
  }
  return terms;
}

}  // namespace

TEST_CASE("fvsbn levels: exp(log_prob) sums to 1 over all 256 images of 2x2 pixels with M = 4") {
  const ImageShape im{1, 2, 2};
  const Rows data = random_levels(300, 4, 4, 3, im);
  auto m = fitted_levels(data, 4, 1);
  CHECK(m->levels() == 4);
  CHECK((m->capabilities() & cap_levels) != 0);
  CHECK(total_level_probability(*m, 4, 4, im) == doctest::Approx(1.0).epsilon(1e-6));
  auto trained = fitted_levels(data, 4, 30);
  CHECK(total_level_probability(*trained, 4, 4, im) == doctest::Approx(1.0).epsilon(1e-6));
  randomise_levels(*m, 1.5, 7);
  CHECK(total_level_probability(*m, 4, 4, im) == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("fvsbn levels: RGB pixels are ordered pixel by pixel, R G B within a pixel") {
  const ImageShape im{3, 1, 2};  // D = 6: storage R0 R1 G0 G1 B0 B1
  const int64_t d = 6, lv = 3;
  auto m = fitted_levels(random_levels(200, d, lv, 5, im), lv, 2);
  randomise_levels(*m, 1.0, 11);
  const std::vector<int64_t> order = model_order(im, d);
  REQUIRE(order == std::vector<int64_t>{0, 2, 4, 1, 3, 5});
  std::vector<int64_t> storage(static_cast<std::size_t>(d));
  std::iota(storage.begin(), storage.end(), 0);
  const Rows all = all_level_inputs(d, lv, im);
  const std::vector<double> lp = all_level_log_probs(*m, d, lv, im);
  double worst = 0, worst_storage = 0;
  for (int64_t r = 0; r < all.n; ++r) {
    const std::vector<double> t1 = reference_terms(*m, &all.x[r * d], order);
    const std::vector<double> t2 = reference_terms(*m, &all.x[r * d], storage);
    worst = std::max(worst, std::fabs(lp[r] - std::accumulate(t1.begin(), t1.end(), 0.0)));
    worst_storage = std::max(worst_storage, std::fabs(lp[r] - std::accumulate(t2.begin(), t2.end(), 0.0)));
  }
  CHECK(worst < 1e-4);
  CHECK(worst_storage > 1e-2);
  // The conditionals read from the enumeration, p(x_≤t) / p(x_<t) with prefixes in the model's
  // order, are the reference's: no conditional depends on a later channel or pixel.
  for (int64_t r = 0; r < all.n; r += 37) {
    const float* x = &all.x[r * d];
    const std::vector<double> terms = reference_terms(*m, x, order);
    double prev = 1.0;
    for (int64_t t = 0; t < d; ++t) {
      double prefix = 0;
      for (int64_t k = 0; k < all.n; ++k) {
        bool same = true;
        for (int64_t u = 0; u <= t; ++u) same = same && all.x[k * d + order[u]] == x[order[u]];
        if (same) prefix += std::exp(lp[k]);
      }
      CHECK(std::log(prefix / prev) == doctest::Approx(terms[static_cast<std::size_t>(t)]).epsilon(1e-5));
      prev = prefix;
    }
  }
}

TEST_CASE("fvsbn levels: samples follow exp(log_prob) (joint and marginals), flat and RGB") {
  {
    const ImageShape im{1, 2, 2};
    auto m = fitted_levels(random_levels(300, 4, 4, 6, im), 4, 5);
    randomise_levels(*m, 1.0, 3);
    check_level_sampler(*m, 4, 4, 60000, 13, im);
  }
  {
    const ImageShape im{3, 1, 2};
    auto m = fitted_levels(random_levels(300, 6, 3, 6, im), 3, 5);
    randomise_levels(*m, 1.0, 4);
    check_level_sampler(*m, 6, 3, 60000, 14, im);
  }
}

TEST_CASE("fvsbn levels: log_prob is the equations' sum, neighbour tables included (RGB 2x2, flat)") {
  for (const ImageShape im : {ImageShape{3, 2, 2}, ImageShape{1, 3, 3}, ImageShape{}}) {
    const int64_t d = im.is_image() ? im.channels * im.height * im.width : 7, lv = 5;
    auto m = fitted_levels(random_levels(100, d, lv, 8, im), lv, 1);
    REQUIRE(has_tables(*m));
    randomise_levels(*m, 1.0, 12);
    const Rows rows = random_levels(50, d, lv, 13, im);
    std::vector<double> lp(50);
    m->log_prob(with_levels(rows, lv), EvalOptions{}, lp.data());
    const std::vector<int64_t> order = model_order(im, d);
    double worst = 0;
    for (int64_t r = 0; r < rows.n; ++r) {
      const std::vector<double> t = reference_terms(*m, &rows.x[r * d], order);
      worst = std::max(worst, std::fabs(lp[r] - std::accumulate(t.begin(), t.end(), 0.0)));
    }
    CHECK(worst < 1e-3);
  }
}

TEST_CASE("fvsbn levels: the neighbour tables learn what the linear term cannot (and can be turned off)") {
  // Each pixel copies its left neighbour's level with probability 0.6 (level_helpers.hpp): a
  // peak at the neighbour's level, which logits linear in the level cannot place at every level.
  const ImageShape im{1, 4, 4};
  const int64_t d = 16, lv = 8;
  const Rows train = random_levels(1500, d, lv, 21, im), test = random_levels(500, d, lv, 22, im);
  const auto nll = [&](const FvsbnModel& m) {
    std::vector<double> lp(static_cast<std::size_t>(test.n));
    m.log_prob(with_levels(test, lv), EvalOptions{}, lp.data());
    return -std::accumulate(lp.begin(), lp.end(), 0.0) / static_cast<double>(test.n);
  };
  auto with = fitted_levels(train, lv, 10);
  auto without = fitted_levels(train, lv, 10, Json{{"neighbour_tables", false}});
  CHECK_THROWS(without->parameter_store().find("N"));
  MESSAGE("M = 8, 4x4: test NLL with tables " << nll(*with) << " nats, without " << nll(*without));
  CHECK(nll(*with) < nll(*without) - 2.0);
}

TEST_CASE("fvsbn levels: a file written before neighbour tables existed loads and scores without them") {
  const ImageShape im{1, 2, 3};
  const int64_t d = 6, lv = 4;
  const Rows data = random_levels(200, d, lv, 5, im);
  auto old = fitted_levels(data, lv, 2, Json{{"neighbour_tables", false}});
  const std::vector<uint8_t> bytes = without_config_key(*old, "neighbour_tables");
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(loaded->config().at("neighbour_tables") == false);
  std::vector<double> a(static_cast<std::size_t>(data.n)), b(a.size());
  old->log_prob(with_levels(data, lv), EvalOptions{}, a.data());
  loaded->log_prob(with_levels(data, lv), EvalOptions{}, b.data());
  CHECK(a == b);
  // A new file names the key, so one that has lost its tables is corrupt, not an old file.
  auto fresh = fitted_levels(data, lv, 1);
  std::vector<TensorRef> no_tables;
  for (const TensorRef& t : fresh->tensors())
    if (t.name != "N") no_tables.push_back(t);
  FvsbnModel broken(fresh->config());
  CHECK(status_of([&] { broken.restore(fresh->data_shape(), no_tables); }) == Status::corrupt_file);
}

TEST_CASE("fvsbn levels: the loss gradient matches central differences (M = 4)") {
  const ImageShape im{1, 2, 3};  // position (1, 1) has all four neighbours
  const int64_t d = 6, lv = 4;
  auto model = fitted_levels(random_levels(40, d, lv, 1, im), lv, 1);
  FvsbnModel& m = *model;
  randomise_levels(m, 0.7, 4);
  nn::ParameterStore& store = m.parameter_store();
  const Rows batch = random_levels(23, d, lv, 2, im);
  Rng rng(0, 0);
  store.zero_grad();
  const double loss = m.train_step(with_levels(batch, lv), rng);
  CHECK(loss == doctest::Approx(m.evaluate(with_levels(batch, lv), rng)).epsilon(1e-5));
  const std::vector<float> analytic(store.grads(), store.grads() + store.trainable_size());
  const auto& ew = store.entry(store.find("Wt"));
  const auto& eb = store.entry(store.find("b"));
  const auto& en = store.entry(store.find("N"));
  const float eps = 1e-2f;
  int checked = 0;
  for (const auto* e : {&ew, &eb, &en})
    for (int64_t k = e->offset; k < e->offset + e->size; ++k) {
      if (e == &ew) {
        const int64_t q = k - e->offset, j = q / (d * lv), t = (q / lv) % d;
        if (j >= t) {
          CHECK(analytic[k] == 0.0f);  // masked: W stays strictly lower
          continue;
        }
      }
      float& v = store.values()[k];
      const float saved = v;
      v = saved + eps;
      const double up = m.evaluate(with_levels(batch, lv), rng) / batch.n;
      v = saved - eps;
      const double down = m.evaluate(with_levels(batch, lv), rng) / batch.n;
      v = saved;
      const double numeric = (up - down) / (2 * eps);
      INFO("parameter " << k << ": analytic " << analytic[k] << ", numeric " << numeric);
      CHECK(std::fabs(analytic[k] - numeric) < 2e-3 + 2e-2 * std::fabs(numeric));
      ++checked;
    }
  CHECK(checked == d * (d - 1) / 2 * lv + d * lv + 4 * (lv + 1) * lv);
}

TEST_CASE("fvsbn levels: a fit on correlated levels beats the categorical model") {
  const int64_t d = 16, lv = 8;
  const Rows data = random_levels(600, d, lv, 21);
  auto m = fitted_levels(data, lv, 40);
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
  MESSAGE("M = 8, D = 16: fvsbn NLL " << nll << " nats, categorical " << nll_cat);
  CHECK(nll < nll_cat - 3.0);
}

TEST_CASE("fvsbn levels: save → load is bit-identical; thread counts do not change fits or verbs") {
  const ImageShape im{3, 2, 3};
  const int64_t d = 18, lv = 6;  // more than one block of positions
  const Rows data = random_levels(300, d, lv, 4, im);
  auto a = fitted_levels(data, lv, 2, Json::object(), 1, 2);
  auto b = fitted_levels(data, lv, 2, Json::object(), 1, 1);
  CHECK(values_of(*a) == values_of(*b));
  const std::vector<uint8_t> bytes = save_model_bytes(*a);
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(loaded->levels() == lv);
  const Rows rows = random_levels(70, d, lv, 9, im);
  std::vector<double> l1(70), l2(70);
  EvalOptions one, two;
  one.threads = 1;
  two.threads = 2;
  a->log_prob(with_levels(rows, lv), one, l1.data());
  loaded->log_prob(with_levels(rows, lv), two, l2.data());
  CHECK(l1 == l2);
  CHECK(sample_rows(*a, 40, 3, 1) == sample_rows(*loaded, 40, 3, 2));
  CHECK(save_model_bytes(*loaded) == bytes);
  FvsbnModel unaligned(a->config());
  const SavedTensors saved = save_unaligned(*a);
  unaligned.restore(a->data_shape(), saved.refs);
  std::vector<double> l3(70);
  unaligned.log_prob(with_levels(rows, lv), one, l3.data());
  CHECK(l1 == l3);
  FvsbnModel few(Json{{"complete_samples", 20}});
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
  // A weight on or above the diagonal is refused on load.
  std::vector<TensorRef> refs = saved.refs;
  for (TensorRef& t : refs)
    if (t.name == "Wt") {
      const float one_f = 1.0f;
      std::memcpy(const_cast<void*>(t.data), &one_f, sizeof one_f);  // Wt[0, 0, 0]
    }
  FvsbnModel broken(Json::object());
  CHECK(status_of([&] { broken.restore(a->data_shape(), refs); }) == Status::corrupt_file);
  CHECK(!broken.fitted());
}

TEST_CASE("fvsbn levels: 1 + 1 epochs (warm start, and through a checkpoint's bytes) equal 2 epochs") {
  const ImageShape im{3, 2, 2};
  const Rows data = random_levels(120, 12, 5, 31, im);
  auto whole = fitted_levels(data, 5, 2, Json::object());
  auto half = fitted_levels(data, 5, 1, Json::object());
  const std::vector<uint8_t> ckpt = save_checkpoint_bytes(*half);
  FitOptions o;
  o.epochs = 1;
  o.batch_size = 50;
  o.learning_rate = 0.05;
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
