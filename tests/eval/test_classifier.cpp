#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/classifier.hpp"
#include "eval/classifier_net.hpp"
#include "eval/frechet.hpp"
#include "helpers.hpp"
#include "io/file.hpp"
#include "nn/compute.hpp"
#include "nn/helpers.hpp"

using evaltest::catch_error;
using gm::eval::FeatureClassifier;

namespace {

// A classifier trained for one quick epoch on the first 1000 images of the small set
// (shared by the tests below; 20 Adam steps of 50 images).
const FeatureClassifier& quick_classifier() {
  static const FeatureClassifier c = [] {
    const gm::Dataset ds = evaltest::small_image_set(1000);
    FeatureClassifier f;
    gm::eval::ClassifierTrainOptions o;
    o.epochs = 1;
    o.batch_size = 50;
    o.learning_rate = 2e-3f;
    o.seed = 1;
    f.train(ds.view(), o);
    return f;
  }();
  return c;
}

std::vector<float> features_of(const FeatureClassifier& c, const float* x, int64_t n, int threads = 0) {
  std::vector<float> f(static_cast<std::size_t>(n * FeatureClassifier::kFeatures));
  c.features(x, n, f.data(), threads);
  return f;
}

}  // namespace

// Which units are active after each ReLU in the last training pass.
std::vector<uint8_t> relu_pattern(const gm::eval::ClassifierNet& net, int64_t B) {
  std::vector<uint8_t> on;
  const std::pair<std::size_t, int64_t> layers[] = {{0, 32 * 14 * 14}, {1, 64 * 7 * 7}, {2, 128}};
  for (const auto& [stage, width] : layers) {
    const float* y = net.net.stage_output(stage, net.train_acts.work);
    for (int64_t i = 0; i < B * width; ++i) on.push_back(y[i] > 0.0f);
  }
  return on;
}

// Central differences of a ReLU network are wrong wherever a perturbation moves a
// pre-activation across zero (with ~10⁴ units one usually does: one was measured 5·10⁻⁶
// from its kink). Within a fixed pattern of active units the loss is smooth, so an entry
// is compared only when L(θ ± ε) keep the pattern of L(θ); entries are drawn until 8 of
// each tensor are usable. ε = 10⁻³: the f32 forward leaves ~10⁻⁷ of rounding noise in the
// loss, so much smaller steps measure noise. The images are grey levels in [0.1, 0.5]
// (around the mean the network standardises by): with the full [0, 1] range a conv1
// parameter moves so many units that nearly every step crosses some kink.
TEST_CASE("classifier: loss gradient through the whole network matches central differences") {
  gm::nn::ComputeScope scope(1);
  FeatureClassifier c(3);
  gm::eval::ClassifierNet& net = c.net();
  const int64_t B = 3;
  nntest::Vec x = nntest::randu(B * 784, 11, 0.1f, 0.5f);
  const std::vector<int32_t> y = {2, 7, 0};
  gm::eval::classifier_loss_and_gradients(net, x.data(), y.data(), B, 1.0f);
  const std::vector<uint8_t> pattern = relu_pattern(net, B);
  gm::nn::ParameterStore& store = net.store;
  const std::vector<float> grads(store.grads(), store.grads() + store.trainable_size());
  bool same_pattern = true;
  auto loss = [&] {
    const double l = gm::eval::classifier_loss_and_gradients(net, x.data(), y.data(), B, 1.0f);
    same_pattern = same_pattern && relu_pattern(net, B) == pattern;
    return l;
  };
  const float eps = 1e-3f;
  gm::Rng rng(4, 0);
  for (int32_t t = 0; t < store.count(); ++t) {
    const gm::nn::ParamId id{t};
    const auto& e = store.entry(id);
    float* p = store.value(id);
    std::vector<double> analytic, numeric;
    int skipped = 0;
    for (int k = 0; k < 500 && numeric.size() < 8; ++k) {  // random entries of every tensor
      const int64_t i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(e.size)));
      const float saved = p[i];
      same_pattern = true;
      p[i] = saved + eps;
      const double up = loss();
      p[i] = saved - eps;
      const double down = loss();
      p[i] = saved;
      if (!same_pattern) {
        ++skipped;
        continue;
      }
      analytic.push_back(grads[static_cast<std::size_t>(e.offset + i)]);
      numeric.push_back((up - down) / (2.0 * eps));
    }
    double scale = 0, worst = 0;
    for (double g : numeric) scale = std::max(scale, std::fabs(g));
    for (std::size_t k = 0; k < numeric.size(); ++k) {
      const double a = analytic[k], g = numeric[k];
      worst = std::max(worst, std::fabs(a - g) / std::max({std::fabs(a), std::fabs(g), 0.05 * scale, 1e-6}));
    }
    INFO(e.name << ": " << skipped << " entries crossed a ReLU kink, " << numeric.size() << " compared");
    CHECK(numeric.size() == 8);
    CHECK(worst < 2e-2);  // measured ≤ 1.2e-2 (rounding noise on small conv1 entries); a bug gives O(1)
  }
}

