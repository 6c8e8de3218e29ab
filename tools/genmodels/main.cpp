// genmodels — fit, sample, score and inspect generative models from the shell.
#include <CLI/CLI.hpp>

#include "gm_build_config.h"

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"genmodels: generative models on the CPU (fit, sample, log-prob, encode, decode, complete)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("genmodels ") + GM_VERSION_STRING);
  int exit_code = 0;
  gm::cli::add_fit_command(app, exit_code);
  gm::cli::add_sample_command(app, exit_code);
  gm::cli::add_log_prob_command(app, exit_code);
  gm::cli::add_encode_command(app, exit_code);
  gm::cli::add_decode_command(app, exit_code);
  gm::cli::add_complete_command(app, exit_code);
  gm::cli::add_info_commands(app, exit_code);
  gm::cli::add_kinds_command(app, exit_code);
  gm::cli::add_demo_command(app, exit_code);
  gm::cli::add_classifier_command(app, exit_code);
  gm::cli::add_eval_command(app, exit_code);
  gm::cli::add_captions_command(app, exit_code);
  gm::cli::add_interpolate_command(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
