// Internal to lib/eval: the network of FeatureClassifier (see classifier.hpp for the
// architecture) as an nn::Sequential, and the buffers of one pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/buffer.hpp"
#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace gm::eval {

// One pass's buffers for B rows (only grow). d_logits and per_example are used by training only.
struct ClassifierActs {
  nn::Buffer x;                     // (B, 784) standardised input
  nn::SequentialWork work;          // every stage's output, ReLUs in place
  const float* features = nullptr;  // (B, 128): fc1 after its ReLU, in work
  const float* logits = nullptr;    // (B, 10), in work
  nn::Buffer d_logits;
  std::vector<double> per_example;
};

struct ClassifierNet {
  // The stages: conv1 (1→32, 28→14), conv2 (32→64, 14→7), fc1 (3136→128), fc2 (128→10);
  // weights (32, 1, 4, 4), (64, 32, 4, 4), (128, 3136), (10, 128), each with a bias.
  static constexpr std::size_t kFeatureStage = 2;

  ClassifierNet();
  void init(uint64_t seed);  // PyTorch's default initialisation from Rng(seed, 0)

  nn::ParameterStore store;  // declared first: the layers register into it
  nn::Sequential net;
  ClassifierActs train_acts;
};

// x (B, 784) → a.logits and a.features (inference pass; ReLUs in place).
void classifier_forward(const ClassifierNet& net, const float* x, int64_t B, ClassifierActs& a);
// The training objective on one batch: a training pass into net.train_acts, grad_scale · Σ
// cross-entropy, zero_grad, backward into net.store's gradients. Returns Σ cross-entropy.
double classifier_loss_and_gradients(ClassifierNet& net, const float* x, const int32_t* labels, int64_t B,
                                     float grad_scale);

}  // namespace gm::eval
