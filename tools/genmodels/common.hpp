// Shared pieces of the command line: data loading with the common flags, output files,
// terminal progress, and the error boundary.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "data/dataset.hpp"
#include "models/generative_model.hpp"

namespace gm::cli {

// Flags every command that reads data shares.
struct DataFlags {
  std::string spec;
  double binarize = -1.0;  // < 0: keep values
  int64_t max_examples = 0;

  void add_to(CLI::App& cmd, bool required = true);
  Dataset load() const;
};

// Writes (n, D) rows as a PNG grid (needs the image layout) or an .npy array, by extension.
void write_rows(const std::string& path, const float* x, int64_t n, int64_t d, const ImageShape& image,
                int64_t columns);
void write_npy_file(const std::string& path, const float* x, const std::vector<int64_t>& shape);

// A progress callback that redraws one line on stderr when it is a terminal.
ProgressFn terminal_progress(const std::string& label);

double seconds_since(std::chrono::steady_clock::time_point start);

// Runs a command body; prints "genmodels: error: ..." and returns a nonzero exit code
// for a library error (the code is the GM_* status).
int run_command(const std::function<void()>& body);

}  // namespace gm::cli
