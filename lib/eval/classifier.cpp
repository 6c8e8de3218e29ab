// FeatureClassifier: the network, its training (on the shared loop) and its tiled inference. The file
// format is in classifier_file.cpp.
#include "eval/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/classifier_net.hpp"
#include "nn/compute.hpp"
#include "nn/loss.hpp"
#include "nn/tiles.hpp"
#include "nn/trainer.hpp"

namespace gm::eval {

namespace {
constexpr int64_t kTile = 128;  // rows per inference tile: fixed, so results ignore the thread count
constexpr int64_t F = FeatureClassifier::kFeatures, K = FeatureClassifier::kClasses;
constexpr int64_t kPixels = FeatureClassifier::kPixels;
// Inputs are standardised with Fashion-MNIST's training-set pixel mean and standard
// deviation before conv1: zero-mean, unit-scale inputs keep conv1's gradient on the same
// scale as the other layers'.
constexpr float kPixelMean = 0.2860f, kPixelStd = 0.3530f;

const float* standardise(const float* x, int64_t B, ClassifierActs& a) {
  a.x.resize(B * kPixels);
  for (int64_t i = 0; i < B * kPixels; ++i) a.x[i] = (x[i] - kPixelMean) * (1.0f / kPixelStd);
  return a.x.data();
}

nn::StageSpec stage(nn::Layer layer, const char* name, int64_t in, int64_t out, int64_t side, nn::Act act) {
  nn::StageSpec s;
  s.layer = layer;
  s.name = name;
  s.in = in;
  s.out = out;
  if (layer == nn::Layer::conv) {
    s.in_h = s.in_w = side;
    s.kernel = 4;
    s.stride = 2;
    s.padding = 1;
  }
  s.act = act;
  return s;
}

// The shared training loop's view of the network: Σ cross-entropy of a batch, gradients of
// its mean.
class Trainee final : public nn::Trainable {
 public:
  explicit Trainee(ClassifierNet& net) : net_(net) {}
  nn::ParameterStore& parameter_store() override { return net_.store; }
  double train_step(const DataView& batch, Rng&) override {
    return classifier_loss_and_gradients(net_, batch.x, batch.labels, batch.n, 1.0f / static_cast<float>(batch.n));
  }
  double evaluate(const DataView& batch, Rng&) override {
    ClassifierActs& a = net_.train_acts;
    classifier_forward(net_, batch.x, batch.n, a);
    a.per_example.resize(static_cast<std::size_t>(batch.n));
    return nn::softmax_cross_entropy(a.logits, batch.labels, batch.n, K, a.per_example.data(), nullptr);
  }

