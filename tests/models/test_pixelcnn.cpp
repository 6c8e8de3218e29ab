// pixelcnn (lib/models/pixelcnn.hpp): exact normalisation by enumeration (M levels and RGB),
// causality and no blind spot of the whole network, the incremental pass against the full
// one, samples and completions against the exact distribution, a fit on bars-and-stripes,
// save → load.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../../capi/condition.hpp"  // model_condition: what gm_model_condition answers
#include "exact_helpers.hpp"
#include "models/model_file.hpp"
#include "models/pixelcnn.hpp"
#include "nn/compute.hpp"

using namespace gm;
using namespace gm_test;

namespace {

// Every image of d values in [0, M): row m is m written in base M, value k = digit k.
Rows all_images(int64_t d, int64_t M, ImageShape image) {
  int64_t n = 1;
  for (int64_t k = 0; k < d; ++k) n *= M;
  Rows r{std::vector<float>(static_cast<std::size_t>(n * d)), n, d, image};
  for (int64_t m = 0; m < n; ++m) {
    int64_t v = m;
    for (int64_t k = 0; k < d; ++k, v /= M) r.x[m * d + k] = static_cast<float>(v % M);
  }
  return r;
}

int64_t index_in_base(const float* row, int64_t d, int64_t M) {
  int64_t m = 0;
  for (int64_t k = d - 1; k >= 0; --k) m = m * M + static_cast<int64_t>(row[k]);
  return m;
}

Rows random_images(int64_t n, int64_t M, ImageShape image, uint64_t seed) {
  const int64_t d = image.size();
  Rows r{std::vector<float>(static_cast<std::size_t>(n * d)), n, d, image};
  Rng rng(seed, 0);
  for (float& v : r.x) v = static_cast<float>(rng.below(static_cast<uint64_t>(M)));
  return r;
}

std::unique_ptr<PixelCnnModel> fitted_model(const Rows& data, int64_t M, int64_t epochs, double lr,
                                            const Json& config = Json::object()) {
  Json c = {{"channels", 6}, {"layers", 3}, {"first_kernel", 3}, {"kernel", 3}};
  for (auto it = config.begin(); it != config.end(); ++it) c[it.key()] = it.value();
  auto m = std::make_unique<PixelCnnModel>(c);
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 16;
  o.seed = 3;
  o.threads = 1;
  o.learning_rate = lr;
  DataView v = data.view();
  v.levels = M;
  std::vector<int32_t> labels;
  if (c.value("conditional", false)) {  // labels r mod 2
    for (int64_t r = 0; r < data.n; ++r) labels.push_back(static_cast<int32_t>(r % 2));
    v.labels = labels.data();
    v.num_classes = 2;
  }
  m->fit(v, o);
  return m;
}

double total_mass(const GenerativeModel& m, int64_t M) {
  const Rows all = all_images(m.data_shape().d, M, m.data_shape().image);
  DataView v = all.view();
  v.levels = M;
  std::vector<double> lp(static_cast<std::size_t>(all.n));
  EvalOptions e;
  e.threads = 1;
  m.log_prob(v, e, lp.data());
  double total = 0;
  for (double l : lp) total += std::exp(l);
  return total;
}

}  // namespace

