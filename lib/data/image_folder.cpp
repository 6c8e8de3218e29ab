#include "data/image_folder.hpp"

#include <stb_image.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>
#include <vector>

#include "core/error.hpp"

namespace gm {
namespace fs = std::filesystem;
namespace {

struct Item {
  std::string path;
  int32_t label;
};

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// Sorted entries of `dir` that do not start with '.', split into folders and image files.
void list_folder(const fs::path& dir, std::vector<fs::path>& folders, std::vector<fs::path>& images) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().rfind('.', 0) == 0) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec))
      folders.push_back(p);
    else if (is_image_name(p))
      images.push_back(p);
  }
  if (ec) fail(Status::io_error, "cannot list folder '{}': {}", dir.string(), ec.message());
  std::sort(folders.begin(), folders.end());
  std::sort(images.begin(), images.end());
}

}  // namespace

Dataset load_image_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(Status::io_error, "image folder '{}' does not exist or is not a folder", dir);

  Dataset ds;
  std::vector<Item> items;
  std::vector<fs::path> folders, loose;
  list_folder(dir, folders, loose);
  if (!folders.empty() && !loose.empty())
    fail(Status::invalid_data,
         "'{}' mixes images (e.g. '{}') with class sub-folders; put every image in its class folder, or "
         "remove the sub-folders for an unlabelled set",
         dir, loose.front().string());
  for (const fs::path& p : loose) items.push_back({p.string(), 0});
  for (const fs::path& folder : folders) {
    std::vector<fs::path> nested, images;
    list_folder(folder, nested, images);
    if (images.empty())
      fail(Status::invalid_data, "class folder '{}' has no .png/.jpg/.jpeg/.bmp images", folder.string());
    const auto label = static_cast<int32_t>(ds.class_names.size());
    for (const fs::path& p : images) items.push_back({p.string(), label});
    ds.class_names.push_back(folder.filename().string());
  }
  if (items.empty()) fail(Status::invalid_data, "'{}' holds no .png/.jpg/.jpeg/.bmp images", dir);

  // Pass 1: headers only, so budgets and the channel count are known before decoding.
  int width = 0, height = 0;
  bool colour = false;
  for (const Item& item : items) {
    int w = 0, h = 0, comp = 0;
    if (!stbi_info(item.path.c_str(), &w, &h, &comp))
      fail(Status::corrupt_file, "cannot read image '{}': {}", item.path, stbi_failure_reason());
    if (w > kMaxImageSide || h > kMaxImageSide)
      fail(Status::invalid_data, "image '{}' is {}x{}; the limit is {}x{}", item.path, w, h, kMaxImageSide,
           kMaxImageSide);
    if (width == 0) {
      width = w;
      height = h;
    } else if (w != width || h != height) {
      fail(Status::invalid_data, "image '{}' is {}x{} but '{}' is {}x{}; all images must be the same size", item.path,
           w, h, items.front().path, width, height);
    }
    colour |= comp >= 3;  // 1 = grey, 2 = grey + alpha
  }
  const int channels = colour ? 3 : 1;
  ds.n = static_cast<int64_t>(items.size());
  ds.image = ImageShape{channels, height, width};
  ds.d = ds.image.size();
  if (ds.n > kMaxImageFolderValues / ds.d)
    fail(Status::invalid_data, "'{}': {} images of {}x{}x{} exceed the budget of {} values", dir, ds.n, channels,
         height, width, kMaxImageFolderValues);
  ds.x.resize(static_cast<size_t>(ds.n * ds.d));

  // Pass 2: decode in parallel; exceptions cannot cross the OpenMP region, so each image
  // records its error and the first one is thrown afterwards (deterministically).
  std::vector<std::string> errors(items.size());
  const int64_t hw = int64_t{height} * width;
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < ds.n; ++i) {
    int w = 0, h = 0, comp = 0;
    unsigned char* pixels = stbi_load(items[i].path.c_str(), &w, &h, &comp, channels);
    if (!pixels) {
      errors[i] = fmt::format("cannot decode image '{}': {}", items[i].path, stbi_failure_reason());
      continue;
    }
    if (w != width || h != height) {
      errors[i] = fmt::format("image '{}' changed size while loading", items[i].path);
    } else {
      float* row = ds.x.data() + i * ds.d;  // HWC (stb) -> CHW
      for (int64_t p = 0; p < hw; ++p)
        for (int c = 0; c < channels; ++c) row[c * hw + p] = static_cast<float>(pixels[p * channels + c]) / 255.0f;
    }
    stbi_image_free(pixels);
  }
  for (const std::string& e : errors)
    if (!e.empty()) throw Error(Status::corrupt_file, e);

  if (!ds.class_names.empty()) {
    ds.labels.reserve(items.size());
    for (const Item& item : items) ds.labels.push_back(item.label);
    ds.num_classes = static_cast<int64_t>(ds.class_names.size());
  }
  return ds;
}

}  // namespace gm
