#include <fmt/format.h>

#include <chrono>

#include "commands.hpp"
#include "common.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {
struct SampleArgs {
  std::string model, out;
  int64_t n = 64, columns = 0;
  SampleOptions options;
  ConditionFlags conditions;
};
}  // namespace

void add_sample_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SampleArgs>();
  CLI::App* cmd = app.add_subcommand("sample", "draw samples from a model");
  cmd->add_option("model", args->model, "model file")->required();
  CLI::Option* n_opt =
      cmd->add_option("--n", args->n, "number of samples (default 64, or the count of --labels / --texts)")
          ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--out", args->out, "FILE.png (a grid) or FILE.npy")->required();
  add_seed_option(*cmd, args->options.seed, "random seed");
  add_threads_option(*cmd, args->options.threads);
  cmd->add_option("--columns", args->columns, "images per grid row (0 = square)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--stage", args->options.stage,
                  "progan: draw at stage K (1 = the lowest resolution) of those the model has reached, its images "
                  "upsampled to the data's size; 0 (the default) = the current stage, as gm_sample_options.stage")
      ->check(CLI::Range(int64_t{0}, int64_t{64}));
  cmd->add_option("--truncation", args->options.truncation,
                  "gan, dcgan, cgan, infogan, vae: draw the latent code within T standard deviations, "
                  "trading variety for fidelity (the truncation trick; e.g. 1.5); 0 (the default) = none, as "
                  "gm_sample_options.truncation");  // the library says what is wrong with a bad value
  args->conditions.add_to(*cmd);
  cmd->callback([args, n_opt, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      if (n_opt->count() == 0 && args->conditions.rows() > 0) args->n = args->conditions.rows();
      args->conditions.apply(*model, args->n, args->options);
      const DataShape& shape = model->data_shape();
      require_output(args->out, shape.d, shape.image);  // before sampling, not after
      std::vector<float> x(static_cast<std::size_t>(args->n * shape.d));
      const auto start = std::chrono::steady_clock::now();
      model->sample(args->n, args->options, x.data());
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      write_rows(args->out, x.data(), args->n, shape.d, shape.image, args->columns, model->levels());
      fmt::print("wrote {} samples to {} (sampling took {:.4f} s)\n", args->n, args->out, took.count());
    });
  });
}

}  // namespace gm::cli