TEST_CASE("pixelcnn: Σ exp(log_prob) over every image is 1 (M = 4 on 2×2, binary 3×3, RGB 1×2)") {
  struct Case {
    ImageShape image;
    int64_t M;
  };
  for (const Case& c : {Case{{1, 2, 2}, 4}, Case{{1, 3, 3}, 2}, Case{{3, 1, 2}, 2}, Case{{3, 1, 1}, 3}}) {
    CAPTURE(c.image.channels);
    CAPTURE(c.image.height);
    CAPTURE(c.M);
    const Rows data = random_images(24, c.M, c.image, 5);
    auto untrained = fitted_model(data, c.M, 1, 1e-6);
    CHECK(untrained->data_shape().levels == c.M);
    CHECK(total_mass(*untrained, c.M) == doctest::Approx(1.0).epsilon(1e-6));
    auto trained = fitted_model(data, c.M, 30, 1e-2);
    CHECK(total_mass(*trained, c.M) == doctest::Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("pixelcnn: the whole network is causal and has no blind spot (one and three channels)") {
  for (const ImageShape image : {ImageShape{1, 4, 4}, ImageShape{3, 3, 3}}) {
    CAPTURE(image.channels);
    const int64_t M = 3, C = image.channels, S = image.height * image.width, D = image.size();
    const Rows data = random_images(8, M, image, 7);
    auto m = fitted_model(data, M, 2, 1e-2, {{"layers", 4}, {"channels", 12}});
    nn::ComputeScope scope(1);
    const pixelcnn::Net& net = m->net();
    pixelcnn::Workspace base, moved;
    net.forward(data.x.data(), nullptr, 1, base);
    const std::vector<float> z0(base.logits.begin(), base.logits.begin() + D * M);
    // position of value k = c·S + s: pixel s, then channel c
    auto position = [&](int64_t k) { return (k % S) * C + k / S; };
    for (int64_t k = 0; k < D; ++k) {
      std::vector<float> x(data.x.begin(), data.x.begin() + D);
      x[static_cast<std::size_t>(k)] = std::fmod(x[static_cast<std::size_t>(k)] + 1.0f, static_cast<float>(M));
      net.forward(x.data(), nullptr, 1, moved);
      for (int64_t q = 0; q < D; ++q) {
        bool changed = false;
        for (int64_t lv = 0; lv < M; ++lv) {
          const std::size_t at = static_cast<std::size_t>((q / S * M + lv) * S + q % S);
          changed |= moved.logits[at] != z0[at];
        }
        INFO("perturbed value ", k, " (position ", position(k), "), logits of value ", q, " (position ", position(q),
             ")");
        if (position(q) <= position(k)) CHECK_FALSE(changed);
        // The last value sees every earlier one: no blind spot.
        if (position(q) == D - 1 && position(k) < D - 1) CHECK(changed);
      }
    }
  }
}

TEST_CASE("pixelcnn: the incremental pass gives the full network's logits; both samplers draw the same") {
  const ImageShape image{3, 3, 4};
  const int64_t M = 4, D = image.size(), S = 12, C = 3;
  const Rows data = random_images(16, M, image, 9);
  auto m = fitted_model(data, M, 3, 1e-2, {{"conditional", true}});
  std::vector<int32_t> labels = {0, 1, 1};
  nn::ComputeScope scope(1);
  pixelcnn::Workspace ws;
  m->net().forward(data.x.data(), labels.data(), 3, ws);
  std::vector<float> x(data.x.begin(), data.x.begin() + 3 * D);
  double worst = 0;
  m->net().autoregress(x.data(), labels.data(), 3, [&](int64_t c, int64_t i, int64_t j, const float* logits) {
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t lv = 0; lv < M; ++lv) {
        const float full = ws.logits[static_cast<std::size_t>(((b * C + c) * M + lv) * S + i * 4 + j)];
        worst = std::max(worst, std::fabs(double(logits[b * C * M + c * M + lv]) - full));
      }
  });
  CHECK(worst < 1e-4);
  CHECK(x == std::vector<float>(data.x.begin(), data.x.begin() + 3 * D));  // teacher forcing left x alone
  SampleOptions s;
  s.seed = 4;
  s.threads = 1;
  s.labels = labels.data();
  std::vector<float> a(static_cast<std::size_t>(3 * D)), b(a.size());
  m->sample(3, s, a.data());
  m->sample_full_network(3, s, b.data());
  CHECK(a == b);
}

TEST_CASE("pixelcnn: samples and prefix completions follow the exact distribution (chi-square)") {
  // 2×2 with M = 4: each pixel's histogram against the exact marginal; 3×3 binary: the joint.
  {
    const ImageShape image{1, 2, 2};
    const int64_t M = 4, d = 4;
    auto m = fitted_model(random_images(32, M, image, 11), M, 20, 1e-2);
    const Rows all = all_images(d, M, image);
    std::vector<double> lp(static_cast<std::size_t>(all.n));
    DataView v = all.view();
    v.levels = M;
    m->log_prob(v, EvalOptions{}, lp.data());
    const int64_t n = 4000;
    std::vector<float> out(static_cast<std::size_t>(n * d));
    SampleOptions s;
    s.seed = 21;
    m->sample(n, s, out.data());
    for (int64_t k = 0; k < d; ++k) {
      CAPTURE(k);
      std::vector<double> marginal(static_cast<std::size_t>(M), 0.0);
      for (int64_t r = 0; r < all.n; ++r) marginal[static_cast<std::size_t>(all.x[r * d + k])] += std::exp(lp[r]);
      std::vector<int64_t> counts(static_cast<std::size_t>(M), 0);
      for (int64_t r = 0; r < n; ++r) ++counts[static_cast<std::size_t>(out[r * d + k])];
      check_frequencies(counts, marginal, n);
    }
    std::vector<int64_t> joint(static_cast<std::size_t>(all.n), 0);
    for (int64_t r = 0; r < n; ++r) ++joint[static_cast<std::size_t>(index_in_base(&out[r * d], d, M))];
    std::vector<double> probs;
    for (double l : lp) probs.push_back(std::exp(l));
    check_frequencies(joint, probs, n);
  }
  const Rows bas = bars_and_stripes_3x3();
  auto m = fitted_model(bas, 2, 40, 1e-2, {{"complete_samples", 64}});
  check_sampler(*m, 9, 3000, 31);
  std::vector<float> row(bas.x.begin() + 9, bas.x.begin() + 18);
  check_completion(*m, row, {1, 1, 1, 1, 0, 0, 0, 0, 0}, 1500, 41);  // a prefix: exact
  check_completion(*m, row, {0, 0, 0, 0, 1, 0, 0, 1, 1}, 800, 43);   // importance resampling, K = 64
}

TEST_CASE("pixelcnn: complete keeps the observed values; on a prefix it is sampling conditioned on it") {
  const ImageShape image{1, 3, 3};
  auto m = fitted_model(random_images(16, 3, image, 13), 3, 3, 1e-2);
  const Rows rows = random_images(6, 3, image, 14);
  DataView v = rows.view();
  v.levels = 3;
  std::vector<uint8_t> mask(rows.x.size());
  for (std::size_t k = 0; k < mask.size(); ++k) mask[k] = (k * 7 % 5) < 2;
  std::vector<float> out(rows.x.size());
  SampleOptions s;
  s.seed = 2;
  m->complete(v, mask.data(), s, out.data());
  for (std::size_t k = 0; k < mask.size(); ++k) {
    if (mask[k]) CHECK(out[k] == rows.x[k]);
    CHECK((out[k] == 0.0f || out[k] == 1.0f || out[k] == 2.0f));
  }
  // Everything observed: complete returns the row.
  std::vector<uint8_t> all(rows.x.size(), 1);
  m->complete(v, all.data(), s, out.data());
  CHECK(out == rows.x);
}

TEST_CASE("pixelcnn: a fit on 4×4 bars-and-stripes comes close to ln 30 nats; save → load is bit-identical") {
  // The 30 distinct 4×4 bars-and-stripes patterns (lib/data/builtin: rows or columns on/off).
  Rows bas{{}, 0, 16, ImageShape{1, 4, 4}};
  std::vector<std::vector<float>> seen;
  for (int kind = 0; kind < 2; ++kind)
    for (int bits = 0; bits < 16; ++bits) {
      std::vector<float> img(16);
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) img[static_cast<std::size_t>(y * 4 + x)] = float((bits >> (kind ? x : y)) & 1);
      if (std::find(seen.begin(), seen.end(), img) != seen.end()) continue;
      seen.push_back(img);
      bas.x.insert(bas.x.end(), img.begin(), img.end());
      ++bas.n;
    }
  REQUIRE(bas.n == 30);
  auto m = fitted_model(bas, 2, 250, 5e-3, {{"channels", 16}});
  const std::vector<double> lp = log_probs(*m, bas, 1);
  double nll = 0;
  for (double l : lp) nll -= l / 30.0;
  INFO("mean NLL " << nll << " nats, ln 30 = " << std::log(30.0));
  CHECK(nll < std::log(30.0) + 0.1);
  CHECK(total_mass(*m, 2) == doctest::Approx(1.0).epsilon(1e-6));  // 2^16 images

  const std::vector<uint8_t> bytes = save_model_bytes(*m);
  auto copy = load_model_bytes(bytes.data(), bytes.size());
  CHECK(save_model_bytes(*copy) == bytes);
  CHECK(log_probs(*copy, bas, 1) == lp);
  CHECK(sample_rows(*copy, 5, 8, 1) == sample_rows(*m, 5, 8, 1));
  CHECK(sample_rows(*m, 5, 8, 2) == sample_rows(*m, 5, 8, 1));  // thread-count free
}

TEST_CASE("pixelcnn: refuses flat rows, out-of-range values and even kernels") {
  Rows flat = random_binary(8, 16, 3);
  auto m = std::make_unique<PixelCnnModel>(Json{{"channels", 4}, {"layers", 1}, {"first_kernel", 3}});
  FitOptions o;
  o.epochs = 1;
  const std::string msg = message_of([&] { m->fit(flat.view(), o); });
  CHECK(msg.find("channels/height/width") != std::string::npos);
  CHECK(status_of([&] { m->fit(flat.view(), o); }) == Status::invalid_data);
  CHECK(status_of([] { PixelCnnModel bad(Json{{"kernel", 4}}); }) == Status::invalid_config);
  flat.image = ImageShape{1, 4, 4};
  m->fit(flat.view(), o);
  Rows three = random_images(2, 3, ImageShape{1, 4, 4}, 1);
  std::vector<double> lp(2);
  CHECK(status_of([&] { m->log_prob(three.view(), EvalOptions{}, lp.data()); }) == Status::invalid_data);
}

TEST_CASE("pixelcnn: \"conditional\": true reports cap_conditional and a label condition of its classes") {
  PixelCnnModel plain(Json::object());
  CHECK((plain.capabilities() & cap_conditional) == 0);
  CHECK(model_condition(plain).kind == ConditionKind::none);
  PixelCnnModel unfitted(Json{{"conditional", true}});
  CHECK((unfitted.capabilities() & cap_conditional) != 0);
  CHECK((unfitted.capabilities() & PixelCnnModel::capability_bits) == PixelCnnModel::capability_bits);
  ModelCondition c = model_condition(unfitted);
  CHECK(c.kind == ConditionKind::label);
  CHECK(c.dim == 0);  // from the labels at fit
  PixelCnnModel three(Json{{"conditional", true}, {"classes", 3}});
  c = model_condition(three);
  CHECK((c.kind == ConditionKind::label && c.dim == 3));
  const Rows data = random_images(8, 2, ImageShape{1, 3, 3}, 5);
  auto m = fitted_model(data, 2, 1, 1e-3, {{"conditional", true}});  // labels r mod 2, 2 classes
  c = model_condition(*m);
  CHECK((c.kind == ConditionKind::label && c.dim == 2));
  const std::vector<uint8_t> bytes = save_model_bytes(*m);
  auto copy = load_model_bytes(bytes.data(), bytes.size());
  CHECK((copy->capabilities() & cap_conditional) != 0);
  c = model_condition(*copy);
  CHECK((c.kind == ConditionKind::label && c.dim == 2));
}
