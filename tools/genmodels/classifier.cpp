// `genmodels classifier`: trains the Fashion-MNIST feature classifier that `eval` measures
// generated images with (lib/eval/classifier.hpp), and the cache that `eval` falls back on.
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "eval_support.hpp"

namespace gm::cli {

std::string default_classifier_path() {
  const char* file = "fashion-mnist-classifier.safetensors";
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  if (!env("GENMODELS_CACHE").empty()) return env("GENMODELS_CACHE") + "/" + file;
  if (!env("XDG_CACHE_HOME").empty()) return env("XDG_CACHE_HOME") + "/genmodels/" + file;
  if (!env("HOME").empty()) return env("HOME") + "/.cache/genmodels/" + file;
  fail(Status::invalid_argument,
       "no cache folder for the feature classifier: set GENMODELS_CACHE or pass --classifier FILE");
}

Dataset load_grey_images(const std::string& spec, const std::string& what, bool need_labels) {
  Dataset data = load_dataset(spec);
  const bool grey28 = !data.image.is_image() || (data.image.channels == 1 && data.image.height == 28);
  if (data.d != eval::FeatureClassifier::kPixels || !grey28)
    fail(Status::invalid_data,
         "{} {}: the feature classifier reads 28×28 grey images (784 values a row), got rows of {}", what, spec,
         data.d);
  if (need_labels && data.labels.empty())
    fail(Status::invalid_data, "{} {}: the classifier needs labels 0..9 (npy:IMAGES.npy:LABELS.npy)", what, spec);
  eval::require_unit_images(data.x.data(), data.n, what + " " + spec);
  return data;
}

double train_and_save_classifier(const ClassifierJob& job, const std::string& path, eval::FeatureClassifier& out) {
  const Dataset train = load_grey_images(job.train, "training data", true);
  eval::ClassifierTrainOptions options = job.options;
  if (!options.progress) options.progress = terminal_progress("classifier");
  const auto start = std::chrono::steady_clock::now();
  out.train(train.view(), options);
  const double seconds = seconds_since(start);
  Metadata meta = {{"train_data", job.train},
                   {"train_examples", std::to_string(train.n)},
                   {"epochs", std::to_string(options.epochs)},
                   {"seed", std::to_string(options.seed)},
                   {"train_seconds", fmt::format("{:.1f}", seconds)}};
  double accuracy = -1.0;
  if (!job.test.empty()) {
    const Dataset test = load_grey_images(job.test, "test data", true);
    accuracy = out.accuracy(test.view(), options.threads);
    meta["test_data"] = job.test;
    meta["test_accuracy"] = fmt::format("{:.4f}", accuracy);
  }
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) fail(Status::io_error, "cannot create the folder {}: {}", folder.string(), ec.message());
  }
  out.save(path, meta);
  fmt::print(stderr, "trained the feature classifier on {} images of {} in {:.1f} s", train.n, job.train, seconds);
  if (accuracy >= 0) fmt::print(stderr, "; test accuracy {:.2f}% on {}", 100.0 * accuracy, job.test);
  fmt::print(stderr, "; saved {}\n", path);
  return accuracy;
}

eval::FeatureClassifier classifier_for_eval(const std::string& path, int threads) {
  if (!path.empty()) return eval::FeatureClassifier::load(path);
  const std::string cached = default_classifier_path();
  if (std::filesystem::exists(cached)) return eval::FeatureClassifier::load(cached);
  fmt::print(stderr,
             "genmodels: no feature classifier at {}: training one on fashion-mnist:train first "
             "(5 epochs; a few minutes on 2 cores, once)\n",
             cached);
  ClassifierJob job;
  job.options.threads = threads;
  eval::FeatureClassifier c;
  train_and_save_classifier(job, cached, c);
  return c;
}

namespace {
struct ClassifierArgs {
  ClassifierJob job;
  std::string out;
};
}  // namespace

void add_classifier_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ClassifierArgs>();
  CLI::App* cmd = app.add_subcommand("classifier", "train the Fashion-MNIST feature classifier that `eval` uses");
  cmd->add_option("--data", args->job.train,
                  "labelled 28×28 grey images in [0, 1] (a data SPEC, see fit; default fashion-mnist:train)");
  cmd->add_option("--test", args->job.test,
                  "labelled images to measure the accuracy on (default fashion-mnist:test; \"\" to skip)");
  cmd->add_option("--epochs", args->job.options.epochs, "passes over the data (default 5)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  add_seed_option(*cmd, args->job.options.seed, "random seed (initialisation and shuffling)");
  add_threads_option(*cmd, args->job.options.threads);
  cmd->add_option("--out", args->out, "file to write (default: the cache `eval` reads, see docs/eval.md)");
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const std::string out = args->out.empty() ? default_classifier_path() : args->out;
      eval::FeatureClassifier c;
      const double accuracy = train_and_save_classifier(args->job, out, c);
      if (accuracy >= 0) fmt::print("test accuracy {:.4f} ({})\n", accuracy, args->job.test);
      fmt::print("wrote {}\n", out);
    });
  });
}

}  // namespace gm::cli
