#include "data/dataset.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"
#include "data/builtin.hpp"
#include "data/idx.hpp"
#include "data/image_folder.hpp"
#include "data/npy.hpp"
#include "data/patches.hpp"

namespace gm {
namespace {

constexpr const char* kSpecForms =
    "fashion-mnist:train | fashion-mnist:test | idx:IMAGES[:LABELS] | npy:FILE[:LABELS.npy] | "
    "images:DIR | patches:IMAGE_OR_DIR:SIZE[:STRIDE] | builtin:bars-and-stripes[:N]";

// "a:b" -> {"a", "b"}; "a" -> {"a", ""}; "a:" -> error (an empty part is a typo, not a default).
// File names cannot contain ':' in these specs, except the folder of images:DIR and the path of
// patches: (which must not end in ':<digits>').
std::pair<std::string, std::string> split_first(const std::string& s, const std::string& spec) {
  const size_t colon = s.find(':');
  if (colon == std::string::npos) return {s, ""};
  if (colon + 1 == s.size())
    fail(Status::invalid_argument, "'{}' ends with ':'; drop it or add the missing part", spec);
  return {s.substr(0, colon), s.substr(colon + 1)};
}

// The first existing candidate of `name` (gzip-compressed or not) in `dir`, else "".
std::string find_idx(const std::string& dir, const std::string& name) {
  std::error_code ec;
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name})
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  return "";
}

int parse_size(const std::string& text, const std::string& spec) {
  // Digits only: stoi would accept "4x" and a leading '-' or whitespace.
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos)
    fail(Status::invalid_argument, "'{}': size '{}' is not a number in [{}, {}]", spec, text, kMinBarsAndStripes,
         kMaxBarsAndStripes);
  return std::stoi(text);
}

}  // namespace

DataView Dataset::view() const {
  DataView v;
  v.x = x.data();
  v.n = n;
  v.d = d;
  v.image = image;
  v.labels = labels.empty() ? nullptr : labels.data();
  v.num_classes = num_classes;
  v.levels = levels;
  return v;
}

void Dataset::truncate(int64_t m) {
  if (m < 0) fail(Status::invalid_argument, "cannot keep {} rows; the count must be >= 0", m);
  if (m >= n) return;
  n = m;
  x.resize(static_cast<size_t>(n * d));
  x.shrink_to_fit();
  if (!labels.empty()) {
    labels.resize(static_cast<size_t>(n));
    labels.shrink_to_fit();
  }
  // num_classes and class_names stay: they describe the label space, not the rows kept.
}

std::string fashion_mnist_dir() {
  const char* env = std::getenv("GM_FASHION_MNIST_DIR");
  return env && *env ? std::string(env) : std::string(kFashionMnistDefaultDir);
}

IdxFiles fashion_mnist_files(bool train) {
  const std::string dir = fashion_mnist_dir();
  const std::string prefix = train ? "train" : "t10k";
  IdxFiles files{find_idx(dir, prefix + "-images-idx3-ubyte"), find_idx(dir, prefix + "-labels-idx1-ubyte")};
  if (files.images.empty() || files.labels.empty())
    fail(Status::io_error,
         "Fashion-MNIST not found: '{}' has no {}-images-idx3-ubyte[.gz] and {}-labels-idx1-ubyte[.gz]. "
         "Install Debian's package with `apt-get install dataset-fashion-mnist`, or set "
         "GM_FASHION_MNIST_DIR to a folder holding the files",
         dir, prefix, prefix);
  return files;
}

void require_fashion_mnist_shape(const ImageShape& image, int64_t num_classes, const std::string& images_path) {
  if (image.channels != 1 || image.height != 28 || image.width != 28 || num_classes > 10)
    fail(Status::invalid_data, "'{}' is not Fashion-MNIST: images are {}x{}x{} with {} classes", images_path,
         image.channels, image.height, image.width, num_classes);
}

Dataset load_fashion_mnist(bool train) {
  const IdxFiles files = fashion_mnist_files(train);
  Dataset ds = load_idx(files.images, files.labels);
  require_fashion_mnist_shape(ds.image, ds.num_classes, files.images);
  ds.num_classes = 10;  // even if a truncated copy lacks the last class
  ds.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return ds;
}

std::pair<std::string, std::string> spec_files(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string scheme = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto files = split_first(rest, spec);
  if (files.first.empty()) fail(Status::invalid_argument, "'{}': give a file, e.g. {}:x.{}", spec, scheme, scheme);
  return files;
}

Dataset load_dataset(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string scheme = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (scheme == "fashion-mnist") {
    if (rest == "train") return load_fashion_mnist(true);
    if (rest == "test") return load_fashion_mnist(false);
    fail(Status::invalid_argument, "'{}': use fashion-mnist:train or fashion-mnist:test", spec);
  }
  if (scheme == "idx" || scheme == "npy") {
    const auto [data, labels] = spec_files(spec);
    return scheme == "idx" ? load_idx(data, labels) : load_npy(data, labels);
  }
  if (scheme == "images") {
    if (rest.empty()) fail(Status::invalid_argument, "'{}': give a folder, e.g. images:photos/", spec);
    return load_image_folder(rest);
  }
  if (scheme == "patches") return load_patches_spec(rest, spec);
  if (scheme == "builtin") {
    const auto [name, size] = split_first(rest, spec);
    if (name == "bars-and-stripes") return bars_and_stripes(size.empty() ? 4 : parse_size(size, spec));
    fail(Status::invalid_argument, "'{}': unknown built-in set '{}'; available: bars-and-stripes[:N]", spec, name);
  }
  fail(Status::invalid_argument, "unknown data spec '{}'; valid forms: {}", spec, kSpecForms);
}

}  // namespace gm