TEST_CASE("classifier: a quick fit learns, features are deterministic and thread-count free") {
  const gm::Dataset ds = evaltest::small_image_set(1000);
  const FeatureClassifier& c = quick_classifier();
  const double acc = c.accuracy(ds.view());
  MESSAGE("accuracy after one epoch on 1000 images: " << acc);
  CHECK(acc > 0.5);  // chance is 0.1
  const std::vector<float> f1 = features_of(c, ds.x.data(), 300, 1), f2 = features_of(c, ds.x.data(), 300, 2);
  CHECK(std::memcmp(f1.data(), f2.data(), f1.size() * sizeof(float)) == 0);
  CHECK(std::all_of(f1.begin(), f1.end(), [](float v) { return v >= 0.0f; }));  // after a ReLU
  std::vector<int32_t> predicted(10);
  c.predict(ds.x.data(), 10, predicted.data());
  for (int32_t p : predicted) CHECK((p >= 0 && p < 10));
}

TEST_CASE("classifier features: the same data scores ~0, another half low, noise far") {
  const gm::Dataset ds = evaltest::small_image_set(1000);
  const FeatureClassifier& c = quick_classifier();
  const int64_t n = 500, F = FeatureClassifier::kFeatures;
  const std::vector<float> a = features_of(c, ds.x.data(), n), b = features_of(c, ds.x.data() + n * 784, n);
  std::vector<float> noise(static_cast<std::size_t>(n * 784));
  gm::Rng rng(12, 0);
  for (float& v : noise) v = rng.uniform_f();
  const std::vector<float> fn = features_of(c, noise.data(), n);
  const double same = gm::eval::frechet_distance(a.data(), n, a.data(), n, F);
  const double halves = gm::eval::frechet_distance(a.data(), n, b.data(), n, F);
  const double far = gm::eval::frechet_distance(a.data(), n, fn.data(), n, F);
  MESSAGE("Fréchet distance: same " << same << ", two halves " << halves << ", noise " << far);
  CHECK(same < 1e-6 * far);
  CHECK(halves * 10 < far);
}

TEST_CASE("classifier: save → load gives bit-identical features and keeps the metadata") {
  const gm::Dataset ds = evaltest::small_image_set(200);
  const FeatureClassifier& c = quick_classifier();
  const std::vector<uint8_t> bytes = c.save_bytes({{"test_accuracy", "0.5"}});
  const FeatureClassifier back = FeatureClassifier::load_bytes(bytes.data(), bytes.size());
  CHECK(back.metadata().at("test_accuracy") == "0.5");
  CHECK(back.metadata().at("format") == "genmodels-feature-classifier");
  const std::vector<float> f1 = features_of(c, ds.x.data(), 200), f2 = features_of(back, ds.x.data(), 200);
  CHECK(std::memcmp(f1.data(), f2.data(), f1.size() * sizeof(float)) == 0);
  const std::string path = std::string(GM_TEST_TMPDIR) + "/eval_classifier.safetensors";
  c.save(path);
  const std::vector<float> f3 = features_of(FeatureClassifier::load(path), ds.x.data(), 200);
  CHECK(std::memcmp(f1.data(), f3.data(), f1.size() * sizeof(float)) == 0);
}

