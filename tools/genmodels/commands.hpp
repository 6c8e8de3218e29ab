// One function per subcommand: each adds itself to the app and stores its exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace gm::cli {

void add_fit_command(CLI::App& app, int& exit_code);
void add_sample_command(CLI::App& app, int& exit_code);
void add_log_prob_command(CLI::App& app, int& exit_code);
void add_encode_command(CLI::App& app, int& exit_code);
void add_decode_command(CLI::App& app, int& exit_code);
void add_complete_command(CLI::App& app, int& exit_code);
void add_info_commands(CLI::App& app, int& exit_code);  // info
void add_kinds_command(CLI::App& app, int& exit_code);
void add_demo_command(CLI::App& app, int& exit_code);
void add_classifier_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_captions_command(CLI::App& app, int& exit_code);
void add_interpolate_command(CLI::App& app, int& exit_code);
void add_translate_command(CLI::App& app, int& exit_code);

}  // namespace gm::cli
