#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "data/npy.hpp"
#include "io/file.hpp"
#include "models/model_file.hpp"
#include "score.hpp"

namespace gm::cli {

namespace {
struct LogProbArgs {
  std::string model, out;
  DataFlags data;
  EvalOptions options;
  bool json = false;
};
}  // namespace

void add_log_prob_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LogProbArgs>();
  CLI::App* cmd = app.add_subcommand("log-prob", "score data: mean negative log-likelihood in nats");
  cmd->add_option("model", args->model, "model file")->required();
  args->data.add_to(*cmd);
  cmd->add_option("--samples", args->options.samples,
                  "importance samples k of vae's bound (0 = the model's \"iwae_samples\", see `info`)")
      ->check(CLI::NonNegativeNumber);
  add_seed_option(*cmd, args->options.seed, "random seed for stochastic bounds");
  add_threads_option(*cmd, args->options.threads);
  cmd->add_flag("--json", args->json, "print one JSON object as the last line");
  cmd->add_option("--out", args->out, "also write every example's log p(x) (nats) to FILE.npy (float64)");
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      const Dataset data = args->data.load();
      std::vector<double> per_example;
      const Score s = score(*model, data, args->options, args->out.empty() ? nullptr : &per_example);
      if (!args->out.empty()) {
        const std::vector<uint8_t> bytes = encode_npy(NpyType::f8, per_example.data(), {data.n});
        write_file_atomic(args->out, bytes.data(), bytes.size());
      }
      if (args->json) {
        Json j = s.to_json();
        j["model"] = args->model;
        j["kind"] = model->kind();
        j["data"] = args->data.spec;
        fmt::print("{}\n", j.dump());
      } else {
        fmt::print("{} examples: NLL {:.4f} ± {:.4f} nats per example, {:.5f} bits/dim ({:.3f} s)\n", s.n, s.nll_nats,
                   s.nll_stderr, s.bits_per_dim, s.seconds);
      }
    });
  });
}

}  // namespace gm::cli
