#include "common.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/npy.hpp"
#include "data/transforms.hpp"
#include "io/file.hpp"
#include "io/png_grid.hpp"

namespace gm::cli {

void DataFlags::add_to(CLI::App& cmd, bool required) {
  auto* opt = cmd.add_option("--data", spec,
                             "data: fashion-mnist:train|test, idx:IMAGES[:LABELS], images:DIR, "
                             "npy:FILE[:LABELS.npy], builtin:bars-and-stripes[:N]");
  if (required) opt->required();
  cmd.add_option("--binarize", binarize, "map x >= T to 1 and the rest to 0 (e.g. 0.5)")
      ->check(CLI::Range(0.0, 1.0e30));
  cmd.add_option("--max-examples", max_examples, "use only the first N examples")->check(CLI::NonNegativeNumber);
}

Dataset DataFlags::load() const {
  Dataset data = load_dataset(spec);
  if (max_examples > 0 && max_examples < data.n) data.truncate(max_examples);
  if (binarize >= 0) gm::binarize(data, binarize);
  return data;
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void write_npy_file(const std::string& path, const float* x, const std::vector<int64_t>& shape) {
  const std::vector<uint8_t> bytes = encode_npy_f32(x, shape);
  write_file_atomic(path, bytes.data(), bytes.size());
}

void write_rows(const std::string& path, const float* x, int64_t n, int64_t d, const ImageShape& image,
                int64_t columns) {
  if (ends_with(path, ".png")) {
    if (!image.is_image())
      fail(Status::invalid_argument, "{}: the model's data has no image layout; write .npy instead", path);
    write_png_grid(path, x, n, image, columns);
  } else if (ends_with(path, ".npy")) {
    if (image.is_image())
      write_npy_file(path, x, {n, image.channels, image.height, image.width});
    else
      write_npy_file(path, x, {n, d});
  } else {
    fail(Status::invalid_argument, "{}: output must end in .png or .npy", path);
  }
}

ProgressFn terminal_progress(const std::string& label) {
  if (!isatty(STDERR_FILENO)) return {};
  return [label](int64_t step, int64_t total, double loss) {
    const int width = 30;
    const int filled = total > 0 ? static_cast<int>(width * step / total) : width;
    fmt::print(stderr, "\r{} [{}{}] {}/{} loss {:.4f}", label, std::string(filled, '#'),
               std::string(width - filled, '.'), step, total, loss);
    if (step >= total) fmt::print(stderr, "\n");
    std::fflush(stderr);
    return false;
  };
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_command(const std::function<void()>& body) {
  try {
    body();
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "genmodels: error: {}\n", e.what());
    return static_cast<int>(e.status());
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "genmodels: error: out of memory\n");
    return static_cast<int>(Status::out_of_memory);
  } catch (const std::exception& e) {
    fmt::print(stderr, "genmodels: internal error: {}\n", e.what());
    return static_cast<int>(Status::internal);
  }
}

}  // namespace gm::cli
