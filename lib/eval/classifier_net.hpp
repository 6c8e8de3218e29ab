// Internal to lib/eval: the layers of FeatureClassifier (see classifier.hpp for the
// architecture) and the activation buffers of one pass.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/buffer.hpp"
#include "nn/conv2d.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"

namespace gm::eval {

// One pass's activations for B rows (only grows). The d* buffers are used by training only.
struct ClassifierActs {
  nn::Buffer a0, a1, a2, h, logits;  // (B, 784) standardised input, (B, 32·14·14), (B, 64·7·7), (B, 128), (B, 10)
  nn::Buffer d_logits, dh, da2, da1;
  std::vector<double> per_example;
  void reserve(int64_t B);
};

struct ClassifierNet {
  ClassifierNet();
  void init(uint64_t seed);  // PyTorch's default initialisation from Rng(seed, 0)

  nn::ParameterStore store;  // declared first: the layers register into it
  nn::Conv2d conv1, conv2;   // weights (32, 1, 4, 4), (64, 32, 4, 4)
  nn::Linear fc1, fc2;       // weights (128, 3136), (10, 128)
  ClassifierActs train_acts;
};

// x (B, 784) → logits in a.logits, every activation kept in a (ReLUs in place).
void classifier_forward(const ClassifierNet& net, const float* x, int64_t B, ClassifierActs& a);
// The training objective on one batch: forward into net.train_acts, grad_scale · Σ
// cross-entropy, zero_grad, backward into net.store's gradients. Returns Σ cross-entropy.
double classifier_loss_and_gradients(ClassifierNet& net, const float* x, const int32_t* labels, int64_t B,
                                     float grad_scale);

}  // namespace gm::eval
