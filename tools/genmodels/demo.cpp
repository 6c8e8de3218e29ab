// demo — the main job: fit a model on binarised Fashion-MNIST (or on the built-in
// bars-and-stripes if the Debian package is missing) and show what it does: samples, the
// bottom half of test images filled in, the test NLL beside the independent-pixel baseline,
// and the most and least likely test images. Everything goes into one folder.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/transforms.hpp"
#include "demo_figure.hpp"
#include "epoch_log.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"
#include "score.hpp"

namespace gm::cli {

namespace {

// What the demo fits when the command line does not say. nade is the default: it samples
// garments, scores exactly and completes (docs/images/ shows the pictures; the choice and
// its measurements are in the README's demo section). nade's Adam step is 3e-3 rather
// than the kind's 1e-3: in the demo's 10 epochs it reaches 103.32 nats instead of 108.51 (seed 0).
struct Preset {
  const char* kind;
  const char* config;
  int64_t epochs, batch_size;
  double learning_rate;  // 0: the kind's default
};
constexpr Preset kPresets[] = {
    {"nade", R"({"hidden": 500})", 10, 100, 3e-3},
    {"vae", "{}", 30, 100, 0.0},
    {"fvsbn", "{}", 10, 100, 0.0},
    {"markov", R"({"order": 8})", 0, 0, 0.0},
};
const Preset kOther{"", "{}", 10, 100, 0.0};

const Preset& preset_of(const std::string& kind) {
  for (const Preset& p : kPresets)
    if (kind == p.kind) return p;
  return kOther;
}

struct DemoArgs {
  std::string kind = "nade", config, out_dir = "genmodels-demo";
  int64_t epochs = 0, batch_size = 0;  // 0: the kind's preset
  double learning_rate = 0.0;
  int64_t samples = 64;
  uint64_t seed = 0;
  int threads = 0;
  bool quiet = false;
};

constexpr int64_t kShown = 10;  // images per row of completions.png and anomalies.png

std::string shape_text(const ImageShape& im, int64_t d) {
  if (!im.is_image()) return fmt::format("{} values", d);
  return im.channels == 1 ? fmt::format("{}x{}", im.height, im.width)
                          : fmt::format("{}x{}x{}", im.channels, im.height, im.width);
}

// The test rows completions.png shows: the first of each class when there are labels
// (at most kShown classes), else the first kShown rows.
std::vector<int64_t> showcase_rows(const Dataset& test) {
  std::vector<int64_t> rows;
  if (!test.labels.empty() && test.num_classes > 1) {
    for (int32_t c = 0; c < test.num_classes && static_cast<int64_t>(rows.size()) < kShown; ++c) {
      const auto it = std::find(test.labels.begin(), test.labels.end(), c);
      if (it != test.labels.end()) rows.push_back(it - test.labels.begin());
    }
  }
  for (int64_t i = 0; static_cast<int64_t>(rows.size()) < std::min(kShown, test.n) && i < test.n; ++i)
    if (std::find(rows.begin(), rows.end(), i) == rows.end()) rows.push_back(i);
  return rows;
}

// An NLL under a 56-pixel image: one decimal below 100, none above.
std::string nll_caption(double nll) {
  return std::abs(nll) < 100 ? fmt::format("{:.1f}", nll) : fmt::format("{:.0f}", nll);
}

// Lines of the final summary, printed and written to summary.txt.
struct Summary {
  std::vector<std::string> lines;
  template <typename... T>
  void add(fmt::format_string<T...> f, T&&... args) {
    lines.push_back(fmt::format(f, std::forward<T>(args)...));
  }
};

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "fit a model on binarised Fashion-MNIST and write samples.png, completions.png, anomalies.png, the model and "
      "the test NLL beside the independent-pixel baseline into one folder (the built-in bars-and-stripes when "
      "Fashion-MNIST is not installed)");
  cmd->add_option("--kind", args->kind, "model kind (default nade; markov is the instant variant)");
  cmd->add_option("--config", args->config,
                  "hyper-parameters as JSON (default: nade {\"hidden\": 500}, markov {\"order\": 8}, else {})");
  cmd->add_option("--epochs", args->epochs, "passes over the data (0 = the demo's preset: nade 10, vae 30, else 10)")
      ->check(CLI::Range(int64_t{0}, limits::kMaxEpochs));
  cmd->add_option("--batch-size", args->batch_size, "mini-batch size (0 = 100)")
      ->check(CLI::Range(int64_t{0}, limits::kMaxRows));
  cmd->add_option("--lr", args->learning_rate,
                  "learning rate (0 = the demo's preset: nade 0.003, else the kind's default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--out-dir", args->out_dir, "folder for the model, the pictures and summary.{txt,json}");
  cmd->add_option("--samples", args->samples, "number of samples in samples.png")->check(CLI::Range(1, 1024));
  add_seed_option(*cmd, args->seed, "random seed (fit, samples, completions)");
  add_threads_option(*cmd, args->threads);
  cmd->add_flag("--quiet", args->quiet, "no training progress; only the summary");
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto start = std::chrono::steady_clock::now();
      const Preset& preset = preset_of(args->kind);
      const std::string config_text = args->config.empty() ? preset.config : args->config;
      auto model = create_model(args->kind, parse_config(config_text));  // a bad kind fails before the data loads

