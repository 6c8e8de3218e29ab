// Sentences as fixed-width vectors: hashed bags of words and bigrams (the "hashing trick",
// Weinberger et al. 2009), the condition a text cgan (Reed et al. 2016, GAN-CLS) learns
// embeddings of. Two definitions, versioned (a cgan stores its own as the config key
// "text_features"; a model file without the key is words-v1):
//
// ---- words-v1 (text_features without a version, gm_text_features_compute)
//
//   tokens   the sentence lower-cased (ASCII A–Z → a–z) and split at every byte that is not
//            an ASCII letter or digit; bytes ≥ 0x80 (UTF-8 beyond ASCII) belong to tokens,
//            so "café" stays one token. "Someone's T-shirt" → someone, s, t, shirt.
//   counts   out[h(w) mod dim] += 1 for every token w, and for every adjacent pair (a, b)
//            out[h("a b") mod dim] += 1 (the bigram joined by one space), so word order
//            matters: "a red shirt" ≠ "a shirt, red".
//   h        FNV-1a 64-bit over the bytes (offset basis 0xcbf29ce484222325, prime
//            0x100000001b3): the same buckets on every platform and compiler.
//   scale    the row is divided by its L2 norm, so sentence length does not set the
//            magnitude; a sentence without tokens gives all zeros.
//
// ---- subword-v2 (the default of new cgan text models): fastText-style subwords
// (Bojanowski et al. 2017), so that an inflection or plural shares most of its features
// with the word ("sneakers" and "sneaker": cosine 0.73 at 1 024).
//   tokens   the v1 tokens, after one normalisation: the typographic apostrophes U+2018 and
//            U+2019 count as "'", and a token "s" right after "'" (the possessive of
//            "brother's") is dropped.
//   entries  of a token w: the whole word "<w>" and every character n-gram of "<w>" with
//            3 <= n <= 5 and n < length("<w>") (characters = UTF-8 code points; "<" and
//            ">" mark the word's boundaries): "<sneaker>" gives "<sn", "sne", ..., "eaker".
//            No word bigrams.
//   counts   a token's vector t_w: t_w[h(e) mod dim] += 1 per entry e (h = FNV-1a above),
//            scaled to unit L2 norm, so a long word weighs as much as a short one.
//   scale    the sentence is Σ_w t_w divided by its L2 norm (all zeros without tokens).
//
// ---- subword-ids-v3: the same tokens and entries, not summed but listed, for a model that
// learns its own sentence encoder (nn/text_encoder.hpp: per-word embeddings from the entries,
// a learned weight per word). The row is dim / 32 word slots of 32 values in sentence order:
// slot t holds, for the t-th token, 1 + (h(e) mod 16 384) for each of its first 32 entries
// (words of up to 11 characters have at most 32), then zeros; slots without a token are
// zeros. Tokens past the last slot are dropped. dim must be a positive multiple of 32.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gm {

enum class TextFeatures { words_v1 = 1, subword_v2 = 2, subword_ids_v3 = 3 };

// subword-ids-v3's layout: entries per word slot and the id range (ids 1..kTextIdBuckets).
constexpr int64_t kTextSlotEntries = 32;
constexpr int64_t kTextIdBuckets = 16384;

// "words-v1", "subword-v2", "subword-ids-v3".
const char* text_features_name(TextFeatures version) noexcept;
// The version of a name above; throws invalid_argument naming both otherwise.
TextFeatures parse_text_features(std::string_view name);

// FNV-1a, 64 bits.
uint64_t fnv1a64(std::string_view bytes) noexcept;

// The tokens as defined above (for tests and for explaining a vector).
std::vector<std::string> text_tokens(std::string_view sentence);

// subword-v2's tokens (the v1 tokens, apostrophes normalised, possessive "s" dropped).
std::vector<std::string> text_tokens_v2(std::string_view sentence);
// subword-v2's entries of one token w: "<w>" then its n-grams, n = 3, 4, 5 in order of position.
std::vector<std::string> text_subwords(std::string_view token);

// out: dim floats, overwritten. Throws invalid_argument if dim < 1. Without a version: words-v1.
void text_features(std::string_view sentence, int64_t dim, float* out);
void text_features(std::string_view sentence, TextFeatures version, int64_t dim, float* out);

// subword-ids-v3: how many of the sentence's tokens lie past its dim / 32 word slots, which
// text_features drops; 0 for the other versions (they read every word) and for dim < 32.
int64_t text_tokens_dropped(std::string_view sentence, TextFeatures version, int64_t dim);

// Rows of text_features, one per sentence: (sentences.size(), dim) row-major.
std::vector<float> text_features_rows(const std::vector<std::string>& sentences, int64_t dim);
std::vector<float> text_features_rows(const std::vector<std::string>& sentences, TextFeatures version, int64_t dim);

}  // namespace gm
