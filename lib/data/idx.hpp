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

// A hostile header cannot make us allocate more than this many elements (2 GiB of bytes).
constexpr int64_t kMaxIdxElements = int64_t{1} << 31;

struct IdxU8 {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Reads an unsigned-byte IDX file. Other element types are `unsupported`; a bad magic,
// truncated data or trailing bytes are `corrupt_file`; a missing file is `io_error`.
IdxU8 read_idx_u8(const std::string& path);

// Images file: (N, H, W) -> rows of H*W, image 1xHxW; (N, H, W, C) -> channels moved first
// (CHW); (N, D) -> plain rows. Bytes are scaled to [0,1]. The optional labels file is
// (N) bytes; num_classes = max label + 1.
Dataset load_idx(const std::string& images_path, const std::string& labels_path = "");

// The bytes of an unsigned-byte IDX file (uncompressed) — for tests and export tools.
std::vector<uint8_t> encode_idx_u8(const uint8_t* data, const std::vector<int64_t>& dims);

// Fashion-MNIST (Xiao et al. 2017) from Debian's dataset-fashion-mnist package:
// $GM_FASHION_MNIST_DIR if set, else /usr/share/datasets/fashion-mnist. Files
// {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. 60000 (train) or 10000 (test) rows of
// 784 values in [0,1], image 1x28x28, 10 labelled classes. Missing files: io_error saying
// how to install the package.
constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
std::string fashion_mnist_dir();
Dataset load_fashion_mnist(bool train);

}  // namespace gm
