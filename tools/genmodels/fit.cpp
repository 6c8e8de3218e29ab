#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"

namespace gm::cli {

namespace {
struct FitArgs {
  std::string kind, out, config = "{}";
  DataFlags data;
  FitOptions options;
};
}  // namespace

void add_fit_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* cmd = app.add_subcommand("fit", "fit a model on data and save it");
  cmd->add_option("kind", args->kind, "model kind (see `genmodels kinds`)")->required();
  args->data.add_to(*cmd);
  cmd->add_option("--out", args->out, "model file to write (.safetensors)")->required();
  cmd->add_option("--config", args->config, "hyper-parameters as a JSON object, e.g. '{\"order\": 2}'");
  cmd->add_option("--epochs", args->options.epochs, "passes over the data (gradient-trained kinds)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", args->options.batch_size, "mini-batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--lr", args->options.learning_rate, "learning rate (0 = the kind's default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", args->options.seed, "random seed");
  cmd->add_option("--threads", args->options.threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--validation", args->options.validation_fraction,
                  "hold out this fraction of rows and score it after every epoch")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--patience", args->options.patience,
                  "with --validation: stop after N epochs without improvement, keep the best")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      auto model = create_model(args->kind, parse_config(args->config));
      const auto load_start = std::chrono::steady_clock::now();
      const Dataset data = args->data.load();
      const double load_s = seconds_since(load_start);
      FitOptions options = args->options;
      options.progress = terminal_progress("fit");
      const auto fit_start = std::chrono::steady_clock::now();
      model->fit(data.view(), options);
      const double fit_s = seconds_since(fit_start);
      save_model_file(*model, args->out);
      fmt::print("fitted {} on {} examples of {} values in {:.3f} s (data loaded in {:.3f} s)\n",
                 model->kind(), data.n, data.d, fit_s, load_s);
      fmt::print("configuration: {}\nwrote {}\n", model->config().dump(), args->out);
    });
  });
}

}  // namespace gm::cli
