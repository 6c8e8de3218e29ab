// kinds: the model kinds, their verbs and configuration keys — as text, as gm_kinds_json's
// JSON (--json), or as the README's table (--markdown; tests/cli/check_readme_kinds.sh
// fails when the README's copy differs).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "common.hpp"
#include "models/registry.hpp"

namespace gm::cli {

namespace {

// Capabilities as gm_kinds_json reports them: all of them.
constexpr uint32_t kReported = ~0u;

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

void print_text() {
  for (const KindInfo& k : all_kinds()) {
    fmt::print("{}\n  {}\n  verbs: {}\n", k.name, k.description,
               fmt::join(capability_names(k.capabilities & kReported), ", "));
    const Schema& schema = k.schema();
    if (schema.keys.empty()) fmt::print("  config: no keys\n");
    for (const KeySpec& s : schema.keys)
      fmt::print("  {:<18} {:<8} default {:<12} {}\n  {:<18} {}\n", s.name, s.to_json()["type"].get<std::string>(),
                 s.fallback.dump(), s.range_text(), "", s.doc);
    fmt::print("\n");
  }
}

void print_markdown() {
  fmt::print("| kind | key | type | default | range or values | meaning |\n|---|---|---|---|---|---|\n");
  for (const KindInfo& k : all_kinds()) {
    bool first = true;
    for (const KeySpec& s : k.schema().keys) {
      fmt::print("| {} | `{}` | {} | `{}` | {} | {} |\n", first ? fmt::format("`{}`", k.name) : std::string(), s.name,
                 s.to_json()["type"].get<std::string>(), s.fallback.dump(), cell(s.range_text()), cell(s.doc));
      first = false;
    }
  }
}

struct KindsArgs {
  bool json = false, markdown = false;
};

}  // namespace

void add_kinds_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<KindsArgs>();
  CLI::App* cmd = app.add_subcommand("kinds", "list the model kinds, their verbs and configuration keys");
  auto* json = cmd->add_flag("--json", args->json, "print gm_kinds_json's JSON");
  cmd->add_flag("--markdown", args->markdown, "print the README's table of configuration keys")->excludes(json);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      if (args->json)
        fmt::print("{}\n", kinds_json(kReported).dump());
      else if (args->markdown)
        print_markdown();
      else
        print_text();
    });
  });
}

}  // namespace gm::cli
