// translate: images of one domain to another (kinds with cap_translate: cyclegan, stargan).
#include <charconv>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {
struct TranslateArgs {
  std::string model, to, out;
  DataFlags data;
  TranslateOptions options;
  int64_t columns = 0;
};

// --to NAME | INDEX: a domain name the model knows, else a non-negative index.
void set_target(const GenerativeModel& model, const std::string& to, TranslateOptions& o) {
  const std::vector<std::string> names = model.domain_names();
  for (const std::string& name : names)
    if (name == to) {
      o.domain_name = to;
      return;
    }
  int64_t index = -1;
  const auto [end, ec] = std::from_chars(to.data(), to.data() + to.size(), index);
  if (ec != std::errc() || end != to.data() + to.size() || index < 0)
    fail(Status::invalid_argument, "--to {}: not a domain of this {} model; its domains are \"{}\" (or their indices)",
         to, model.kind(), fmt::join(names, "\", \""));
  o.domain = index;  // the verb checks the range and names the domains
}
}  // namespace

void add_translate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TranslateArgs>();
  CLI::App* cmd = app.add_subcommand("translate", "map images to another domain (cyclegan, stargan)");
  cmd->add_option("model", args->model, "model file")->required();
  args->data.add_to(*cmd);
  cmd->add_option("--to", args->to, "target domain: its name (`genmodels info` lists them) or index")->required();
  cmd->add_option("--out", args->out, "FILE.png (grid: input, then its translation) or FILE.npy")->required();
  add_seed_option(*cmd, args->options.seed, "random seed");
  add_threads_option(*cmd, args->options.threads);
  cmd->add_option("--columns", args->columns, "images per grid row (0 = one row per input/output pair)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      model->require_capability(cap_translate, "translate");
      set_target(*model, args->to, args->options);
      const Dataset data = args->data.load();
      model->require_rows(data.view());
      const DataShape& shape = model->data_shape();
      require_output(args->out, shape.d, shape.image);
      std::vector<float> out(data.x.size());
      model->translate(data.view(), args->options, out.data());
      if (args->out.size() > 4 && args->out.compare(args->out.size() - 4, 4, ".npy") == 0) {
        write_rows(args->out, out.data(), data.n, data.d, shape.image, 0);
        fmt::print("wrote {} translations to {} to {}\n", data.n, args->to, args->out);
        return;
      }
      // A PNG shows pairs: each input, then its translation.
      std::vector<float> pairs;
      pairs.reserve(2 * out.size());
      for (int64_t i = 0; i < data.n; ++i) {
        const auto row = static_cast<std::ptrdiff_t>(i * data.d);
        pairs.insert(pairs.end(), data.x.begin() + row, data.x.begin() + row + data.d);
        pairs.insert(pairs.end(), out.begin() + row, out.begin() + row + data.d);
      }
      write_rows(args->out, pairs.data(), 2 * data.n, data.d, shape.image, args->columns ? args->columns : 2);
      fmt::print("wrote {} input/translation pairs ({}) to {}\n", data.n, args->to, args->out);
    });
  });
}

}  // namespace gm::cli
