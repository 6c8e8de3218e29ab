#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "data/dataset.hpp"
#include "data/idx.hpp"
#include "data/npy.hpp"
#include "helpers.hpp"

using gm::Status;
using namespace gm_test;

TEST_CASE("load_dataset: unknown or malformed specs list the valid forms") {
  for (const std::string spec : {"", "mnist:train", "csv:x.csv", "fashion-mnist", "fashion-mnist:val",
                                 "idx:", "npy:", "images:", "idx:a:", "npy:x.npy:"}) {
    CAPTURE(spec);
    const Caught e = catch_error([&] { gm::load_dataset(spec); });
    CHECK(e.status == Status::invalid_argument);
  }
  const Caught e = catch_error([] { gm::load_dataset("mnist:train"); });
  CHECK(e.mentions("fashion-mnist:train"));
  CHECK(e.mentions("builtin:bars-and-stripes"));
  CHECK(e.mentions("npy:FILE"));
}

TEST_CASE("load_dataset: idx and npy specs take an optional labels file after a second ':'") {
  const std::string dir = scratch_dir("spec_files");
  const uint8_t px[4] = {0, 51, 102, 255};
  const uint8_t lab[2] = {1, 0};
  write_bytes(dir + "/img", gm::encode_idx_u8(px, {2, 1, 2}));
  write_bytes(dir + "/lab", gm::encode_idx_u8(lab, {2}));
  const gm::Dataset a = gm::load_dataset("idx:" + dir + "/img:" + dir + "/lab");
  CHECK((a.n == 2 && a.d == 2 && a.x[1] == 0.2f && a.labels == std::vector<int32_t>{1, 0}));
  CHECK(gm::load_dataset("idx:" + dir + "/img").labels.empty());

  const float x[4] = {1, 2, 3, 4};
  const int32_t l[2] = {0, 2};
  write_bytes(dir + "/x.npy", gm::encode_npy_f32(x, {2, 2}));
  write_bytes(dir + "/l.npy", gm::encode_npy_i32(l, {2}));
  const gm::Dataset b = gm::load_dataset("npy:" + dir + "/x.npy:" + dir + "/l.npy");
  CHECK((b.n == 2 && b.d == 2 && b.x[3] == 4.0f && b.num_classes == 3));
  CHECK(catch_error([&] { gm::load_dataset("npy:" + dir + "/missing.npy"); }).status == Status::io_error);
}

TEST_CASE("Dataset: view and truncate") {
  gm::Dataset ds = gm::load_dataset("builtin:bars-and-stripes:2");
  ds.labels = {0, 1, 0, 1, 0, 1};
  ds.num_classes = 2;
  gm::DataView v = ds.view();
  CHECK(v.x == ds.x.data());
  CHECK((v.n == 6 && v.d == 4 && v.image.height == 2 && v.num_classes == 2));
  CHECK(v.labels == ds.labels.data());
  gm::validate_view(v);
  ds.truncate(10);
  CHECK(ds.n == 6);
  ds.truncate(2);
  CHECK((ds.n == 2 && ds.x.size() == 8 && ds.labels.size() == 2 && ds.num_classes == 2));
  CHECK(catch_error([&] { ds.truncate(-1); }).status == Status::invalid_argument);
  ds.labels.clear();
  CHECK(ds.view().labels == nullptr);
}

TEST_CASE("fashion-mnist: missing folder says which package to install") {
  const std::string empty = scratch_dir("fmnist_empty");
  const char* old = std::getenv("GM_FASHION_MNIST_DIR");
  const std::string saved = old ? old : "";
  ::setenv("GM_FASHION_MNIST_DIR", empty.c_str(), 1);
  const Caught e = catch_error([] { gm::load_dataset("fashion-mnist:test"); });
  if (old)
    ::setenv("GM_FASHION_MNIST_DIR", saved.c_str(), 1);
  else
    ::unsetenv("GM_FASHION_MNIST_DIR");
  CHECK(e.status == Status::io_error);
  CHECK(e.mentions("dataset-fashion-mnist"));
  CHECK(e.mentions(empty));
}

TEST_CASE("fashion-mnist: the installed test split loads") {
  if (!std::filesystem::exists(gm::fashion_mnist_dir() + "/t10k-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  const gm::Dataset ds = gm::load_dataset("fashion-mnist:test");
  CHECK(ds.n == 10000);
  CHECK(ds.d == 784);
  CHECK((ds.image.channels == 1 && ds.image.height == 28 && ds.image.width == 28));
  CHECK(ds.num_classes == 10);
  CHECK(ds.class_names.size() == 10);
  CHECK(ds.class_names[9] == "Ankle boot");
  REQUIRE(ds.labels.size() == 10000);
  std::vector<int> per_class(10);
  for (int32_t l : ds.labels) ++per_class[static_cast<size_t>(l)];
  for (int c : per_class) CHECK(c == 1000);  // the test split is balanced
  float lo = 1, hi = 0;
  for (float v : ds.x) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
  CHECK(ds.labels[0] == 9);  // the first test image is an ankle boot
  gm::validate_view(ds.view());
}

TEST_CASE("fashion-mnist: the training split loads in well under a second") {
  if (!std::filesystem::exists(gm::fashion_mnist_dir() + "/train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  const gm::Dataset ds = gm::load_dataset("fashion-mnist:train");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("fashion-mnist:train loaded in " << seconds << " s");
  CHECK(ds.n == 60000);
  CHECK(ds.labels.size() == 60000);
  CHECK(seconds < 5.0);  // generous: loaded CI machines; typically ~0.3 s
}
