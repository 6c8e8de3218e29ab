#include "nn/text_encoder.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/init.hpp"

namespace gm::nn {

namespace {
void require_sizes(const std::string& name, int64_t slots, int64_t ids, int64_t buckets, int64_t hidden, int64_t out) {
  if (slots < 1 || ids < 1 || buckets < 1 || hidden < 1 || out < 1)
    fail(Status::invalid_argument, "text encoder {}: sizes slots {} ids {} buckets {} hidden {} out {}", name, slots,
         ids, buckets, hidden, out);
}
}  // namespace

TextEncoder::TextEncoder(ParameterStore& store, const std::string& name, int64_t slots, int64_t ids_per_slot,
                         int64_t buckets, int64_t hidden, int64_t out)
    : store_(&store),
      slots_(slots),
      ids_(ids_per_slot),
      buckets_(buckets),
      hidden_(hidden),
      out_(out),
      table_((require_sizes(name, slots, ids_per_slot, buckets, hidden, out),
              store.add(name + ".table", {buckets, hidden}))),
      score_(store.add(name + ".score", {hidden})),
      linear_(store, name + ".out", hidden, out) {}

std::vector<std::pair<std::string, std::vector<int64_t>>> TextEncoder::tensors(const std::string& name, int64_t buckets,
                                                                               int64_t hidden, int64_t out) {
  return {{name + ".table", {buckets, hidden}},
          {name + ".score", {hidden}},
          {name + ".out.weight", {out, hidden}},
          {name + ".out.bias", {out}}};
}

void TextEncoder::init(Rng& rng) {
  init_normal(store_->value(table_), buckets_ * hidden_, rng, 0.0f, 1.0f / std::sqrt(static_cast<float>(hidden_)));
  std::fill(store_->value(score_), store_->value(score_) + hidden_, 0.0f);
  linear_.init(rng);
}

void TextEncoder::forward(const float* ids, float* y, int64_t B, TextEncoderWork& w) const {
  const int64_t T = slots_, K = ids_, H = hidden_;
  w.e.assign(static_cast<std::size_t>(B * T * H), 0.0f);
  w.alpha.assign(static_cast<std::size_t>(B * T), 0.0f);
  w.s.assign(static_cast<std::size_t>(B * H), 0.0f);
  const float* table = store_->value(table_);
  const float* u = store_->value(score_);
  std::vector<double> score(static_cast<std::size_t>(T));
  std::vector<char> present(static_cast<std::size_t>(T));
  for (int64_t r = 0; r < B; ++r) {
    double top = -INFINITY;
    for (int64_t t = 0; t < T; ++t) {
      const float* slot = ids + r * T * K + t * K;
      float* e = w.e.data() + (r * T + t) * H;
      int64_t n = 0;
      for (int64_t j = 0; j < K; ++j) {
        const float v = slot[j];
        if (v == 0.0f) continue;
        if (!(v >= 1.0f && v <= static_cast<float>(buckets_)) || v != std::floor(v))
          fail(Status::invalid_argument, "text encoder: row {} slot {} holds {}, not a word-piece id in [1, {}]", r, t,
               v, buckets_);
        const float* row = table + (static_cast<int64_t>(v) - 1) * H;
        for (int64_t h = 0; h < H; ++h) e[h] += row[h];
        ++n;
      }
      present[static_cast<std::size_t>(t)] = n > 0;
      if (n == 0) continue;
      const float inv = 1.0f / std::sqrt(static_cast<float>(n));
      double a = 0;
      for (int64_t h = 0; h < H; ++h) {
        e[h] *= inv;
        a += static_cast<double>(u[h]) * e[h];
      }
      score[static_cast<std::size_t>(t)] = a;
      top = std::max(top, a);
    }
    double z = 0;
    for (int64_t t = 0; t < T; ++t)
      if (present[static_cast<std::size_t>(t)]) z += std::exp(score[static_cast<std::size_t>(t)] - top);
    float* s = w.s.data() + r * H;
    for (int64_t t = 0; t < T; ++t) {
      if (!present[static_cast<std::size_t>(t)]) continue;
      const float a = static_cast<float>(std::exp(score[static_cast<std::size_t>(t)] - top) / z);
      w.alpha[static_cast<std::size_t>(r * T + t)] = a;
      const float* e = w.e.data() + (r * T + t) * H;
      for (int64_t h = 0; h < H; ++h) s[h] += a * e[h];
    }
  }
  linear_.forward(w.s.data(), y, B);
}

void TextEncoder::backward(const float* ids, const float* dy, int64_t B, TextEncoderWork& w) {
  const int64_t T = slots_, K = ids_, H = hidden_;
  w.ds.assign(static_cast<std::size_t>(B * H), 0.0f);
  linear_.backward(w.s.data(), dy, w.ds.data(), B);
  float* dtable = store_->grad(table_);
  float* du = store_->grad(score_);
  const float* u = store_->value(score_);
  std::vector<double> dalpha(static_cast<std::size_t>(T));
  std::vector<float> de(static_cast<std::size_t>(H));
  for (int64_t r = 0; r < B; ++r) {
    const float* ds = w.ds.data() + r * H;
    const float* alpha = w.alpha.data() + r * T;
    double mean = 0;
    for (int64_t t = 0; t < T; ++t) {
      if (alpha[t] == 0.0f) continue;
      const float* e = w.e.data() + (r * T + t) * H;
      double d = 0;
      for (int64_t h = 0; h < H; ++h) d += static_cast<double>(ds[h]) * e[h];
      dalpha[static_cast<std::size_t>(t)] = d;
      mean += alpha[t] * d;
    }
    for (int64_t t = 0; t < T; ++t) {
      if (alpha[t] == 0.0f) continue;
      const float* e = w.e.data() + (r * T + t) * H;
      const float da = static_cast<float>(alpha[t] * (dalpha[static_cast<std::size_t>(t)] - mean));
      for (int64_t h = 0; h < H; ++h) {
        du[h] += da * e[h];
        de[static_cast<std::size_t>(h)] = alpha[t] * ds[h] + da * u[h];
      }
      const float* slot = ids + r * T * K + t * K;
      int64_t n = 0;
      for (int64_t j = 0; j < K; ++j) n += slot[j] != 0.0f;
      const float inv = 1.0f / std::sqrt(static_cast<float>(n));
      for (int64_t j = 0; j < K; ++j) {
        if (slot[j] == 0.0f) continue;
        float* g = dtable + (static_cast<int64_t>(slot[j]) - 1) * H;
        for (int64_t h = 0; h < H; ++h) g[h] += de[static_cast<std::size_t>(h)] * inv;
      }
    }
  }
}

}  // namespace gm::nn
