#include "data/row_stream.hpp"

#include <algorithm>
#include <tuple>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/gz_reader.hpp"
#include "data/idx.hpp"
#include "data/transforms.hpp"

namespace gm {
namespace {

std::string scheme_of(const std::string& spec) { return spec.substr(0, spec.find(':')); }

// The labels file beside the rows: its header must give one label per row (the whole-file
// loaders read it all; a counting fit needs only the rows).
void check_labels_header(const std::string& path, bool npy, int64_t n) {
  GzReader in(path);
  std::vector<int64_t> dims = npy ? read_npy_header(in).shape : read_idx_u8_dims(in);
  const bool column = npy && dims.size() == 2 && dims[1] == 1;
  if (dims.size() != 1 && !column)
    fail(Status::invalid_data, "labels file '{}' has {} dimensions; expected {}", path, dims.size(),
         npy ? "(N) or (N, 1)" : "1 (N)");
  if (dims[0] != n)
    fail(Status::invalid_data, "labels file '{}' has {} labels but the data has {} rows", path, dims[0], n);
}

}  // namespace

bool RowStream::supports(const std::string& spec) {
  const std::string scheme = scheme_of(spec);
  return scheme == "idx" || scheme == "npy" || scheme == "fashion-mnist";
}

RowStream::RowStream(const std::string& spec, double binarize, int64_t levels) : binarize_(binarize), levels_(levels) {
  const std::string scheme = scheme_of(spec);
  std::string data, labels;
  bool fashion = false;
  if (scheme == "fashion-mnist") {
    const std::string rest = spec.size() > scheme.size() ? spec.substr(scheme.size() + 1) : "";
    if (rest != "train" && rest != "test")
      fail(Status::invalid_argument, "'{}': use fashion-mnist:train or fashion-mnist:test", spec);
    const IdxFiles files = fashion_mnist_files(rest == "train");
    data = files.images;
    labels = files.labels;
    fashion = true;
  } else if (scheme == "idx" || scheme == "npy") {
    std::tie(data, labels) = spec_files(spec);
    npy_ = scheme == "npy";
  } else {
    fail(Status::invalid_argument,
         "'{}' cannot be read in chunks: streaming reads idx:IMAGES[:LABELS], npy:FILE[:LABELS.npy] and "
         "fashion-mnist:train|test (other forms load whole: drop the chunking)",
         spec);
  }
  in_ = std::make_unique<GzReader>(data);
  if (npy_) {
    const NpyArray header = read_npy_header(*in_);
    type_ = header.type;
    shape_ = npy_rows_shape(header.shape, data);
  } else {
    shape_ = idx_images_shape(read_idx_u8_dims(*in_), data);
    if (fashion) require_fashion_mnist_shape(shape_.image, 0, data);
  }
  if (!labels.empty()) check_labels_header(labels, npy_, shape_.n);
}

RowStream::~RowStream() = default;

int64_t RowStream::next(int64_t max_rows, Dataset& out) {
  if (max_rows < 1) fail(Status::invalid_argument, "a chunk holds at least one row, got {}", max_rows);
  const int64_t n = std::min(max_rows, shape_.n - position_);
  out.n = n;
  out.d = shape_.d;
  out.image = shape_.image;
  out.labels.clear();
  out.num_classes = 0;
  if (n == 0) {
    out.x.clear();
    return 0;
  }
  const int64_t item = npy_ ? npy_item_size(type_) : 1;
  limits::require_memory(n * shape_.d, item + static_cast<int64_t>(sizeof(float)), "a chunk of rows");
  const std::size_t count = static_cast<std::size_t>(n * shape_.d);
  bytes_.resize(count * static_cast<std::size_t>(item));
  in_->read_exact(bytes_.data(), bytes_.size(), npy_ ? "the array data" : "the IDX data");
  out.x.resize(count);
  if (npy_) {
    npy_elements_to_float(type_, bytes_.data(), n * shape_.d, out.x.data());
    // f8 values beyond float range become inf here, so check after the conversion.
    require_finite_rows(out.x.data(), position_, n, shape_.d, in_->path());
  } else {
    idx_rows_to_float(bytes_.data(), n, shape_.d, shape_.image, out.x.data());
  }
  if (binarize_ >= 0) gm::binarize(out, binarize_);
  if (levels_ > 0) quantize(out, levels_);
  position_ += n;
  if (position_ == shape_.n) in_->expect_end();
  return n;
}

}  // namespace gm
