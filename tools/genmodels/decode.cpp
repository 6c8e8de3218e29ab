// decode: latent codes (an .npy of shape (N, Z)) to data space.
#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "data/npy.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {
struct DecodeArgs {
  std::string model, codes, out;
  SampleOptions options;
  int64_t columns = 0;
  ConditionFlags conditions;
};
}  // namespace

void add_decode_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand("decode", "map latent codes to data (the decoder / generator)");
  cmd->add_option("model", args->model, "model file")->required();
  cmd->add_option("--codes", args->codes, "FILE.npy of shape (N, latent size)")->required();
  cmd->add_option("--out", args->out, "FILE.png (a grid) or FILE.npy")->required();
  add_seed_option(*cmd, args->options.seed, "random seed");
  cmd->add_option("--columns", args->columns, "images per grid row (0 = square)")->check(CLI::NonNegativeNumber);
  args->conditions.add_to(*cmd);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      model->require_capability(cap_decode, "decode");
      const Dataset codes = load_npy(args->codes);
      const int64_t z = model->latent_dim();
      if (codes.d != z)
        fail(Status::invalid_data, "{} has {} values per row; the model's latent size is {}", args->codes, codes.d, z);
      DataView view = codes.view();
      view.image = {};
      require_finite(view);
      args->conditions.apply(*model, codes.n, args->options);
      const DataShape& shape = model->data_shape();
      std::vector<float> x(static_cast<std::size_t>(codes.n * shape.d));
      model->decode(view, args->options, x.data());
      write_rows(args->out, x.data(), codes.n, shape.d, shape.image, args->columns);
      fmt::print("wrote {} decoded rows to {}\n", codes.n, args->out);
    });
  });
}

}  // namespace gm::cli
