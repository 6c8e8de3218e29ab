// IDX files, the format MNIST and Fashion-MNIST ship in (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1  zero          byte 2  element type (0x08 = unsigned byte)   byte 3  ndim
//   ndim big-endian uint32 dimensions, then the elements in row-major order.
// Files may be gzip-compressed or plain; both are read the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace gm {

class GzReader;

// A hostile header cannot make us allocate more than this many elements (2 GiB of bytes).
constexpr int64_t kMaxIdxElements = int64_t{1} << 31;

struct IdxU8 {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Reads an unsigned-byte IDX file. Other element types are `unsupported`; a bad magic,
// truncated data or trailing bytes are `corrupt_file`; a missing file is `io_error`.
IdxU8 read_idx_u8(const std::string& path);

// The pieces of read_idx_u8 and load_idx, for readers that take the rows a chunk at a time
// (data/row_stream.hpp). read_idx_u8_dims reads the header from the start of `in` with
// read_idx_u8's checks; the elements follow. idx_images_shape gives the n, d and image layout
// of an images file with these dimensions (x left empty), with load_idx's checks.
// idx_rows_to_float converts `rows` rows of d bytes (HWC when image.channels > 1) into
// load_idx's values: scaled to [0,1], channels first.
std::vector<int64_t> read_idx_u8_dims(GzReader& in);
Dataset idx_images_shape(const std::vector<int64_t>& dims, const std::string& images_path);
void idx_rows_to_float(const uint8_t* bytes, int64_t rows, int64_t d, const ImageShape& image, float* out);

// Images file: (N, H, W) -> rows of H*W, image 1xHxW; (N, H, W, C) -> channels moved first
// (CHW); (N, D) -> plain rows. Bytes are scaled to [0,1]. The optional labels file is
// (N) bytes; num_classes = max label + 1.
Dataset load_idx(const std::string& images_path, const std::string& labels_path = "");
// load_idx's labels alone, for n images (labels and num_classes set; x empty), checked alike
// (images_path names the images in the message). For reading a shard of the images.
Dataset load_idx_labels(const std::string& labels_path, int64_t n, const std::string& images_path);

// The bytes of an unsigned-byte IDX file (uncompressed) — for tests and export tools.
std::vector<uint8_t> encode_idx_u8(const uint8_t* data, const std::vector<int64_t>& dims);

// Fashion-MNIST (Xiao et al. 2017) from Debian's dataset-fashion-mnist package:
// $GM_FASHION_MNIST_DIR if set, else /usr/share/datasets/fashion-mnist. Files
// {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. 60000 (train) or 10000 (test) rows of
// 784 values in [0,1], image 1x28x28, 10 labelled classes. Missing files: io_error saying
// how to install the package.
constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
std::string fashion_mnist_dir();
// The images and labels files of the train or test split (io_error as above when missing).
struct IdxFiles {
  std::string images, labels;
};
IdxFiles fashion_mnist_files(bool train);
// invalid_data unless images of this layout and class count can be Fashion-MNIST.
void require_fashion_mnist_shape(const ImageShape& image, int64_t num_classes, const std::string& images_path);
Dataset load_fashion_mnist(bool train);

}  // namespace gm
