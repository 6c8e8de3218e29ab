// `genmodels captions`: the built-in Fashion-MNIST captions (data/captions.hpp) as text, so a
// person can read the phrasings and a benchmark can ask a text cgan for the held-out ones:
//   genmodels captions                                   the classes, train and held-out templates
//   genmodels captions --held-out [--template K] --repeat 100 --out held.txt --labels-out held_labels.npy
//   genmodels captions --train --data fashion-mnist:train --seed S --out train.txt
// (--train writes the captions `fit --captions builtin --seed S` attaches, one per row.)
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "data/captions.hpp"
#include "data/npy.hpp"
#include "io/file.hpp"

namespace gm::cli {

namespace {
struct CaptionsArgs {
  bool train = false, held_out = false;
  int64_t repeat = 1, template_index = -1;
  uint64_t seed = 0;
  std::string out, labels_out;
  DataFlags data;
};

void print_overview() {
  fmt::print("Fashion-MNIST captions (fit --captions builtin); {{a}} = name with article, {{n}} = bare name\n");
  for (int c = 0; c < kFashionClasses; ++c) {
    fmt::print("class {} {}:", c, fashion_class_names()[static_cast<std::size_t>(c)]);
    for (const std::string& s : fashion_class_synonyms(c)) fmt::print(" \"{}\"", s);
    fmt::print("\n");
  }
  const auto& train = fashion_train_templates();
  fmt::print("train templates ({}):\n", train.size());
  for (std::size_t k = 0; k < train.size(); ++k) fmt::print("  {} \"{}\"\n", k, train[k]);
  const auto& held = fashion_held_out_templates();
  fmt::print("held-out templates ({}):\n", held.size());
  for (std::size_t k = 0; k < held.size(); ++k) fmt::print("  {} \"{}\"\n", k, held[k]);
}

void run_captions(CaptionsArgs& a) {
  if (a.train == a.held_out) {
    if (a.train || !a.out.empty() || !a.labels_out.empty())
      fail(Status::invalid_argument, "give one of --train and --held-out to write captions");
    print_overview();
    return;
  }
  std::vector<std::string> lines;
  std::vector<int32_t> labels;
  if (a.held_out) {
    const auto& templates = fashion_held_out_templates();
    if (a.template_index >= static_cast<int64_t>(templates.size()))
      fail(Status::invalid_argument, "--template {}: there are {} held-out templates (0 to {})", a.template_index,
           templates.size(), templates.size() - 1);
    for (int c = 0; c < kFashionClasses; ++c)
      for (std::size_t t = 0; t < templates.size(); ++t) {
        if (a.template_index >= 0 && static_cast<int64_t>(t) != a.template_index) continue;
        for (int s = 0; s < static_cast<int>(fashion_class_synonyms(c).size()); ++s)
          for (int64_t k = 0; k < a.repeat; ++k) {
            lines.push_back(fashion_caption(templates[t], c, s));
            labels.push_back(c);
          }
      }
  } else {
    if (a.data.spec.empty()) fail(Status::invalid_argument, "--train needs --data (labelled Fashion-MNIST rows)");
    const Dataset data = a.data.load();
    if (data.labels.empty()) fail(Status::invalid_data, "--train writes captions from labels; this data has none");
    lines = fashion_train_captions(data.labels.data(), data.n, a.seed);
    labels = data.labels;
  }
  std::string text;
  for (const std::string& l : lines) text += l + '\n';
  if (a.out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    write_file_atomic(a.out, reinterpret_cast<const uint8_t*>(text.data()), text.size());
    fmt::print("wrote {} captions to {}\n", lines.size(), a.out);
  }
  if (!a.labels_out.empty()) {
    const std::vector<uint8_t> bytes = encode_npy_i32(labels.data(), {static_cast<int64_t>(labels.size())});
    write_file_atomic(a.labels_out, bytes.data(), bytes.size());
    if (!a.out.empty()) fmt::print("wrote their labels to {}\n", a.labels_out);
  }
}
}  // namespace

void add_captions_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CaptionsArgs>();
  CLI::App* cmd =
      app.add_subcommand("captions", "the built-in Fashion-MNIST captions for text cgan (fit --captions builtin)");
  cmd->add_flag("--train", args->train, "write the training caption of every row of --data");
  cmd->add_flag("--held-out", args->held_out, "write every held-out phrasing of every class (never used in training)");
  cmd->add_option("--repeat", args->repeat, "--held-out: each caption this many times")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--template", args->template_index, "--held-out: only held-out template K (see `genmodels captions`)")
      ->check(CLI::NonNegativeNumber);
  add_seed_option(*cmd, args->seed, "--train: the seed given to fit");
  cmd->add_option("--out", args->out, "FILE.txt, one caption per line (default: standard output)");
  cmd->add_option("--labels-out", args->labels_out, "FILE.npy: the class of every caption (int32)");
  args->data.add_to(*cmd, false);
  cmd->callback([args, &exit_code] { exit_code = run_command([&] { run_captions(*args); }); });
}

}  // namespace gm::cli
