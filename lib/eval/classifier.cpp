// FeatureClassifier: the network, its training loop and its tiled inference. The file
// format is in classifier_file.cpp.
#include "eval/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/classifier_net.hpp"
#include "nn/activation.hpp"
#include "nn/compute.hpp"
#include "nn/loss.hpp"
#include "nn/optim.hpp"
#include "nn/tiles.hpp"

namespace gm::eval {

namespace {
constexpr int64_t kTile = 128;  // rows per inference tile: fixed, so results ignore the thread count
constexpr int64_t kA1 = 32 * 14 * 14, kA2 = 64 * 7 * 7;
constexpr int64_t F = FeatureClassifier::kFeatures, K = FeatureClassifier::kClasses;
constexpr int64_t kPixels = FeatureClassifier::kPixels;
// Inputs are standardised with Fashion-MNIST's training-set pixel mean and standard
// deviation before conv1: zero-mean, unit-scale inputs keep conv1's gradient on the same
// scale as the other layers'.
constexpr float kPixelMean = 0.2860f, kPixelStd = 0.3530f;

}  // namespace

// x (B, 784) → a1 (B, 32·14·14) → a2 (B, 3136) → h (B, 128) → logits (B, 10), ReLU in place.
void classifier_forward(const ClassifierNet& net, const float* x, int64_t B, ClassifierActs& a) {
  a.reserve(B);
  for (int64_t i = 0; i < B * kPixels; ++i) a.a0[i] = (x[i] - kPixelMean) * (1.0f / kPixelStd);
  net.conv1.forward(a.a0.data(), a.a1.data(), B, 28, 28);
  nn::relu_inplace(a.a1.data(), B * kA1);
  net.conv2.forward(a.a1.data(), a.a2.data(), B, 14, 14);
  nn::relu_inplace(a.a2.data(), B * kA2);
  net.fc1.forward(a.a2.data(), a.h.data(), B);
  nn::relu_inplace(a.h.data(), B * F);
  net.fc2.forward(a.h.data(), a.logits.data(), B);
}

void ClassifierActs::reserve(int64_t B) {
  a0.resize(B * kPixels);
  a1.resize(B * kA1);
  a2.resize(B * kA2);
  h.resize(B * F);
  logits.resize(B * K);
}

ClassifierNet::ClassifierNet()
    : conv1(store, "conv1", nn::ConvSpec{1, 32, 4, 2, 1, true}),
      conv2(store, "conv2", nn::ConvSpec{32, 64, 4, 2, 1, true}),
      fc1(store, "fc1", kA2, F),
      fc2(store, "fc2", F, K) {}

void ClassifierNet::init(uint64_t seed) {
  Rng rng(seed, 0);
  conv1.init(rng);
  conv2.init(rng);
  fc1.init(rng);
  fc2.init(rng);
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
  classifier_forward(net, x, B, a);
  a.d_logits.resize(B * K);
  a.dh.resize(B * F);
  a.da2.resize(B * kA2);
  a.da1.resize(B * kA1);
  std::vector<double>& per = a.per_example;
  per.resize(static_cast<std::size_t>(B));
  const double loss = nn::softmax_cross_entropy(a.logits.data(), labels, B, K, per.data(), a.d_logits.data(), grad_scale);
  // Back through the chain; each ReLU's backward reads its (in-place) output.
  net.store.zero_grad();
  net.fc2.backward(a.h.data(), a.d_logits.data(), a.dh.data(), B);
  nn::relu_backward_inplace(a.h.data(), a.dh.data(), B * F);
  net.fc1.backward(a.a2.data(), a.dh.data(), a.da2.data(), B);
  nn::relu_backward_inplace(a.a2.data(), a.da2.data(), B * kA2);
  net.conv2.backward(a.a1.data(), a.da2.data(), a.da1.data(), B, 14, 14);
  nn::relu_backward_inplace(a.a1.data(), a.da1.data(), B * kA1);
  net.conv1.backward(a.a0.data(), a.da1.data(), nullptr, B, 28, 28);  // first layer: no dx
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
      fail(Status::invalid_data, "label {} of row {} is outside 0..9 (the classifier has 10 classes)", data.labels[i], i);
  if (options.epochs < 1 || options.batch_size < 1 || !(options.learning_rate > 0))
    fail(Status::invalid_argument, "classifier training: epochs {}, batch size {} and learning rate {} must be positive",
         options.epochs, options.batch_size, options.learning_rate);
  require_unit_images(data.x, data.n, "classifier training data");

  nn::ComputeScope scope(options.threads);
  ClassifierNet& net = *net_;
  net.init(options.seed);
  nn::AdamOptions adam_options;
  adam_options.lr = options.learning_rate;
  nn::Adam adam(net.store.span(), adam_options);

  const int64_t B = std::min(options.batch_size, data.n);
  const int64_t steps_per_epoch = (data.n + B - 1) / B;
  const int64_t total = steps_per_epoch * options.epochs;
  std::vector<int64_t> order(static_cast<std::size_t>(data.n));
  std::vector<float> xb(static_cast<std::size_t>(B * kPixels));
  std::vector<int32_t> yb(static_cast<std::size_t>(B));
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    // A fresh Fisher–Yates shuffle per epoch from its own stream (seed, epoch + 1).
    std::iota(order.begin(), order.end(), 0);
    Rng rng(options.seed, static_cast<uint64_t>(epoch) + 1);
    for (int64_t i = data.n - 1; i > 0; --i) std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
    for (int64_t start = 0; start < data.n; start += B) {
      const int64_t b = std::min(B, data.n - start);
      for (int64_t r = 0; r < b; ++r) {
        std::memcpy(xb.data() + r * kPixels, data.row(order[start + r]), kPixels * sizeof(float));
        yb[r] = data.labels[order[start + r]];
      }
      // Cosine decay from lr to 0 over the run (Loshchilov & Hutter 2017, without restarts):
      // the last epochs average out the minibatch noise that a constant lr leaves.
      adam.set_lr(static_cast<float>(options.learning_rate * 0.5 * (1.0 + std::cos(M_PI * step / total))));
      const double loss = classifier_loss_and_gradients(net, xb.data(), yb.data(), b, 1.0f / static_cast<float>(b)) / b;
      if (!std::isfinite(loss)) fail(Status::diverged, "classifier training diverged at step {} (loss {})", step + 1, loss);
      adam.step();
      ++step;
      if (options.progress && options.progress(step, total, loss))
        fail(Status::cancelled, "classifier training cancelled at step {} of {}", step, total);
    }
  }
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
    if (features != nullptr) std::memcpy(features + r0 * F, a.h.data(), static_cast<std::size_t>(b * F) * sizeof(float));
    if (logits != nullptr) std::memcpy(logits + r0 * K, a.logits.data(), static_cast<std::size_t>(b * K) * sizeof(float));
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
