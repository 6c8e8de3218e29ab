// A learned sentence encoder over word-piece ids (data/text_features.hpp, "subword-ids-v3"):
// fastText's word vectors (Bojanowski et al. 2017) pooled with a learned weight per word, the
// small trainable stand-in for the text encoder of Reed et al. 2016 that a text cgan learns
// jointly with GAN-CLS.
//
// Input: per row, T word slots of K ids each (ids in 1..N, 0 = empty; a slot without ids is
// no word). Parameters: the table E (N, H), the score vector u (H), and a Linear H → O.
//   word      e_t = Σ_j E[id_tj − 1] / √n_t          (n_t ids of slot t)
//   weights   a_t = u · e_t,  α = softmax over the row's words
//   pooled    s = Σ_t α_t e_t                         (0 for a row without words)
//   output    y = W s + b
// The weights are learned, not a stop-word list: a word whose vector helps tell images apart
// gets the weight (at the start u = 0, every word weighs the same).
// Backward (dy → gradients of E, u, W, b, added into the store's):
//   ds = Wᵀ dy;  dα_t = ds · e_t;  da_t = α_t (dα_t − Σ_k α_k dα_k)
//   du = Σ_t da_t e_t;  de_t = α_t ds + da_t u;  dE[id_tj − 1] += de_t / √n_t
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/linear.hpp"
#include "nn/parameter_store.hpp"

namespace gm::nn {

// What forward keeps for backward (and reuses across calls).
struct TextEncoderWork {
  std::vector<float> e;      // (B, T, H) word vectors
  std::vector<float> alpha;  // (B, T) word weights (0 for empty slots)
  std::vector<float> s;      // (B, H) pooled
  std::vector<float> ds;     // (B, H)
};

class TextEncoder {
 public:
  // Registers "<name>.table" (N, H), "<name>.score" (H), "<name>.out.weight" (O, H) and
  // "<name>.out.bias" (O), in this order.
  TextEncoder(ParameterStore& store, const std::string& name, int64_t slots, int64_t ids_per_slot, int64_t buckets,
              int64_t hidden, int64_t out);

  // E ~ N(0, 1/√H), u = 0, the Linear PyTorch's default.
  void init(Rng& rng);

  // ids (B, T·K) as floats; y (B, O). Thread-safe with distinct works. An id outside
  // [0, N] or not whole is invalid_argument (the rows come from data/text_features.hpp).
  void forward(const float* ids, float* y, int64_t B, TextEncoderWork& work) const;
  // Training: adds into the store's gradients; ids and work are forward's.
  void backward(const float* ids, const float* dy, int64_t B, TextEncoderWork& work);

  int64_t width() const { return slots_ * ids_; }  // the input row's width
  int64_t out() const { return out_; }
  int64_t hidden() const { return hidden_; }
  ParamId first() const { return table_; }
  ParamId last() const { return linear_.bias(); }
  // The tensors the constructor registers, for checking a file before allocating.
  static std::vector<std::pair<std::string, std::vector<int64_t>>> tensors(const std::string& name, int64_t buckets,
                                                                           int64_t hidden, int64_t out);

 private:
  ParameterStore* store_;
  int64_t slots_, ids_, buckets_, hidden_, out_;
  ParamId table_, score_;
  Linear linear_;
};

}  // namespace gm::nn
