// The feature network behind the Fréchet distance: a small CNN trained to classify
// Fashion-MNIST (Xiao et al. 2017), whose penultimate layer is the feature space in which
// real and generated images are compared (the role Inception-v3's pool3 plays in FID).
//
//   x (B, 1, 28, 28) in [0, 1]       grey levels, NOT binarised; standardised inside by
//                                    Fashion-MNIST's pixel mean and std (0.2860, 0.3530)
//   conv1  1 → 32, k4 s2 p1, ReLU    (B, 32, 14, 14)
//   conv2 32 → 64, k4 s2 p1, ReLU    (B, 64, 7, 7), read as (B, 3136) (PyTorch's flatten)
//   fc1  3136 → 128, ReLU            (B, 128)   = the feature vector
//   fc2   128 → 10                   (B, 10)    logits of the 10 classes
//
// Trained by softmax cross-entropy with Adam (lr 1e-3 with cosine decay to 0, batch 100,
// 5 epochs); 436 202 parameters. Measured test accuracy: docs/eval.md.
//
// Thread safety: features / logits / predict / accuracy are const and may run concurrently
// (activations live in per-call scratch). They split the rows into fixed tiles, each run
// single-threaded on one OpenMP thread, so the outputs do not depend on the thread count.
// train and load need exclusive access.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/data_view.hpp"
#include "io/safetensors.hpp"
#include "nn/parameter_store.hpp"

namespace gm::eval {

struct ClassifierNet;  // eval/classifier_net.hpp (internal)

struct ClassifierTrainOptions {
  int64_t epochs = 5;
  int64_t batch_size = 100;
  float learning_rate = 1e-3f;  // the peak: decays to 0 along a half cosine
  uint64_t seed = 0;
  int threads = 0;  // 0 = all cores
  // Called after every step with the batch's mean loss; returning true cancels (Status::cancelled).
  std::function<bool(int64_t step, int64_t total, double loss)> progress;
};

class FeatureClassifier {
 public:
  static constexpr int64_t kSide = 28, kPixels = 784, kFeatures = 128, kClasses = 10;

  // Parameters initialised with PyTorch's defaults from `seed` (an untrained network).
  explicit FeatureClassifier(uint64_t seed = 0);
  ~FeatureClassifier();
  FeatureClassifier(FeatureClassifier&&) noexcept;
  FeatureClassifier& operator=(FeatureClassifier&&) noexcept;

  // data: rows of 784 values in [0, 1], labels in [0, 10). Re-initialises the parameters
  // from options.seed, then trains. Throws invalid_data / invalid_argument naming the problem.
  void train(const DataView& data, const ClassifierTrainOptions& options);

  // x (n, 784) → features (n, 128) / logits (n, 10) / argmax labels (n). Either output of
  // run() may be null. The caller checks the value range (require_unit_images).
  void run(const float* x, int64_t n, float* features, float* logits, int threads = 0) const;
  void features(const float* x, int64_t n, float* out, int threads = 0) const { run(x, n, out, nullptr, threads); }
  void predict(const float* x, int64_t n, int32_t* labels, int threads = 0) const;
  // Fraction of rows whose argmax equals data.labels (required).
  double accuracy(const DataView& data, int threads = 0) const;

  // The tensors (what a file holds) and the network itself, for tests.
  const nn::ParameterStore& parameters() const;
  ClassifierNet& net() { return *net_; }

  // Safetensors with __metadata__ format = "genmodels-feature-classifier", the architecture
  // tag and genmodels_version, plus `extra` (e.g. the measured test accuracy). Atomic.
  std::vector<uint8_t> save_bytes(const Metadata& extra = {}) const;
  void save(const std::string& path, const Metadata& extra = {}) const;
  // Hostile-safe: a wrong, truncated or foreign file is corrupt_file saying what it is.
  static FeatureClassifier load_bytes(const uint8_t* data, std::size_t size);
  static FeatureClassifier load(const std::string& path);
  // The metadata of the file it was loaded from (empty for a fresh network).
  const Metadata& metadata() const { return metadata_; }

 private:
  std::unique_ptr<ClassifierNet> net_;
  Metadata metadata_;
};

// Throws invalid_data unless all n·784 values are finite and in [0, 1] (a tolerance of 1e-4
// lets through values rounded by other tools); `what` names the data in the message.
void require_unit_images(const float* x, int64_t n, const std::string& what);

}  // namespace gm::eval
