#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/captions.hpp"
#include "data/text_features.hpp"
#include "fit_chunks.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"

namespace gm::cli {

namespace {
struct FitArgs {
  std::string kind, out, config = "{}", grid_dir;
  DataFlags data;
  CaptionFlags captions;
  FitOptions options;
  int64_t chunk_size = 0;  // --chunk-size: stream the data through a counting kind (fit_chunks.hpp)
};

constexpr uint64_t kGridSeed = 1;  // every epoch's grid draws the same z: progress is visible
constexpr int64_t kGridColumns = 8;

// --grid-dir: after every epoch DIR/epoch_NNN.png with a fixed seed. Rows of 8 images: for
// a label cgan one row per class (at most 16), for a text cgan one row per sentence (the
// builtin "a photo of ..." caption of each class, or the first distinct sentences of the
// file, at most 10), else 64 samples.
class EpochGrids {
 public:
  EpochGrids(std::string dir, const GenerativeModel& model, const Dataset& data, const CaptionFlags& captions,
             const std::vector<std::string>& sentences)
      : dir_(std::move(dir)), model_(model), image_(data.image) {
    if (!image_.is_image())
      fail(Status::invalid_argument, "--grid-dir draws image grids, but this data has no image layout");
    std::filesystem::create_directories(dir_);
    if (model_condition(model).kind == ConditionKind::text) {
      std::vector<std::string> rows;
      if (captions.source == "builtin") {
        for (int c = 0; c < kFashionClasses; ++c) rows.push_back(fashion_caption("a photo of {a}", c, 0));
      } else {
        for (const std::string& s : sentences)
          if (rows.size() < 10 && std::find(rows.begin(), rows.end(), s) == rows.end()) rows.push_back(s);
      }
      dim_ = captions.text_dim;
      n_ = static_cast<int64_t>(rows.size()) * kGridColumns;
      conditions_.resize(static_cast<std::size_t>(n_ * dim_));
      for (int64_t r = 0; r < n_; ++r)
        text_features(rows[static_cast<std::size_t>(r / kGridColumns)], dim_,
                      &conditions_[static_cast<std::size_t>(r * dim_)]);
    }
  }

  void operator()(int64_t epoch) {
    SampleOptions options;
    options.seed = kGridSeed;
    const ModelCondition condition = model_condition(model_);
    if (condition.kind == ConditionKind::label) {  // the class count is known once fit has read the labels
      const int64_t classes = std::min<int64_t>(condition.dim > 0 ? condition.dim : 10, 16);
      n_ = classes * kGridColumns;
      labels_.resize(static_cast<std::size_t>(n_));
      for (int64_t r = 0; r < n_; ++r) labels_[static_cast<std::size_t>(r)] = static_cast<int32_t>(r / kGridColumns);
      options.labels = labels_.data();
    } else if (!conditions_.empty()) {
      options.conditions = conditions_.data();
      options.condition_dim = dim_;
    }
    std::vector<float> x(static_cast<std::size_t>(n_ * image_.size()));
    model_.sample(n_, options, x.data());
    write_rows(fmt::format("{}/epoch_{:03d}.png", dir_, epoch), x.data(), n_, image_.size(), image_, kGridColumns);
  }

