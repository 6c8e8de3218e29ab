// genmodels — fit, sample, score and inspect generative models from the shell.
#include <CLI/CLI.hpp>

#include "gm_build_config.h"

#include "commands.hpp"
#include "common.hpp"

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
  gm::cli::add_translate_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A usage error: CLI11's own message, with the prefix every error of the program has, and
    // EX_USAGE (64, sysexits.h) — not CLI11's 1xx codes, and not 2, which is GM_UNSUPPORTED.
    return gm::cli::usage_error(app, e);
  }
  return exit_code;
}
