#include "data/text_features.hpp"

#include <cmath>

#include "core/error.hpp"

namespace gm {

namespace {
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

bool token_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}
}  // namespace

uint64_t fnv1a64(std::string_view bytes) noexcept {
  uint64_t h = kFnvOffset;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

std::vector<std::string> text_tokens(std::string_view sentence) {
  std::vector<std::string> tokens;
  std::string current;
  for (const char ch : sentence) {
    const auto c = static_cast<unsigned char>(ch);
    if (token_byte(c)) {
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

void text_features(std::string_view sentence, int64_t dim, float* out) {
  if (dim < 1) fail(Status::invalid_argument, "text features need a width of at least 1, got {}", dim);
  const auto buckets = static_cast<uint64_t>(dim);
  std::vector<double> counts(static_cast<std::size_t>(dim), 0.0);
  const std::vector<std::string> tokens = text_tokens(sentence);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    counts[static_cast<std::size_t>(fnv1a64(tokens[i]) % buckets)] += 1.0;
    if (i + 1 < tokens.size())
      counts[static_cast<std::size_t>(fnv1a64(tokens[i] + ' ' + tokens[i + 1]) % buckets)] += 1.0;
  }
  double norm = 0.0;
  for (const double c : counts) norm += c * c;
  const double scale = norm > 0.0 ? 1.0 / std::sqrt(norm) : 0.0;
  for (int64_t j = 0; j < dim; ++j) out[j] = static_cast<float>(counts[static_cast<std::size_t>(j)] * scale);
}

std::vector<float> text_features_rows(const std::vector<std::string>& sentences, int64_t dim) {
  if (dim < 1) fail(Status::invalid_argument, "text features need a width of at least 1, got {}", dim);
  std::vector<float> rows(sentences.size() * static_cast<std::size_t>(dim));
  for (std::size_t r = 0; r < sentences.size(); ++r)
    text_features(sentences[r], dim, rows.data() + r * static_cast<std::size_t>(dim));
  return rows;
}

}  // namespace gm