 private:
  std::string dir_;
  const GenerativeModel& model_;
  ImageShape image_;
  int64_t n_ = 64, dim_ = 0;
  std::vector<int32_t> labels_;
  std::vector<float> conditions_;
};

}  // namespace

void add_fit_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* cmd = app.add_subcommand("fit", "fit a model on data and save it");
  cmd->add_option("kind", args->kind, "model kind (see `genmodels kinds`)")->required();
  args->data.add_to(*cmd);
  cmd->add_option("--out", args->out, "model file to write (.safetensors)")->required();
  cmd->add_option("--config", args->config, "hyper-parameters as a JSON object, e.g. '{\"order\": 2}'");
  cmd->add_option("--epochs", args->options.epochs, "passes over the data (gradient-trained kinds)")
      ->check(CLI::Range(int64_t{1}, limits::kMaxEpochs));
  cmd->add_option("--batch-size", args->options.batch_size, "mini-batch size")
      ->check(CLI::Range(int64_t{1}, limits::kMaxRows));
  cmd->add_option("--lr", args->options.learning_rate, "learning rate (0 = the kind's default)")
      ->check(CLI::NonNegativeNumber);
  add_seed_option(*cmd, args->options.seed, "random seed");
  add_threads_option(*cmd, args->options.threads);
  cmd->add_option("--validation", args->options.validation_fraction,
                  "hold out this fraction of rows and score it after every epoch")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--patience", args->options.patience,
                  "with --validation: stop after N epochs without improvement, keep the best")
      ->check(CLI::NonNegativeNumber);
  args->captions.add_to(*cmd);
  cmd->add_option("--grid-dir", args->grid_dir,
                  "after every epoch write DIR/epoch_NNN.png: samples with a fixed seed (per class or sentence for "
                  "cgan)");
  cmd->add_option("--chunk-size", args->chunk_size,
                  "bernoulli, markov: read and fit N rows at a time (idx:, npy:, fashion-mnist:), memory bounded by "
                  "the chunk; the model equals the one-shot fit")
      ->check(CLI::Range(int64_t{1}, limits::kMaxRows));
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      auto model = create_model(args->kind, parse_config(args->config));
      const bool text = model_condition(*model).kind == ConditionKind::text;
      if (!args->captions.source.empty() && !text)
        fail(Status::invalid_argument, "--captions is for cgan with {{\"condition\": \"text\"}}; this is {} {}",
             model->kind(), model->config().dump());
      if (text && args->captions.source.empty())
        fail(Status::invalid_argument,
             "cgan with \"condition\": \"text\" needs a sentence per row: give --captions "
             "builtin (Fashion-MNIST) or --captions FILE.txt");
      if (args->chunk_size > 0) {
        if (!args->grid_dir.empty()) fail(Status::invalid_argument, "--grid-dir is for kinds that train in epochs");
        fit_in_chunks(*model, args->data, args->chunk_size, args->options, args->out);
        return;
      }
      const auto load_start = std::chrono::steady_clock::now();
      const Dataset data = args->data.load();
      const std::vector<std::string> sentences = args->captions.sentences(data, args->options.seed);
      const std::vector<float> conditions =
          text ? text_features_rows(sentences, args->captions.text_dim) : std::vector<float>{};
      const double load_s = seconds_since(load_start);
      DataView view = data.view();
      if (text) {
        view.conditions = conditions.data();
        view.condition_dim = args->captions.text_dim;
      }
      validate_view(view);
      FitOptions options = args->options;
      options.progress = terminal_progress("fit");
      std::unique_ptr<EpochGrids> grids;
      if (!args->grid_dir.empty()) {
        grids = std::make_unique<EpochGrids>(args->grid_dir, *model, data, args->captions, sentences);
        options.on_epoch = [&grids](int64_t epoch) { (*grids)(epoch); };
      }
      const auto fit_start = std::chrono::steady_clock::now();
      model->fit(view, options);
      const double fit_s = seconds_since(fit_start);
      save_model_file(*model, args->out);
      fmt::print("fitted {} on {} examples of {} values in {:.3f} s (data loaded in {:.3f} s)\n", model->kind(), data.n,
                 data.d, fit_s, load_s);
      if (text)
        fmt::print("captions: {} ({} values per sentence), e.g. \"{}\"\n", args->captions.source,
                   args->captions.text_dim, sentences.empty() ? "" : sentences.front());
      if (grids) fmt::print("wrote a sample grid per epoch to {}/epoch_NNN.png\n", args->grid_dir);
      fmt::print("configuration: {}\nwrote {}\n", model->config().dump(), args->out);
    });
  });
}

}  // namespace gm::cli
