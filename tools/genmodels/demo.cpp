// demo — the main job: fit the default model on binarised Fashion-MNIST (or on the
// built-in bars-and-stripes if the Debian package is missing), write a PNG of samples and
// report the test log-likelihood.
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "data/transforms.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"
#include "score.hpp"

namespace gm::cli {

namespace {
struct DemoArgs {
  std::string kind = "markov", config = R"({"order": 8})", out_dir = "genmodels-demo";
  int64_t samples = 64;
  uint64_t seed = 0;
};
}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "fit the default model on binarised Fashion-MNIST, write samples.png and the test log-likelihood");
  cmd->add_option("--kind", args->kind, "model kind");
  cmd->add_option("--config", args->config, "hyper-parameters as JSON");
  cmd->add_option("--out-dir", args->out_dir, "folder for model.safetensors and samples.png");
  cmd->add_option("--samples", args->samples, "number of samples in the grid")->check(CLI::Range(1, 1024));
  add_seed_option(*cmd, args->seed, "random seed");
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      std::string train_spec = "fashion-mnist:train", test_spec = "fashion-mnist:test";
      Dataset train, test;
      try {
        train = load_dataset(train_spec);
        test = load_dataset(test_spec);
        binarize(train, 0.5);
        binarize(test, 0.5);
      } catch (const Error& e) {
        if (e.status() != Status::io_error) throw;
        fmt::print("note: {}\nnote: using builtin:bars-and-stripes:4 instead\n", e.what());
        train_spec = test_spec = "builtin:bars-and-stripes:4";
        train = test = load_dataset(train_spec);
      }
      std::error_code ec;
      std::filesystem::create_directories(args->out_dir, ec);
      if (ec) fail(Status::io_error, "cannot create {}: {}", args->out_dir, ec.message());

      auto model = create_model(args->kind, parse_config(args->config));
      FitOptions fit;
      fit.seed = args->seed;
      fit.progress = terminal_progress("fit");
      const auto start = std::chrono::steady_clock::now();
      model->fit(train.view(), fit);
      const double fit_s = seconds_since(start);
      const std::string model_path = args->out_dir + "/model.safetensors";
      const std::string png_path = args->out_dir + "/samples.png";
      save_model_file(*model, model_path);

      SampleOptions so;
      so.seed = args->seed;
      const DataShape& shape = model->data_shape();
      std::vector<float> x(static_cast<std::size_t>(args->samples * shape.d));
      model->sample(args->samples, so, x.data());
      write_rows(png_path, x.data(), args->samples, shape.d, shape.image, 0);

      const Score s = score(*model, test, EvalOptions{});
      fmt::print("{} {} fitted on {} ({} examples) in {:.2f} s\n", model->kind(), model->config().dump(), train_spec,
                 train.n, fit_s);
      fmt::print(
          "test log-likelihood on {} ({} examples): {:.3f} nats per image (NLL {:.3f} ± {:.3f}, {:.4f} bits/dim)\n",
          test_spec, s.n, -s.nll_nats, s.nll_nats, s.nll_stderr, s.bits_per_dim);
      fmt::print("wrote {} and {}\n", model_path, png_path);
      Json j = s.to_json();
      j["kind"] = model->kind();
      j["train"] = train_spec;
      j["test"] = test_spec;
      j["samples_png"] = png_path;
      j["model"] = model_path;
      j["fit_seconds"] = fit_s;
      fmt::print("{}\n", j.dump());
    });
  });
}

}  // namespace gm::cli
