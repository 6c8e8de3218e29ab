// Rows of an IDX or .npy file handed out a chunk at a time, with memory bounded by the chunk:
// the way to feed data larger than memory to a kind that fits by counting (bernoulli and
// markov accumulate with FitOptions::warm_start; the command line's `fit --chunk-size`).
//
// Specs (as load_dataset, data/dataset.hpp):
//   idx:IMAGES[:LABELS]   npy:FILE[:LABELS.npy]   fashion-mnist:train | fashion-mnist:test
// The rows are exactly load_dataset's, bit for bit: IDX bytes / 255 (images HWC -> CHW), .npy
// values as stored (non-finite: invalid_data), then, with binarize >= 0, x >= binarize -> 1
// and the rest 0 (data/transforms.hpp's binarize, the command line's --binarize T). The
// header checks are the whole-file loaders' (the same code); the trailing bytes of the file
// are checked when the last row has been read. A labels file is checked by its header only
// (one dimension or (N, 1), N entries): the rows are what a counting fit needs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/npy.hpp"

namespace gm {

class GzReader;

class RowStream {
 public:
  // True for the spec forms above (by scheme; the files are checked when opened).
  static bool supports(const std::string& spec);
  // Opens the file and reads its header. Throws like load_dataset (invalid_argument for
  // another spec form, saying which ones stream).
  // levels = M >= 2 quantises like data/transforms.hpp's quantize (the command line's --levels).
  explicit RowStream(const std::string& spec, double binarize = -1.0, int64_t levels = 0);
  ~RowStream();
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;

  int64_t rows() const { return shape_.n; }  // N in the file
  int64_t d() const { return shape_.d; }
  const ImageShape& image() const { return shape_.image; }
  int64_t position() const { return position_; }  // rows handed out so far

  // The next min(max_rows, rows() - position()) rows into out (x, n, d and image; no
  // labels), reusing out.x's memory. Returns how many: 0 once every row has been handed out.
  // max_rows must be >= 1; the chunk's memory is checked against the memory budget.
  int64_t next(int64_t max_rows, Dataset& out);

 private:
  std::unique_ptr<GzReader> in_;
  bool npy_ = false;
  NpyType type_ = NpyType::u1;
  Dataset shape_;  // n, d, image of the whole file; x stays empty
  double binarize_ = -1.0;
  int64_t levels_ = 0;
  int64_t position_ = 0;
  std::vector<uint8_t> bytes_;  // one chunk of raw elements
};

}  // namespace gm
