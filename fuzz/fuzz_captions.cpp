// Text captions: the sentences a user gives a text-conditioned cgan (`--captions FILE.txt`,
// `--texts FILE`, `--text`, gm_text_features_compute) and the caption templates
// (lib/data/text_features.cpp, lib/data/captions.cpp).
// Bytes 0-1: the feature width dim = 1 + (little-endian uint16 % 4096); byte 2: a class and
// byte 3: a synonym index (signed, so out-of-range values are tried); the rest is text, one
// sentence per line. Each line is tokenised and hashed (C++ and C ABI must agree, the
// vector must be all zeros or of unit L2 norm), used as a caption template, and the first
// lines condition the samples of a small text cgan fitted once at start-up.
#include <cmath>
#include <string>
#include <vector>

#include "data/captions.hpp"
#include "data/text_features.hpp"
#include "fuzz_common.hpp"

namespace {

using gm_fuzz::check_status;
using gm_fuzz::expect_clean;
using gm_fuzz::finding;

constexpr int64_t kModelDim = 32;  // the cgan's condition width
constexpr int64_t kSide = 4;       // its 4x4 images

gm_model* text_cgan() {
  static gm_model* model = [] {
    gm_model* m = nullptr;
    gm_error* err = nullptr;
    const char* config =
        "{\"architecture\": \"mlp\", \"condition\": \"text\", \"latent\": 2, \"g_hidden\": [4], "
        "\"d_hidden\": [4], \"embed\": 4}";
    if (check_status("create cgan", gm_model_create("cgan", config, &m, &err), err) != GM_OK)
      finding("cannot create the text cgan");
    const char* sentences[] = {"a photo of a sneaker", "a pair of trousers", "this is a bag", "an ankle boot"};
    std::vector<float> x(4 * kSide * kSide), conds(4 * kModelDim);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 5) / 4.0f;
    for (int r = 0; r < 4; ++r) gm::text_features(sentences[r], kModelDim, conds.data() + r * kModelDim);
    gm_data data;
    gm_data_init(&data);
    data.x = x.data();
    data.n = 4;
    data.d = kSide * kSide;
    data.channels = 1;
    data.height = kSide;
    data.width = kSide;
    data.conditions = conds.data();
    data.condition_dim = kModelDim;
    gm_fit_options fo;
    gm_fit_options_init(&fo);
    fo.epochs = 1;
    fo.batch_size = 2;
    fo.threads = 1;
    if (check_status("fit cgan", gm_model_fit(m, &data, &fo, &err), err) != GM_OK) finding("cannot fit the text cgan");
    return m;
  }();
  return model;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void check_features(const std::string& line, int64_t dim, const std::vector<float>& v) {
  double norm2 = 0;
  for (float f : v) {
    if (!std::isfinite(f) || f < 0) finding("text_features: a negative or non-finite entry");
    norm2 += double{f} * f;
  }
  std::vector<std::string> tokens;
  expect_clean("text_tokens", [&] { tokens = gm::text_tokens(line); });
  if (tokens.empty() ? norm2 != 0 : std::fabs(norm2 - 1.0) > 1e-5)
    finding("text_features: norm^2 " + std::to_string(norm2) + " with " + std::to_string(tokens.size()) +
            " tokens, dim " + std::to_string(dim));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  text_cgan();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const int64_t dim = 1 + (data[0] | (data[1] << 8)) % 4096;
  const int c = static_cast<int8_t>(data[2]);
  const int s = static_cast<int8_t>(data[3]);
  const std::string text(reinterpret_cast<const char*>(data + 4), size - 4);
  const std::vector<std::string> lines = split_lines(text);

  std::vector<float> v(static_cast<std::size_t>(dim)), via_c(static_cast<std::size_t>(dim));
  for (const std::string& line : lines) {
    if (!expect_clean("text_features", [&] { gm::text_features(line, dim, v.data()); }))
      finding("text_features refused a sentence");
    check_features(line, dim, v);
    // The C ABI takes a C string: the same features as the line up to its first NUL.
    const std::string c_line = line.c_str();
    gm_error* err = nullptr;
    if (check_status("gm_text_features_compute", gm_text_features_compute(c_line.c_str(), dim, via_c.data(), &err),
                     err) != GM_OK)
      finding("gm_text_features_compute refused a sentence");
    if (c_line == line && via_c != v) finding("gm_text_features_compute and text_features disagree");

    std::string caption;
    expect_clean("fashion_caption", [&] { caption = gm::fashion_caption(line, c, s); });
  }
  std::vector<float> rows;
  if (!expect_clean("text_features_rows", [&] { rows = gm::text_features_rows(lines, dim); }))
    finding("text_features_rows refused sentences");
  if (rows.size() != lines.size() * static_cast<std::size_t>(dim)) finding("text_features_rows: wrong size");

  // Labels from the text bytes (most out of [0, 10)): captions or a clean refusal.
  std::vector<int32_t> labels;
  for (std::size_t i = 0; i < text.size() && i < 16; ++i) labels.push_back(static_cast<int8_t>(text[i]) % 12);
  expect_clean("fashion_train_captions", [&] {
    const auto caps = gm::fashion_train_captions(labels.data(), static_cast<int64_t>(labels.size()), size);
    if (caps.size() != labels.size()) finding("fashion_train_captions: one caption per label expected");
  });

  // Condition the text cgan on the first sentences.
  const int64_t n = static_cast<int64_t>(std::min<std::size_t>(lines.size(), 4));
  std::vector<float> conds(static_cast<std::size_t>(n * kModelDim));
  for (int64_t r = 0; r < n; ++r)
    gm::text_features(lines[static_cast<std::size_t>(r)], kModelDim, conds.data() + r * kModelDim);
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.threads = 1;
  so.seed = size;
  so.conditions = conds.data();
  so.condition_dim = kModelDim;
  std::vector<float> out(static_cast<std::size_t>(n * kSide * kSide));
  gm_error* err = nullptr;
  if (check_status("sample cgan", gm_model_sample(text_cgan(), n, &so, out.data(), n * kSide * kSide, &err), err) !=
      GM_OK)
    finding("the text cgan refused sentence conditions");
  for (float f : out)
    if (!std::isfinite(f)) finding("the text cgan sampled a non-finite value");
  return 0;
}