 private:
  ClassifierNet& net_;
};

}  // namespace

// x (B, 784) → conv1 (B, 32·14·14) → conv2 (B, 3136) → fc1 (B, 128) → fc2 (B, 10), ReLU in place.
void classifier_forward(const ClassifierNet& net, const float* x, int64_t B, ClassifierActs& a) {
  a.logits = net.net.forward_infer(standardise(x, B, a), B, a.work);
  a.features = net.net.stage_output(ClassifierNet::kFeatureStage, a.work);
}

ClassifierNet::ClassifierNet() {
  net.add(store, stage(nn::Layer::conv, "conv1", 1, 32, 28, nn::Act::relu));
  net.add(store, stage(nn::Layer::conv, "conv2", 32, 64, 14, nn::Act::relu));
  net.add(store, stage(nn::Layer::dense, "fc1", 64 * 7 * 7, F, 0, nn::Act::relu));
  net.add(store, stage(nn::Layer::dense, "fc2", F, K, 0, nn::Act::none));
}

void ClassifierNet::init(uint64_t seed) {
  Rng rng(seed, 0);
  net.init_default(rng);
}

FeatureClassifier::FeatureClassifier(uint64_t seed) : net_(std::make_unique<ClassifierNet>()) { net_->init(seed); }
FeatureClassifier::~FeatureClassifier() = default;
FeatureClassifier::FeatureClassifier(FeatureClassifier&&) noexcept = default;
FeatureClassifier& FeatureClassifier::operator=(FeatureClassifier&&) noexcept = default;

const nn::ParameterStore& FeatureClassifier::parameters() const { return net_->store; }

void require_unit_images(const float* x, int64_t n, const std::string& what) {
  constexpr float tol = 1e-4f;
  for (int64_t i = 0; i < n * FeatureClassifier::kPixels; ++i)
    if (!(x[i] >= -tol && x[i] <= 1.0f + tol))  // also catches NaN
      fail(Status::invalid_data,
           "{}: value {} at row {}, pixel {} is outside [0, 1]; the classifier reads grey levels in [0, 1] "
           "(divide bytes by 255, map [-1, 1] data by (x + 1) / 2)",
           what, x[i], i / FeatureClassifier::kPixels, i % FeatureClassifier::kPixels);
}

double classifier_loss_and_gradients(ClassifierNet& net, const float* x, const int32_t* labels, int64_t B,
                                     float grad_scale) {
  ClassifierActs& a = net.train_acts;
  const float* xs = standardise(x, B, a);
  a.logits = net.net.forward_train(xs, B, a.work);
  a.features = net.net.stage_output(ClassifierNet::kFeatureStage, a.work);
  a.d_logits.resize(B * K);
  a.per_example.resize(static_cast<std::size_t>(B));
  const double loss =
      nn::softmax_cross_entropy(a.logits, labels, B, K, a.per_example.data(), a.d_logits.data(), grad_scale);
  net.store.zero_grad();
  net.net.backward(xs, a.d_logits.data(), nullptr, B, a.work);  // first layer: no dx
  return loss;
}

void FeatureClassifier::train(const DataView& data, const ClassifierTrainOptions& options) {
  if (data.d != kPixels || (data.image.is_image() && (data.image.channels != 1 || data.image.height != kSide)))
    fail(Status::invalid_data, "the feature classifier trains on 28×28 grey images (784 values a row), got rows of {}",
         data.d);
  if (data.n < 1 || data.x == nullptr) fail(Status::invalid_argument, "the feature classifier needs training data");
  if (data.labels == nullptr) fail(Status::invalid_data, "the feature classifier needs labelled data (labels 0..9)");
  for (int64_t i = 0; i < data.n; ++i)
    if (data.labels[i] < 0 || data.labels[i] >= kClasses)
      fail(Status::invalid_data, "label {} of row {} is outside 0..9 (the classifier has 10 classes)", data.labels[i],
           i);
  if (options.epochs < 1 || options.batch_size < 1 || !(options.learning_rate > 0))
    fail(Status::invalid_argument,
         "classifier training: epochs {}, batch size {} and learning rate {} must be positive", options.epochs,
         options.batch_size, options.learning_rate);
  require_unit_images(data.x, data.n, "classifier training data");

  nn::ComputeScope scope(options.threads);
  ClassifierNet& net = *net_;
  net.init(options.seed);
  // The shared loop (nn/trainer.hpp) with the classifier's own epoch order and schedule.
  nn::TrainerSettings settings;
  settings.kind = "feature classifier";
  settings.fit.epochs = options.epochs;
  settings.fit.batch_size = options.batch_size;
  settings.fit.learning_rate = options.learning_rate;
  settings.fit.seed = options.seed;
  settings.fit.threads = options.threads;
  settings.fit.progress = options.progress;
  // Cosine decay from lr to 0 over the run (Loshchilov & Hutter 2017, without restarts):
  // the last epochs average out the minibatch noise that a constant lr leaves.
  const float lr = options.learning_rate;
  settings.lr_schedule = [lr](int64_t step, int64_t total) {
    return static_cast<float>(lr * 0.5 * (1.0 + std::cos(M_PI * step / total)));
  };
  // Each epoch a fresh Fisher–Yates shuffle of the rows in order, from its own stream (seed, epoch).
  const uint64_t seed = options.seed;
  settings.shuffle = [seed](std::vector<int64_t>& order, int64_t epoch) {
    std::sort(order.begin(), order.end());
    Rng rng(seed, static_cast<uint64_t>(epoch));
    for (auto i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
  };
  Trainee trainee(net);
  nn::train(trainee, data, settings);
  metadata_.clear();
}

void FeatureClassifier::run(const float* x, int64_t n, float* features, float* logits, int threads) const {
  if (n < 0 || (n > 0 && x == nullptr)) fail(Status::invalid_argument, "classifier: {} rows at {}", n, (const void*)x);
  if (n == 0) return;
  nn::ComputeScope scope(threads);
  const ClassifierNet& net = *net_;
  nn::for_tiles<ClassifierActs>((n + kTile - 1) / kTile, [&](int64_t t, ClassifierActs& a) {
    const int64_t r0 = t * kTile, b = std::min(kTile, n - r0);
    classifier_forward(net, x + r0 * kPixels, b, a);
    if (features != nullptr)
      std::memcpy(features + r0 * F, a.features, static_cast<std::size_t>(b * F) * sizeof(float));
    if (logits != nullptr) std::memcpy(logits + r0 * K, a.logits, static_cast<std::size_t>(b * K) * sizeof(float));
  });
}

void FeatureClassifier::predict(const float* x, int64_t n, int32_t* labels, int threads) const {
  std::vector<float> logits(static_cast<std::size_t>(n * K));
  run(x, n, nullptr, logits.data(), threads);
  for (int64_t i = 0; i < n; ++i) {
    const float* l = logits.data() + i * K;
    labels[i] = static_cast<int32_t>(std::max_element(l, l + K) - l);
  }
}

double FeatureClassifier::accuracy(const DataView& data, int threads) const {
  if (data.labels == nullptr || data.n < 1) fail(Status::invalid_argument, "classifier accuracy needs labelled rows");
  if (data.d != kPixels) fail(Status::invalid_data, "the classifier reads rows of 784 values, got {}", data.d);
  std::vector<int32_t> predicted(static_cast<std::size_t>(data.n));
  predict(data.x, data.n, predicted.data(), threads);
  int64_t right = 0;
  for (int64_t i = 0; i < data.n; ++i) right += predicted[i] == data.labels[i];
  return static_cast<double>(right) / static_cast<double>(data.n);
}

}  // namespace gm::eval
