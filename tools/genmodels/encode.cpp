// encode and complete: the verbs that map data rows to other rows.
#include <fmt/format.h>

#include "commands.hpp"
#include "core/error.hpp"
#include "common.hpp"
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
};

// The observed mask for a named pattern over an image of height H and width W.
std::vector<uint8_t> mask_for(const std::string& hide, const DataShape& shape, int64_t n) {
  const int64_t d = shape.d;
  const int64_t h = shape.image.is_image() ? shape.image.height : 1;
  const int64_t w = shape.image.is_image() ? shape.image.width : d;
  std::vector<uint8_t> mask(static_cast<std::size_t>(n * d), 1);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const int64_t row = (j / w) % h, col = j % w;
      bool hidden = false;
      if (hide == "bottom-half") hidden = row >= h / 2;
      else if (hide == "top-half") hidden = row < h / 2;
      else if (hide == "right-half") hidden = col >= w / 2;
      else if (hide == "left-half") hidden = col < w / 2;
      else if (hide == "centre") hidden = row >= h / 4 && row < h - h / 4 && col >= w / 4 && col < w - w / 4;
      else fail(Status::invalid_argument, "--hide must be bottom-half, top-half, left-half, right-half or centre");
      mask[static_cast<std::size_t>(i * d + j)] = hidden ? 0 : 1;
    }
  return mask;
}
}  // namespace

void add_encode_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "map data to the model's features or latent codes");
  cmd->add_option("model", args->model, "model file")->required()->check(CLI::ExistingFile);
  args->data.add_to(*cmd);
  cmd->add_option("--out", args->out, "FILE.npy of shape (N, encode_dim)")->required();
  cmd->add_option("--seed", args->options.seed, "random seed");
  cmd->add_option("--threads", args->options.threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
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
  CLI::App* cmd = app.add_subcommand("complete", "hide part of each example and fill it in from the model");
  cmd->add_option("model", args->model, "model file")->required()->check(CLI::ExistingFile);
  args->data.add_to(*cmd);
  cmd->add_option("--hide", args->hide, "bottom-half, top-half, left-half, right-half or centre");
  cmd->add_option("--out", args->out, "FILE.png (grid: inputs with the hidden part blanked, then completions) or FILE.npy")
      ->required();
  cmd->add_option("--seed", args->options.seed, "random seed");
  cmd->add_option("--columns", args->columns, "images per grid row (0 = one row per example pair)");
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      model->require_capability(cap_complete, "complete");
      const Dataset data = args->data.load();
      model->require_rows(data.view());
      const std::vector<uint8_t> mask = mask_for(args->hide, model->data_shape(), data.n);
      std::vector<float> out(data.x.size());
      model->complete(data.view(), mask.data(), args->options, out.data());
      if (args->out.size() > 4 && args->out.compare(args->out.size() - 4, 4, ".npy") == 0) {
        write_rows(args->out, out.data(), data.n, data.d, model->data_shape().image, 0);
        fmt::print("wrote {} completions ({} hidden) to {}\n", data.n, args->hide, args->out);
        return;
      }
      // A PNG shows pairs: the visible part (hidden pixels as 0.5 grey), then the completion.
      std::vector<float> pairs;
      pairs.reserve(2 * out.size());
      for (int64_t i = 0; i < data.n; ++i) {
        for (int64_t j = 0; j < data.d; ++j) {
          const std::size_t k = static_cast<std::size_t>(i * data.d + j);
          pairs.push_back(mask[k] ? data.x[k] : 0.5f);
        }
        pairs.insert(pairs.end(), out.begin() + i * data.d, out.begin() + (i + 1) * data.d);
      }
      write_rows(args->out, pairs.data(), 2 * data.n, data.d, model->data_shape().image,
                 args->columns ? args->columns : 2);
      fmt::print("wrote {} completions ({} hidden) to {}\n", data.n, args->hide, args->out);
    });
  });
}

}  // namespace gm::cli