      // Data: binarised Fashion-MNIST, or the built-in set when the package is missing.
      std::string train_spec = "fashion-mnist:train", test_spec = "fashion-mnist:test", data_name;
      Dataset train, test;
      try {
        train = load_dataset(train_spec);
        test = load_dataset(test_spec);
        binarize(train, 0.5);
        binarize(test, 0.5);
        data_name = "binarised Fashion-MNIST (pixel >= 0.5)";
      } catch (const Error& e) {
        if (e.status() != Status::io_error) throw;
        fmt::print("note: {}\nnote: using builtin:bars-and-stripes:4 instead\n", e.what());
        train_spec = test_spec = "builtin:bars-and-stripes:4";
        train = test = load_dataset(train_spec);
        data_name = "builtin:bars-and-stripes:4 (train = test)";
      }
      const std::string& dir = args->out_dir;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) fail(Status::io_error, "cannot create {}: {}", dir, ec.message());

      FitOptions fit;
      fit.seed = args->seed;
      fit.threads = args->threads;
      fit.epochs = args->epochs ? args->epochs : preset.epochs ? preset.epochs : fit.epochs;
      fit.batch_size = args->batch_size ? args->batch_size : preset.batch_size ? preset.batch_size : fit.batch_size;
      fit.learning_rate = args->learning_rate > 0 ? args->learning_rate : preset.learning_rate;
      const bool epochs = model->trains_in_epochs();
      fmt::print("demo: {} {} on {}: {} training and {} test images of {}\n", model->kind(), model->config().dump(),
                 data_name, train.n, test.n, shape_text(train.image, train.d));
      const std::string lr_text =
          fit.learning_rate > 0 ? fmt::format("learning rate {:g}", fit.learning_rate) : "the kind's learning rate";
      if (epochs) fmt::print("fit: {} epochs, batch size {}, {}\n", fit.epochs, fit.batch_size, lr_text);
      std::fflush(stdout);

      // The baseline first: independent pixels, closed form, a fraction of a second.
      auto baseline = create_model("bernoulli", Json::object());
      FitOptions baseline_fit;
      baseline_fit.threads = args->threads;
      const auto baseline_start = std::chrono::steady_clock::now();
      baseline->fit(train.view(), baseline_fit);
      const double baseline_s = seconds_since(baseline_start);

      // The per-epoch log on stderr (a live line on a terminal); --quiet keeps it silent.
      const bool likelihood = (model->capabilities() & cap_log_prob) != 0;
      attach_epoch_log(fit, "demo", args->quiet, likelihood);
      const auto fit_start = std::chrono::steady_clock::now();
      model->fit(train.view(), fit);
      const double fit_s = seconds_since(fit_start);
      const std::string model_path = dir + "/model.safetensors";
      save_model_file(*model, model_path);
      fmt::print("fitted {} in {:.1f} s; wrote {}\n", model->kind(), fit_s, model_path);

      Json files = Json::object(), skipped = Json::object();
      files["model"] = model_path;
      auto skip = [&](const std::string& file, const std::string& why) {
        skipped[file] = why;
        fmt::print("skipped {}: {}\n", file, why);
      };
      const ImageShape image = model->data_shape().image;
      const int64_t D = model->data_shape().d;

      // Test NLL of the model and of the baseline.
      const auto score_start = std::chrono::steady_clock::now();
      const bool scores = (model->capabilities() & cap_log_prob) != 0;
      const bool exact = (model->capabilities() & cap_exact_log_prob) != 0;
      EvalOptions eval;
      eval.seed = args->seed;
      eval.threads = args->threads;
      std::vector<double> lp;
      Score s;
      if (scores) s = score(*model, test, eval, &lp);
      const Score b = score(*baseline, test, eval);
      const double score_s = seconds_since(score_start);
      const std::string bound = exact ? "exact" : "importance-weighted upper bound";
      fmt::print("test log-likelihood on {} ({} images), as NLL in nats per image (lower is better):\n", test_spec,
                 b.n);
      if (scores)
        fmt::print("  {:<10} NLL {:8.2f} ± {:.2f}  ({})\n", model->kind(), s.nll_nats, s.nll_stderr, bound);
      else
        fmt::print("  {:<10} no log_prob: {} has no likelihood to score\n", model->kind(), model->kind());
      fmt::print("  {:<10} NLL {:8.2f} ± {:.2f}  (independent pixels: the baseline)\n", "bernoulli", b.nll_nats,
                 b.nll_stderr);

      const auto pictures_start = std::chrono::steady_clock::now();
      SampleOptions so;
      so.seed = args->seed;
      so.threads = args->threads;
      const std::string title =
          fmt::format("genmodels {} on {}", model->kind(),
                      train_spec == "fashion-mnist:train" ? "binarised Fashion-MNIST" : train_spec);

      // samples.png
      if ((model->capabilities() & cap_sample) == 0 || model_condition(*model).kind != ConditionKind::none) {
        skip("samples.png", (model->capabilities() & cap_sample) == 0
                                ? fmt::format("{} cannot sample", model->kind())
                                : fmt::format("{} samples need conditions; use `genmodels sample`", model->kind()));
      } else if (!image.is_image()) {
        skip("samples.png", "the data has no image layout");
      } else {
        std::vector<float> x(static_cast<std::size_t>(args->samples * D));
        model->sample(args->samples, so, x.data());
        Figure f;
        f.title = title + ": samples";
        f.notes = {fmt::format("{} samples drawn from the model (seed {}), each pixel drawn as 0 or 1", args->samples,
                               args->seed)};
        f.image = image;
        f.columns = std::min<int64_t>(args->samples, 8);
        FigureRow row;
        for (int64_t i = 0; i < args->samples; ++i) row.images.push_back(&x[static_cast<std::size_t>(i * D)]);
        f.rows.push_back(std::move(row));
        const std::string path = dir + "/samples.png";
        write_figure(path, f);
        files["samples"] = path;
        fmt::print("wrote {}: {} samples\n", path, args->samples);
      }

      // completions.png: the bottom half hidden, then filled in (two draws).
      if ((model->capabilities() & cap_complete) == 0) {
        skip("completions.png", fmt::format("{} has no complete", model->kind()));
      } else if (!image.is_image() || image.height < 2) {
        skip("completions.png", "the data has no image layout with a bottom half");
      } else {
        const std::vector<int64_t> rows = showcase_rows(test);
        const int64_t n = static_cast<int64_t>(rows.size());
        std::vector<float> x(static_cast<std::size_t>(n * D));
        for (int64_t i = 0; i < n; ++i)
          std::copy_n(test.x.begin() + rows[static_cast<std::size_t>(i)] * D, D, x.begin() + i * D);
        // Hidden: every channel of the rows below the middle. observed: (n, D); marked: (H*W).
        std::vector<uint8_t> observed(static_cast<std::size_t>(n * D)), marked(static_cast<std::size_t>(D));
        const int64_t H = image.height, W = image.width, HW = H * W;
        for (int64_t j = 0; j < D; ++j) marked[static_cast<std::size_t>(j)] = (j % HW) / W >= H / 2;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < D; ++j)
            observed[static_cast<std::size_t>(i * D + j)] = !marked[static_cast<std::size_t>(j)];
        DataView view = test.view();
        view.x = x.data();
        view.n = n;
        view.labels = nullptr;
        std::vector<float> c1(x.size()), c2(x.size());
        SampleOptions o2 = so;
        o2.seed = so.seed + 1;
        model->complete(view, observed.data(), so, c1.data());
        model->complete(view, observed.data(), o2, c2.data());
        Figure f;
        f.title = title + ": completions";
        f.notes = {"test images; the bottom half hidden (blue) and filled in by the model's complete:",
                   "two independent draws from p(bottom half | top half)"};
        f.image = image;
        FigureRow original{"original test images", {}, {}, {}}, masked{"bottom half hidden", {}, {}, {}},
            first{fmt::format("completed by {} (draw 1)", model->kind()), {}, {}, {}},
            second{fmt::format("completed by {} (draw 2)", model->kind()), {}, {}, {}};
        for (int64_t i = 0; i < n; ++i) {
          const std::size_t o = static_cast<std::size_t>(i * D);
          original.images.push_back(&x[o]);
          masked.images.push_back(&x[o]);
          masked.marked.push_back(marked.data());
          first.images.push_back(&c1[o]);
          second.images.push_back(&c2[o]);
          if (!test.class_names.empty() && !test.labels.empty()) {
            const int32_t label = test.labels[static_cast<std::size_t>(rows[static_cast<std::size_t>(i)])];
            std::string name = test.class_names[static_cast<std::size_t>(label)];
            original.captions.push_back(name.substr(0, name.find('/')));
          }
        }
        f.rows = {original, masked, first, second};
        const std::string path = dir + "/completions.png";
        write_figure(path, f);
        files["completions"] = path;
        fmt::print("wrote {}: {} test images, bottom half hidden, completed twice\n", path, n);
      }

      // anomalies.png: the most and the least likely test images under the model.
      if (!scores) {
        skip("anomalies.png", fmt::format("{} has no log_prob to rank test images by", model->kind()));
      } else if (!image.is_image()) {
        skip("anomalies.png", "the data has no image layout");
      } else {
        std::vector<int64_t> order(lp.size());
        std::iota(order.begin(), order.end(), int64_t{0});
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t c) {
          return lp[static_cast<std::size_t>(a)] > lp[static_cast<std::size_t>(c)];
        });
        const int64_t n = std::min<int64_t>(kShown, static_cast<int64_t>(order.size()));
        Figure f;
        f.title = title + ": anomalies";
        f.notes = {
            fmt::format("the {} most and the {} least likely of {} test images under the model;", n, n, lp.size()),
            exact ? "under each: its NLL in nats (-log p(x))" : "under each: an upper bound on its NLL in nats"};
        f.image = image;
        FigureRow most{"most likely (lowest NLL)", {}, {}, {}},
            least{"least likely (highest NLL): anomalies", {}, {}, {}};
        for (int64_t i = 0; i < n; ++i) {
          const int64_t hi = order[static_cast<std::size_t>(i)];
          const int64_t lo = order[order.size() - 1 - static_cast<std::size_t>(i)];
          most.images.push_back(&test.x[static_cast<std::size_t>(hi * D)]);
          most.captions.push_back(nll_caption(-lp[static_cast<std::size_t>(hi)]));
          least.images.push_back(&test.x[static_cast<std::size_t>(lo * D)]);
          least.captions.push_back(nll_caption(-lp[static_cast<std::size_t>(lo)]));
        }
        f.rows = {most, least};
        const std::string path = dir + "/anomalies.png";
        write_figure(path, f);
        files["anomalies"] = path;
        fmt::print("wrote {}: the {} most and least likely test images (NLL {:.1f} .. {:.1f} nats)\n", path, n,
                   -lp[static_cast<std::size_t>(order.front())], -lp[static_cast<std::size_t>(order.back())]);
      }
      const double pictures_s = seconds_since(pictures_start);
      const double total_s = seconds_since(start);

      // The summary: printed, and written as text and JSON.
      Summary sum;
      sum.add("model      {} {}{}, fitted in {:.1f} s on {} images", model->kind(), model->config().dump(),
              epochs ? fmt::format(", {} epochs of batch {}, {}", fit.epochs, fit.batch_size, lr_text) : std::string(),
              fit_s, train.n);
      if (scores)
        sum.add("test NLL   {:.2f} ± {:.2f} nats per image ({}), {} test images", s.nll_nats, s.nll_stderr, bound, s.n);
      sum.add("baseline   {:.2f} ± {:.2f} nats per image: bernoulli (independent pixels), fitted in {:.2f} s",
              b.nll_nats, b.nll_stderr, baseline_s);
      if (scores) sum.add("           {} is {:.2f} nats per image better", model->kind(), b.nll_nats - s.nll_nats);
      std::string written;
      for (const auto& [key, path] : files.items())
        written += " " + std::filesystem::path(path.get<std::string>()).filename().string();
      sum.add("wrote      {}/:{} summary.txt summary.json", dir, written);
      for (const auto& [file, why] : skipped.items()) sum.add("skipped    {}: {}", file, why.get<std::string>());
      sum.add("time       {:.1f} s: fit {:.1f} s, scoring {:.1f} s, pictures {:.1f} s", total_s, fit_s, score_s,
              pictures_s);

      Json j;
      j["kind"] = model->kind();
      j["config"] = model->config();
      if (epochs) {
        j["epochs"] = fit.epochs;
        j["batch_size"] = fit.batch_size;
        j["learning_rate"] = fit.learning_rate;  // 0: the kind's default
      }
      j["seed"] = args->seed;
      j["train"] = train_spec;
      j["test"] = test_spec;
      j["n_train"] = train.n;
      j["n_test"] = test.n;
      if (scores) {
        j["test_nll_nats"] = s.nll_nats;
        j["test_nll_stderr"] = s.nll_stderr;
        j["test_nll_exact"] = exact;
      }
      j["baseline"] = {{"kind", "bernoulli"},
                       {"test_nll_nats", b.nll_nats},
                       {"test_nll_stderr", b.nll_stderr},
                       {"fit_seconds", baseline_s}};
      j["files"] = files;
      j["skipped"] = skipped;
      j["seconds"] = {{"fit", fit_s}, {"scoring", score_s}, {"pictures", pictures_s}, {"total", total_s}};
      {
        std::ofstream out(dir + "/summary.json");
        out << j.dump(2) << "\n";
        std::ofstream txt(dir + "/summary.txt");
        for (const std::string& line : sum.lines) txt << line << "\n";
        if (!out || !txt) fail(Status::io_error, "cannot write the summary into {}", dir);
      }
      fmt::print("\nsummary ({}/summary.txt):\n", dir);
      for (const std::string& line : sum.lines) fmt::print("  {}\n", line);
    });
  });
}

}  // namespace gm::cli
