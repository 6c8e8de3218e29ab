#include "data/idx.hpp"

#include <algorithm>

#include "core/data_view.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/gz_reader.hpp"
#include "data/transforms.hpp"

namespace gm {
namespace {

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

}  // namespace

std::vector<int64_t> read_idx_u8_dims(GzReader& in) {
  const std::string& path = in.path();
  uint8_t magic[4];
  in.read_exact(magic, 4, "the IDX magic number");
  if (magic[0] != 0 || magic[1] != 0 || !idx_type_name(magic[2]))
    fail(Status::corrupt_file,
         "'{}' is not an IDX file: magic bytes are {:02x} {:02x} {:02x} {:02x}, expected 00 00 08 <ndim>", path,
         magic[0], magic[1], magic[2], magic[3]);
  if (magic[2] != 0x08)
    fail(Status::unsupported, "'{}' holds IDX type 0x{:02x} ({}); only 0x08 (unsigned byte) is supported", path,
         magic[2], idx_type_name(magic[2]));
  const int ndim = magic[3];
  if (ndim < 1 || ndim > 4)
    fail(Status::corrupt_file, "'{}' declares {} dimensions; IDX data sets have 1 to 4", path, ndim);

  uint8_t raw[16];
  in.read_exact(raw, 4 * static_cast<size_t>(ndim), "the IDX dimensions");
  std::vector<int64_t> dims;
  for (int i = 0; i < ndim; ++i) {
    const uint8_t* b = raw + 4 * i;
    dims.push_back((int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3]);
  }
  checked_count(dims.data(), dims.size(), kMaxIdxElements, path);
  return dims;
}

IdxU8 read_idx_u8(const std::string& path) {
  GzReader in(path);
  IdxU8 out;
  out.dims = read_idx_u8_dims(in);
  const int64_t count = checked_count(out.dims.data(), out.dims.size(), kMaxIdxElements, path);
  in.read_vector(out.data, static_cast<size_t>(count), "the IDX data");
  in.expect_end();
  return out;
}

Dataset idx_images_shape(const std::vector<int64_t>& dims, const std::string& images_path) {
  Dataset ds;
  ds.n = dims[0];
  if (ds.n == 0) fail(Status::invalid_data, "'{}' holds no images (first dimension is 0)", images_path);
  if (dims.size() == 1)
    fail(Status::invalid_data,
         "'{}' is 1-dimensional (it looks like a labels file); an images file is (N, H, W), "
         "(N, H, W, C) or (N, D)",
         images_path);
  if (dims.size() == 2) {
    ds.d = dims[1];
  } else {
    const int64_t h = dims[1], w = dims[2], c = dims.size() == 4 ? dims[3] : 1;
    ds.image = ImageShape{c, h, w};
    ds.d = ds.image.size();  // saturating: with a zero side the count bound says nothing of the others
  }
  if (ds.d == 0) fail(Status::invalid_data, "'{}' has rows of zero size", images_path);
  // The element count is bounded (n > 0 here), but not the row width or an image's sides.
  if (ds.d > limits::kMaxRowWidth)
    fail(Status::invalid_data, "'{}' has rows of {} values, more than {} (limits::kMaxRowWidth)", images_path, ds.d,
         limits::kMaxRowWidth);
  check_image_shape(ds.image, Status::invalid_data, images_path.c_str());
  return ds;
}

void idx_rows_to_float(const uint8_t* bytes, int64_t rows, int64_t d, const ImageShape& image, float* out) {
  const int64_t c = image.channels;
  if (c <= 1) {
    scale_bytes(bytes, out, rows * d);
    return;
  }
  // HWC (as stored) -> CHW (the library's image layout), scaling on the way.
  const int64_t hw = image.height * image.width;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < rows; ++i) {
    const uint8_t* src = bytes + i * d;
    float* dst = out + i * d;
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t k = 0; k < c; ++k) dst[k * hw + p] = static_cast<float>(src[p * c + k]) / 255.0f;
  }
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  const IdxU8 images = read_idx_u8(images_path);
  Dataset ds = idx_images_shape(images.dims, images_path);
  ds.x.resize(static_cast<size_t>(ds.n * ds.d));
  idx_rows_to_float(images.data.data(), ds.n, ds.d, ds.image, ds.x.data());

  if (labels_path.empty()) return ds;
  Dataset labels = load_idx_labels(labels_path, ds.n, images_path);
  ds.labels = std::move(labels.labels);
  ds.num_classes = labels.num_classes;
  return ds;
}

Dataset load_idx_labels(const std::string& labels_path, int64_t n, const std::string& images_path) {
  const IdxU8 labels = read_idx_u8(labels_path);
  if (labels.dims.size() != 1)
    fail(Status::invalid_data, "labels file '{}' has {} dimensions; expected 1 (N)", labels_path, labels.dims.size());
  if (labels.dims[0] != n)
    fail(Status::invalid_data, "labels file '{}' has {} labels but images file '{}' has {} images", labels_path,
         labels.dims[0], images_path, n);
  Dataset ds;
  ds.n = n;
  ds.labels.assign(labels.data.begin(), labels.data.end());
  ds.num_classes = n > 0 ? *std::max_element(labels.data.begin(), labels.data.end()) + 1 : 0;
  return ds;
}

std::vector<uint8_t> encode_idx_u8(const uint8_t* data, const std::vector<int64_t>& dims) {
  if (dims.empty() || dims.size() > 4)
    fail(Status::invalid_argument, "IDX files have 1 to 4 dimensions, got {}", dims.size());
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (dim < 0 || dim > 0xffffffffLL)
      fail(Status::invalid_argument, "IDX dimension {} does not fit an unsigned 32-bit field", dim);
    if (dim > 0 && count > kMaxIdxElements / dim)
      fail(Status::invalid_argument, "the dimensions exceed the IDX limit of {} elements", kMaxIdxElements);
    count *= dim;
  }
  std::vector<uint8_t> out = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (int64_t dim : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(dim >> shift));
  out.insert(out.end(), data, data + count);
  return out;
}

}  // namespace gm
