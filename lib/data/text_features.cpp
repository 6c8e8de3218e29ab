#include "data/text_features.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

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

const char* text_features_name(TextFeatures version) noexcept {
  switch (version) {
    case TextFeatures::words_v1: return "words-v1";
    case TextFeatures::subword_v2: return "subword-v2";
    case TextFeatures::subword_ids_v3: return "subword-ids-v3";
  }
  return "words-v1";
}

TextFeatures parse_text_features(std::string_view name) {
  if (name == "words-v1") return TextFeatures::words_v1;
  if (name == "subword-v2") return TextFeatures::subword_v2;
  if (name == "subword-ids-v3") return TextFeatures::subword_ids_v3;
  fail(Status::invalid_argument,
       "unknown text feature version \"{}\": use \"words-v1\", \"subword-v2\" or \"subword-ids-v3\"",
       std::string(name.substr(0, 64)));
}

std::vector<std::string> text_tokens_v2(std::string_view sentence) {
  // The typographic apostrophes (UTF-8 E2 80 98 / E2 80 99) become "'" first.
  std::string s;
  s.reserve(sentence.size());
  for (std::size_t i = 0; i < sentence.size(); ++i) {
    if (i + 2 < sentence.size() && static_cast<unsigned char>(sentence[i]) == 0xE2 &&
        static_cast<unsigned char>(sentence[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(sentence[i + 2]) == 0x98 || static_cast<unsigned char>(sentence[i + 2]) == 0x99)) {
      s.push_back('\'');
      i += 2;
    } else {
      s.push_back(sentence[i]);
    }
  }
  std::vector<std::string> tokens;
  std::string current;
  bool after_apostrophe = false;  // the current token began right after "'"
  char previous = ' ';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (token_byte(c)) {
      if (current.empty()) after_apostrophe = previous == '\'';
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
    } else if (!current.empty()) {
      if (!(after_apostrophe && current == "s")) tokens.push_back(current);
      current.clear();
    }
    previous = ch;
  }
  if (!current.empty() && !(after_apostrophe && current == "s")) tokens.push_back(current);
  return tokens;
}

std::vector<std::string> text_subwords(std::string_view token) {
  const std::string word = "<" + std::string(token) + ">";
  std::vector<std::size_t> starts;  // byte offsets of the code points
  for (std::size_t i = 0; i < word.size(); ++i)
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) starts.push_back(i);
  const std::size_t chars = starts.size();
  starts.push_back(word.size());
  std::vector<std::string> out{word};
  for (std::size_t n = 3; n <= 5 && n < chars; ++n)
    for (std::size_t i = 0; i + n <= chars; ++i) out.push_back(word.substr(starts[i], starts[i + n] - starts[i]));
  return out;
}

void text_features(std::string_view sentence, TextFeatures version, int64_t dim, float* out) {
  if (version == TextFeatures::words_v1) return text_features(sentence, dim, out);
  if (dim < 1) fail(Status::invalid_argument, "text features need a width of at least 1, got {}", dim);
  if (version == TextFeatures::subword_ids_v3) {
    if (dim % kTextSlotEntries != 0)
      fail(Status::invalid_argument, "subword-ids-v3 features need a width that is a multiple of {}, got {}",
           kTextSlotEntries, dim);
    std::fill(out, out + dim, 0.0f);
    const std::vector<std::string> tokens = text_tokens_v2(sentence);
    const std::size_t slots = static_cast<std::size_t>(dim / kTextSlotEntries);
    for (std::size_t t = 0; t < tokens.size() && t < slots; ++t) {
      const std::vector<std::string> entries = text_subwords(tokens[t]);
      float* slot = out + static_cast<int64_t>(t) * kTextSlotEntries;
      for (std::size_t j = 0; j < entries.size() && j < static_cast<std::size_t>(kTextSlotEntries); ++j)
        slot[j] = static_cast<float>(1 + fnv1a64(entries[j]) % static_cast<uint64_t>(kTextIdBuckets));
    }
    return;
  }
  const auto buckets = static_cast<uint64_t>(dim);
  std::vector<double> sum(static_cast<std::size_t>(dim), 0.0);
  std::vector<std::pair<std::size_t, double>> token;  // one token's buckets and counts
  for (const std::string& w : text_tokens_v2(sentence)) {
    token.clear();
    for (const std::string& e : text_subwords(w)) {
      const auto b = static_cast<std::size_t>(fnv1a64(e) % buckets);
      auto at = std::find_if(token.begin(), token.end(), [b](const auto& p) { return p.first == b; });
      if (at == token.end())
        token.emplace_back(b, 1.0);
      else
        at->second += 1.0;
    }
    double n2 = 0.0;
    for (const auto& [b, c] : token) n2 += c * c;
    const double inv = 1.0 / std::sqrt(n2);  // a token has at least its whole word
    for (const auto& [b, c] : token) sum[b] += c * inv;
  }
  double norm = 0.0;
  for (const double c : sum) norm += c * c;
  const double scale = norm > 0.0 ? 1.0 / std::sqrt(norm) : 0.0;
  for (int64_t j = 0; j < dim; ++j) out[j] = static_cast<float>(sum[static_cast<std::size_t>(j)] * scale);
}

int64_t text_tokens_dropped(std::string_view sentence, TextFeatures version, int64_t dim) {
  if (version != TextFeatures::subword_ids_v3 || dim < kTextSlotEntries) return 0;
  const auto tokens = static_cast<int64_t>(text_tokens_v2(sentence).size());
  return std::max<int64_t>(0, tokens - dim / kTextSlotEntries);
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

std::vector<float> text_features_rows(const std::vector<std::string>& sentences, TextFeatures version, int64_t dim) {
  if (dim < 1) fail(Status::invalid_argument, "text features need a width of at least 1, got {}", dim);
  std::vector<float> rows(sentences.size() * static_cast<std::size_t>(dim));
  for (std::size_t r = 0; r < sentences.size(); ++r)
    text_features(sentences[r], version, dim, rows.data() + r * static_cast<std::size_t>(dim));
  return rows;
}

}  // namespace gm