TEST_CASE("classifier files: truncated, foreign or tampered files are clean errors") {
  const FeatureClassifier c(5);
  CHECK(c.parameters().parameter_count() == 436202);  // the figure classifier.hpp gives
  const std::vector<uint8_t> good = c.save_bytes();
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{100}, good.size() / 2, good.size() - 1}) {
    const auto e = catch_error([&] { FeatureClassifier::load_bytes(good.data(), cut); });
    INFO(cut << ": " << e.message);
    CHECK(e.status == gm::Status::corrupt_file);
  }
  // Re-encode the same tensors with one thing changed.
  const std::vector<gm::TensorRef> tensors = c.parameters().tensors();
  auto load_with = [&](std::vector<gm::TensorRef> t, gm::Metadata meta) {
    const std::vector<uint8_t> b = gm::encode_safetensors(t, meta);
    return catch_error([&] { FeatureClassifier::load_bytes(b.data(), b.size()); });
  };
  const gm::Metadata meta = gm::decode_safetensors(good.data(), good.size()).metadata;
  CHECK(load_with(tensors, meta).status == gm::Status::ok);
  gm::Metadata model_file = {{"format", "genmodels"}, {"kind", "bernoulli"}};
  auto e = load_with(tensors, model_file);
  CHECK(e.status == gm::Status::corrupt_file);
  CHECK(e.mentions("model file (bernoulli), not a feature classifier"));
  CHECK(load_with(tensors, {}).mentions("no \"format\""));
  gm::Metadata other_arch = meta;
  other_arch["architecture"] = "resnet";
  CHECK(load_with(tensors, other_arch).mentions("retrain"));
  auto fewer = tensors;
  fewer.pop_back();
  CHECK(load_with(fewer, meta).status == gm::Status::corrupt_file);
  auto reshaped = tensors;
  reshaped[0].shape = {16, 2, 4, 4};  // same bytes, wrong shape
  CHECK(load_with(reshaped, meta).mentions("expected F32"));
  std::vector<float> bad(static_cast<std::size_t>(tensors.back().elements()), 0.0f);
  bad[3] = NAN;
  auto with_nan = tensors;
  with_nan.back().data = bad.data();
  CHECK(load_with(with_nan, meta).mentions("non-finite"));
  CHECK(catch_error([] { FeatureClassifier::load("/nonexistent/c.safetensors"); }).status == gm::Status::io_error);
}

TEST_CASE("classifier: training and inference inputs are validated") {
  gm::Dataset ds = evaltest::synthetic_images(20, 3);
  FeatureClassifier c;
  gm::eval::ClassifierTrainOptions o;
  o.epochs = 1;
  gm::DataView v = ds.view();
  v.labels = nullptr;
  CHECK(catch_error([&] { c.train(v, o); }).mentions("labelled"));
  ds.x[5] = 255.0f;
  const auto e = catch_error([&] { c.train(ds.view(), o); });
  CHECK(e.status == gm::Status::invalid_data);
  CHECK(e.mentions("[0, 1]"));
  CHECK(catch_error([&] { gm::eval::require_unit_images(ds.x.data(), ds.n, "images"); }).mentions("255"));
  ds.x[5] = 0.5f;
  ds.labels[2] = 10;
  CHECK(catch_error([&] { c.train(ds.view(), o); }).mentions("outside 0..9"));
}
