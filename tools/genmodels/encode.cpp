// encode and complete: the verbs that map data rows to other rows.
#include <cmath>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "complete_parts.hpp"
#include "core/error.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {
struct EncodeArgs {
  std::string model, out;
  DataFlags data;
  EvalOptions options;
};

struct CompleteArgs {
  std::string model, out, hide = "bottom-half";
  DataFlags data;
  SampleOptions options;
  int64_t columns = 0;
  int64_t patches = 0, patch_size = 0;  // --patches K: complete from K key patches instead
  std::string key_patches = "object";
};

const char* const kHideHelp = "bottom-half, top-half, left-half, right-half or centre";

// Whether pixel (row, col) of an h x w image is hidden by the named pattern.
bool hidden_at(const std::string& hide, int64_t row, int64_t col, int64_t h, int64_t w) {
  if (hide == "bottom-half") return row >= h / 2;
  if (hide == "top-half") return row < h / 2;
  if (hide == "right-half") return col >= w / 2;
  if (hide == "left-half") return col < w / 2;
  return row >= h / 4 && row < h - h / 4 && col >= w / 4 && col < w - w / 4;  // centre
}

// The image layout --hide works on: the data's own (or its --shape), else the model's.
// require_rows has already refused the two when they disagree. Without either, "the bottom
// half" has no meaning: a row of 64 values read as one image row of 64 pixels would hide
// all of it or none, so this refuses rather than answer wrongly.
ImageShape hide_layout(const std::string& hide, const Dataset& data, const GenerativeModel& model,
                       const std::string& spec) {
  if (data.image.is_image()) return data.image;
  if (model.data_shape().image.is_image()) return model.data_shape().image;
  const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(data.d))));
  const std::string example = side * side == data.d ? fmt::format(" (e.g. --shape 1,{},{})", side, side) : "";
  fail(Status::invalid_argument,
       "--hide {} needs an image layout, but neither the data ({}: rows of d = {} values) nor the {} model has one: "
       "pass --shape C,H,W with C*H*W = {}{}, or fit the model with --shape",
       hide, spec, data.d, model.kind(), data.d, example);
}

// The observed mask (1 = observed) for a named pattern over CHW rows: every channel hides
// the same pixels.
std::vector<uint8_t> mask_for(const std::string& hide, const ImageShape& image, int64_t n) {
  const int64_t d = image.size(), h = image.height, w = image.width;
  std::vector<uint8_t> row_mask(static_cast<std::size_t>(d));
  for (int64_t j = 0; j < d; ++j)
    row_mask[static_cast<std::size_t>(j)] = hidden_at(hide, (j / w) % h, j % w, h, w) ? 0 : 1;
  std::vector<uint8_t> mask;
  mask.reserve(static_cast<std::size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) mask.insert(mask.end(), row_mask.begin(), row_mask.end());
  return mask;
}
}  // namespace

void add_encode_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "map data to the model's features or latent codes");
  cmd->add_option("model", args->model, "model file")->required();
  args->data.add_to(*cmd);
  cmd->add_option("--out", args->out, "FILE.npy of shape (N, encode_dim)")->required();
  add_seed_option(*cmd, args->options.seed, "random seed");
  add_threads_option(*cmd, args->options.threads);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      model->require_capability(cap_encode, "encode");
      const Dataset data = args->data.load();
      model->require_rows(data.view());
      const int64_t width = model->encode_dim();
      std::vector<float> z(static_cast<std::size_t>(data.n * width));
      model->encode(data.view(), args->options, z.data());
      write_npy_file(args->out, z.data(), {data.n, width});
      fmt::print("wrote {} x {} codes to {}\n", data.n, width, args->out);
    });
  });
}

void add_complete_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CompleteArgs>();
  CLI::App* cmd =
      app.add_subcommand("complete",
                         "hide part of each example and fill it in from the model; or, with --patches K, generate each "
                         "image from K patches of it (puzzlegan)");
  cmd->add_option("model", args->model, "model file")->required();
  args->data.add_to(*cmd);
  cmd->add_option("--hide", args->hide,
                  fmt::format("{} (of each image: needs the data's or the model's layout, or --shape)", kHideHelp));
  cmd->add_option("--out", args->out,
                  "FILE.png (grid: inputs with the hidden part blanked, then completions) or FILE.npy")
      ->required();
  add_seed_option(*cmd, args->options.seed, "random seed");
  add_threads_option(*cmd, args->options.threads);
  cmd->add_option("--columns", args->columns, "images per grid row (0 = one row per example pair)");
  CLI::Option* patches =
      cmd->add_option("--patches", args->patches,
                      "K: cut K key patches (where: --key-patches; positions from --seed) from each input and "
                      "generate the whole image from them (puzzlegan); the PNG shows patches, generated image, "
                      "original")
          ->check(CLI::Range(int64_t{1}, int64_t{64}));
  cmd->add_option("--patch-size", args->patch_size, "the patches' side (with --patches; default: the model's)")
      ->check(CLI::PositiveNumber)
      ->needs(patches);
  cmd->add_option("--key-patches", args->key_patches,
                  "with --patches: cut them on the object (at least half of each patch differs from the border's "
                  "colour, as the model's key_patches) or at random positions")
      ->check(CLI::IsMember({"object", "random"}))
      ->needs(patches);
  cmd->get_option("--hide")->excludes(patches);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      if (args->patches > 0) {
        const auto model = load_model_file(args->model);
        PartsArgs parts{args->out, args->patches, args->patch_size, args->options, args->columns, args->key_patches};
        complete_from_parts_command(*model, args->data.load(), parts);
        return;
      }
      const std::string& hide = args->hide;
      if (hide != "bottom-half" && hide != "top-half" && hide != "left-half" && hide != "right-half" &&
          hide != "centre")
        fail(Status::invalid_argument, "--hide {}: give {}", hide, kHideHelp);
      const auto model = load_model_file(args->model);
      model->require_capability(cap_complete, "complete");
      const Dataset data = args->data.load();
      model->require_rows(data.view());
      const ImageShape image = hide_layout(hide, data, *model, args->data.spec);
      require_output(args->out, data.d, image);
      const std::vector<uint8_t> mask = mask_for(hide, image, data.n);
      std::vector<float> out(data.x.size());
      model->complete(data.view(), mask.data(), args->options, out.data());
      if (args->out.size() > 4 && args->out.compare(args->out.size() - 4, 4, ".npy") == 0) {
        write_rows(args->out, out.data(), data.n, data.d, image, 0);
        fmt::print("wrote {} completions ({} hidden) to {}\n", data.n, args->hide, args->out);
        return;
      }
      // A PNG shows pairs: the visible part (hidden pixels as mid grey), then the completion.
      const int64_t levels = model->levels();
      const float grey = levels >= 2 ? 0.5f * static_cast<float>(levels - 1) : 0.5f;
      std::vector<float> pairs;
      pairs.reserve(2 * out.size());
      for (int64_t i = 0; i < data.n; ++i) {
        for (int64_t j = 0; j < data.d; ++j) {
          const std::size_t k = static_cast<std::size_t>(i * data.d + j);
          pairs.push_back(mask[k] ? data.x[k] : grey);
        }
        pairs.insert(pairs.end(), out.begin() + i * data.d, out.begin() + (i + 1) * data.d);
      }
      write_rows(args->out, pairs.data(), 2 * data.n, data.d, image, args->columns ? args->columns : 2, levels);
      fmt::print("wrote {} completions ({} hidden) to {}\n", data.n, args->hide, args->out);
    });
  });
}

}  // namespace gm::cli
