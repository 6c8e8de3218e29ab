// Sentences as fixed-width vectors: hashed bags of words and bigrams (the "hashing trick",
// Weinberger et al. 2009), the condition a text cgan (Reed et al. 2016, GAN-CLS) learns
// embeddings of.
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
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gm {

// FNV-1a, 64 bits.
uint64_t fnv1a64(std::string_view bytes) noexcept;

// The tokens as defined above (for tests and for explaining a vector).
std::vector<std::string> text_tokens(std::string_view sentence);

// out: dim floats, overwritten. Throws invalid_argument if dim < 1.
void text_features(std::string_view sentence, int64_t dim, float* out);

// Rows of text_features, one per sentence: (sentences.size(), dim) row-major.
std::vector<float> text_features_rows(const std::vector<std::string>& sentences, int64_t dim);

}  // namespace gm
