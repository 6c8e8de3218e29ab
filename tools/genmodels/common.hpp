// Shared pieces of the command line: data loading with the common flags, output files,
// terminal progress, and the error boundary.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "condition.hpp"  // capi/: model_condition, the query behind gm_model_condition
#include "data/dataset.hpp"
#include "data/text_features.hpp"
#include "models/generative_model.hpp"

namespace gm::cli {

// Flags every command that reads data shares.
struct DataFlags {
  std::string spec;
  double binarize = -1.0;  // < 0: keep values
  int64_t levels = 0;      // --levels M: quantise [0,1] to M levels (0: keep values)
  int64_t max_examples = 0;
  std::string shape;  // --shape C,H,W or H,W: the image layout of flat rows ("" = as loaded)

  void add_to(CLI::App& cmd, bool required = true);
  // The data with the flags applied. Throws invalid_argument for a malformed --shape, one
  // whose C*H*W is not the row width, or one that contradicts the data's own layout.
  Dataset load() const;
};

// Parses --shape's "C,H,W" or "H,W" (C = 1): positive integers. Throws invalid_argument.
ImageShape parse_shape_flag(const std::string& text);

// fit's --captions / --text-dim: one sentence per row of the data, hashed
// (data/text_features.hpp) into the conditions of cgan with "condition": "text".
struct CaptionFlags {
  std::string source;       // "" (none), "builtin" (Fashion-MNIST captions from the labels) or FILE.txt
  int64_t text_dim = 1024;  // width of the hashed sentence vectors

  void add_to(CLI::App& cmd);
  // The sentences of data's rows (empty without --captions). builtin draws the training
  // phrasings with `seed` (data/captions.hpp); a file gives one sentence per line and needs
  // at least data.n lines (the first data.n are used).
  std::vector<std::string> sentences(const Dataset& data, uint64_t seed) const;
};

// sample's and decode's --label K (every row), --labels a,b,c (one per row), --text
// SENTENCE (every row) and --texts FILE.txt (one sentence per row): the conditions of a cgan.
struct ConditionFlags {
  int64_t label = -1;
  std::vector<int32_t> labels;
  std::string text, texts_file;

  void add_to(CLI::App& cmd);
  bool given() const { return label >= 0 || !labels.empty() || !text.empty() || !texts_file.empty(); }
  // The number of rows the flags fix (--labels or --texts), else 0.
  int64_t rows() const;
  // Points options.labels or options.conditions at n rows' conditions (kept in this
  // object). Throws invalid_argument when the flags do not fit the model: a condition for
  // an unconditional model, a sentence for a label cgan, a --labels count other than n.
  void apply(const GenerativeModel& model, int64_t n, SampleOptions& options);

 private:
  std::vector<int32_t> row_labels_;
  std::vector<float> row_conditions_;
  mutable std::vector<std::string> sentences_;  // of --texts, read once
};

// subword-ids-v3 reads a sentence's first text_dim / 32 words: says on stderr how many of the
// sentences have more (their later words are ignored) and what to do (remedy). Silent
// otherwise and for the other feature versions.
void note_dropped_words(const std::vector<std::string>& sentences, TextFeatures version, int64_t dim,
                        const char* remedy);

// Throws invalid_argument unless path ends in .npy, or in .png and rows of d values have an
// image layout (the message says how to give one). Commands call it before the work.
void require_output(const std::string& path, int64_t d, const ImageShape& image);
// Writes (n, D) rows as a PNG grid (needs the image layout) or an .npy array, by extension.
// levels = M >= 2: the rows are levels 0..M-1 (a discrete model's samples), drawn as level/(M-1);
// .npy files keep the levels as they are.
void write_rows(const std::string& path, const float* x, int64_t n, int64_t d, const ImageShape& image, int64_t columns,
                int64_t levels = 0);
void write_npy_file(const std::string& path, const float* x, const std::vector<int64_t>& shape);

// A progress callback that redraws one line on stderr when it is a terminal.
ProgressFn terminal_progress(const std::string& label);

double seconds_since(std::chrono::steady_clock::time_point start);

// Exit code of a command-line usage error (sysexits.h's EX_USAGE): distinct from every GM_*
// status, which the library's errors exit with.
constexpr int kUsageExit = 64;
// Prints "genmodels: error: <CLI11's message>" and where to find the usage; returns kUsageExit.
int usage_error(const CLI::App& app, const CLI::ParseError& e);

// Validators the flags share: a seed is an unsigned 64-bit integer written without a sign
// (CLI11 would wrap "-1" to 2^64 - 1); a binarize threshold is a finite T in (0, 1] (T > 1
// makes every pixel 0, NaN compares false everywhere); a thread count is 0..limits::max_threads().
CLI::Option* add_seed_option(CLI::App& cmd, uint64_t& seed, const std::string& doc = "random seed");
CLI::Option* add_threads_option(CLI::App& cmd, int& threads);
extern const CLI::Validator kBinarizeThreshold;

// Runs a command body; prints "genmodels: error: ..." and returns a nonzero exit code
// for a library error (the code is the GM_* status).
int run_command(const std::function<void()>& body);

}  // namespace gm::cli
