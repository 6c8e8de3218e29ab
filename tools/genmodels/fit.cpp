#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/distributed.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/captions.hpp"
#include "data/idx.hpp"
#include "data/npy.hpp"
#include "data/row_stream.hpp"
#include "data/text_features.hpp"
#include "epoch_log.hpp"
#include "fit_chunks.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"
#include "nn/trainer.hpp"

namespace gm::cli {

namespace {
struct FitArgs {
  std::string kind, out, config = "{}", grid_dir, resume, checkpoint;
  int64_t checkpoint_every = 0;
  bool quiet = false, json = false;
  DataFlags data;
  std::string data_b;                // --data-b: cyclegan's domain b (--data is domain a)
  std::vector<std::string> domains;  // --domains: one spec per domain (stargan)
  CaptionFlags captions;
  FitOptions options;
  int64_t chunk_size = 0;        // --chunk-size: stream the data through a counting kind (fit_chunks.hpp)
  bool distributed = false;      // --distributed: one rank of an `mpirun -np N genmodels fit ...`
  bool sync_batch_norm = false;  // --sync-batch-norm
  bool shard = false;            // --shard: this rank reads only its stripes of the file
  int fail_rank = -1;            // --fail-rank-for-test: that rank fails after its second step (tests/mpi)
};

// --data-b and --domains: one data set per domain, read with the same flags (--shape,
// --max-examples per domain, --binarize, --levels) and concatenated with each row's domain
// index as its label, the view a translating kind fits on (docs/gan.md, "Translation").
Dataset load_domains(const DataFlags& flags, const std::vector<std::string>& specs) {
  Dataset all;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    DataFlags one = flags;
    one.spec = specs[k];
    Dataset d = one.load();
    if (k == 0) {
      all.d = d.d;
      all.image = d.image;
      all.levels = d.levels;
    } else if (d.d != all.d || d.image.channels != all.image.channels || d.image.height != all.image.height ||
               d.image.width != all.image.width) {
      auto layout = [](const Dataset& s) {
        return s.image.is_image()
                   ? fmt::format("{} values, {}x{}x{}", s.d, s.image.channels, s.image.height, s.image.width)
                   : fmt::format("{} values, no image layout", s.d);
      };
      fail(Status::invalid_argument,
           "domain {} ({}) has rows of {}, domain 0 ({}) of {}: the domains must share one image layout (--shape "
           "applies to every domain)",
           k, specs[k], layout(d), specs[0], layout(all));
    }
    all.x.insert(all.x.end(), d.x.begin(), d.x.end());
    all.labels.insert(all.labels.end(), static_cast<std::size_t>(d.n), static_cast<int32_t>(k));
    all.n += d.n;
    all.class_names.push_back(specs[k]);
  }
  all.num_classes = static_cast<int64_t>(specs.size());
  return all;
}

// The fit's data: --data, or the domains --data-b / --domains list.
Dataset load_fit_data(const FitArgs& args, const GenerativeModel& model) {
  const bool translating = (model.capabilities() & cap_translate) != 0;
  if ((!args.data_b.empty() || !args.domains.empty()) && !translating)
    fail(Status::invalid_argument, "--{} lists the domains of a translating kind (cyclegan, stargan); this is {}",
         args.data_b.empty() ? "domains" : "data-b", model.kind());
  if (!args.data_b.empty()) {
    if (args.data.spec.empty()) fail(Status::invalid_argument, "--data-b needs --data: --data is domain a, --data-b b");
    return load_domains(args.data, {args.data.spec, args.data_b});
  }
  if (!args.domains.empty()) {
    if (!args.data.spec.empty())
      fail(Status::invalid_argument, "give the domains either as --domains A,B,... or as --data with labels, not both");
    if (args.domains.size() < 2) fail(Status::invalid_argument, "--domains needs at least two data sets");
    return load_domains(args.data, args.domains);
  }
  if (args.data.spec.empty()) fail(Status::invalid_argument, "--data is required (the data to fit)");
  return args.data.load();
}

// --shard (docs/distributed.md, "Sharded reading"): this rank's rows of an idx:, npy: or
// fashion-mnist: file — the rows t with t mod B in its slots (FitOptions::sharded) — read a
// chunk at a time, so the rank holds about N / P rows. Labels (N small integers) are read
// whole, checked as load_dataset checks them, and kept for the rank's rows.
// total: set to the file's row count.
Dataset load_shard(const DataFlags& flags, int64_t batch_size, const dist::Communicator& comm, int64_t& total) {
  if (!RowStream::supports(flags.spec))
    fail(Status::invalid_argument,
         "--shard reads idx:, npy: and fashion-mnist: files a rank's rows at a time; {} is "
         "none of them (drop --shard: every rank then loads the whole data)",
         flags.spec);
  if (flags.max_examples > 0)
    fail(Status::invalid_argument, "--shard reads every row of the file: drop --max-examples");
  RowStream stream(flags.spec, flags.binarize, flags.levels);
  const int64_t N = stream.rows(), d = stream.d();
  total = N;
  if (N < 1) fail(Status::invalid_data, "{} holds no rows", flags.spec);
  const int64_t B = std::min(batch_size, N);
  const dist::Slice mine = dist::slice_of(B, comm.rank(), comm.size());
  std::vector<int64_t> slots;
  for (int64_t s = mine.begin; s < mine.end; ++s) slots.push_back(s);
  const nn::StripedOrder stripes(N, B, slots);
  Dataset out;
  out.d = d;
  out.image = stream.image();
  out.levels = flags.levels > 0 ? flags.levels : flags.binarize >= 0 ? 2 : 0;
  out.n = stripes.local_rows();
  out.x.resize(static_cast<std::size_t>(out.n * d));
  // Labels: the whole file's, then the rank's rows.
  std::string labels_path;
  bool fashion = false;
  if (flags.spec.rfind("fashion-mnist:", 0) == 0) {
    labels_path = fashion_mnist_files(flags.spec == "fashion-mnist:train").labels;
    fashion = true;
  } else {
    labels_path = spec_files(flags.spec).second;
  }
  std::vector<int32_t> all_labels;
  if (!labels_path.empty()) {
    const bool npy = flags.spec.rfind("npy:", 0) == 0;
    Dataset labels = npy ? load_npy_labels(labels_path, N, flags.spec) : load_idx_labels(labels_path, N, flags.spec);
    all_labels = std::move(labels.labels);
    out.num_classes = fashion ? 10 : labels.num_classes;
    if (fashion)
      out.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    out.labels.reserve(static_cast<std::size_t>(out.n));
  }
  Dataset chunk;
  int64_t kept = 0;
  for (;;) {
    const int64_t first = stream.position();
    const int64_t got = stream.next(4096, chunk);
    if (got == 0) break;
    for (int64_t i = 0; i < got; ++i) {
      const int64_t t = first + i;
      if (!stripes.owns(t)) continue;
      std::copy(chunk.x.begin() + i * d, chunk.x.begin() + (i + 1) * d, out.x.begin() + kept * d);
      if (!all_labels.empty()) out.labels.push_back(all_labels[static_cast<std::size_t>(t)]);
      ++kept;
    }
  }
  if (kept != out.n) fail(Status::internal, "--shard kept {} rows of {}, its stripes hold {}", kept, N, out.n);
  if (!flags.shape.empty()) {
    const ImageShape layout = parse_shape_flag(flags.shape);
    if (layout.size() != d)
      fail(Status::invalid_argument, "--shape {} holds {} values but the rows of {} have d = {}: C*H*W must equal d",
           flags.shape, layout.size(), flags.spec, d);
    if (!out.image.is_image()) out.image = layout;
  }
  return out;
}

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
      const TextFeatures version = parse_text_features(model_condition(model).text_features);
      for (int64_t r = 0; r < n_; ++r)
        text_features(rows[static_cast<std::size_t>(r / kGridColumns)], version, dim_,
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
    write_rows(fmt::format("{}/epoch_{:03d}.png", dir_, epoch), x.data(), n_, image_.size(), image_, kGridColumns,
               model_.levels());
  }

 private:
  std::string dir_;
  const GenerativeModel& model_;
  ImageShape image_;
  int64_t n_ = 64, dim_ = 0;
  std::vector<int32_t> labels_;
  std::vector<float> conditions_;
};

// "out/model.safetensors" -> "out/model.ckpt.safetensors".
std::string checkpoint_path(const FitArgs& args) {
  if (!args.checkpoint.empty()) return args.checkpoint;
  if (!args.resume.empty()) return args.resume;
  const std::filesystem::path out(args.out);
  return (out.parent_path() / (out.stem().string() + ".ckpt" + out.extension().string())).string();
}

// --resume FILE: the model and its training state from the file; the options the user did
// not give are the run's own, and --epochs defaults to what the run had left.
std::unique_ptr<GenerativeModel> resumed_model(FitArgs& args, const CLI::App& cmd) {
  std::unique_ptr<GenerativeModel> model = load_model_file(args.resume);
  if (!args.kind.empty() && args.kind != model->kind())
    fail(Status::invalid_argument, "--resume {} holds a {} model, not {}: drop the kind or resume the right file",
         args.resume, model->kind(), args.kind);
  if (cmd.count("--config") > 0)
    fail(Status::invalid_argument, "--resume takes the configuration from {}: drop --config", args.resume);
  FitOptions& o = args.options;
  o.warm_start = true;
  const nn::TrainingState* st = model->training_state();
  if (!model->trains_in_epochs())
    fail(Status::invalid_argument,
         "{} holds a {} model, which fits by counting: to add rows, fit them with --chunk-size on one stream, or refit",
         args.resume, model->kind());
  if (st == nullptr) {
    if (cmd.count("--epochs") == 0)
      fail(Status::invalid_argument,
           "{} is a plain model file, without training state: give --epochs N to train N more epochs from its "
           "parameters (with a fresh optimiser), or resume a checkpoint (fit --checkpoint-every)",
           args.resume);
    return model;
  }
  if (cmd.count("--seed") == 0) o.seed = st->seed;
  if (cmd.count("--batch-size") == 0) o.batch_size = st->batch_size;
  if (cmd.count("--lr") == 0) o.learning_rate = st->learning_rate;
  if (cmd.count("--validation") == 0) o.validation_fraction = st->validation_fraction;
  if (cmd.count("--patience") == 0) o.patience = st->patience;
  if (cmd.count("--epochs") == 0) {
    o.epochs = st->epochs_planned - st->epochs_done;
    if (o.epochs < 1)
      fail(Status::invalid_argument,
           "the run in {} is complete (epoch {} of {}): give --epochs N to train N more epochs", args.resume,
           st->epochs_done, st->epochs_planned);
  }
  return model;
}

// fit --json: one line a script can parse.
void print_json_summary(const GenerativeModel& model, const EpochLog& log, const FitOptions& options, double seconds,
                        const std::string& out) {
  const nn::EpochReport& r = log.last();
  auto number = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  Json j{{"kind", model.kind()},
         {"config", model.config()},
         {"epochs_run", log.epochs_run()},
         {"epoch", r.epoch},
         {"best_epoch", r.best_epoch},
         {"stopped_early", r.stopping},
         {"train_loss", number(r.train_loss)},
         {"validation_loss", number(r.validation_loss)},
         {"seconds", seconds},
         {"images_per_second", log.images_per_second()},
         {"log_seconds", log.log_seconds()},
         {"out", out}};
  if (!std::isnan(r.discriminator_loss)) {
    j["discriminator_loss"] = number(r.discriminator_loss);
    j["generator_loss"] = number(r.generator_loss);
  }
  if (options.checkpoint_every > 0) j["checkpoint"] = options.checkpoint_path;
  fmt::print("{}\n", j.dump());
}

void fit_command(FitArgs& a, const CLI::App& cmd, const std::shared_ptr<dist::Communicator>& comm) {
  FitArgs* args = &a;
  const bool root = !comm || comm->rank() == 0;  // prints and writes files
  {
    {
      std::unique_ptr<GenerativeModel> model;
      if (!args->resume.empty()) {
        model = resumed_model(*args, cmd);
      } else {
        model = create_model(args->kind, parse_config(args->config));
      }
      const bool text = model_condition(*model).kind == ConditionKind::text;
      if (!args->captions.source.empty() && !text)
        fail(Status::invalid_argument, "--captions is for cgan with {{\"condition\": \"text\"}}; this is {} {}",
             model->kind(), model->config().dump());
      if (text && args->captions.source.empty())
        fail(Status::invalid_argument,
             "cgan with \"condition\": \"text\" needs a sentence per row: give --captions "
             "builtin (Fashion-MNIST) or --captions FILE.txt");
      if (args->chunk_size > 0) {
        if (comm)
          fail(Status::invalid_argument, "--chunk-size streams one file through one process: drop --distributed");
        if (!args->grid_dir.empty()) fail(Status::invalid_argument, "--grid-dir is for kinds that train in epochs");
        fit_in_chunks(*model, args->data, args->chunk_size, args->options, args->out);
        return;
      }
      const auto load_start = std::chrono::steady_clock::now();
      if (args->shard && !comm) fail(Status::invalid_argument, "--shard is for --distributed fits");
      if (args->shard && (!args->data_b.empty() || !args->domains.empty()))
        fail(Status::invalid_argument, "--shard reads one --data file: not --data-b or --domains");
      int64_t shard_total = 0;  // --shard: the rows of the whole file
      const Dataset data = args->shard ? load_shard(args->data, args->options.batch_size, *comm, shard_total)
                                       : load_fit_data(*args, *model);
      const std::vector<std::string> sentences = args->captions.sentences(data, args->options.seed);
      if (text)
        note_dropped_words(sentences, parse_text_features(model_condition(*model).text_features),
                           args->captions.text_dim, "a larger --text-dim (32 per word)");
      const std::vector<float> conditions =
          text ? text_features_rows(sentences, parse_text_features(model_condition(*model).text_features),
                                    args->captions.text_dim)
               : std::vector<float>{};
      const double load_s = seconds_since(load_start);
      DataView view = data.view();
      if (text) {
        view.conditions = conditions.data();
        view.condition_dim = args->captions.text_dim;
      }
      validate_view(view);
      FitOptions options = args->options;
      options.comm = comm;
      if (args->sync_batch_norm && !comm) fail(Status::invalid_argument, "--sync-batch-norm is for --distributed fits");
      options.sync_batch_norm = args->sync_batch_norm;
      options.sharded = args->shard;
      if (args->checkpoint_every > 0) {
        options.checkpoint_every = args->checkpoint_every;
        options.checkpoint_path = checkpoint_path(*args);
      }
      const std::shared_ptr<EpochLog> log = attach_epoch_log(options, "fit", args->quiet || args->json || !root,
                                                             (model->capabilities() & cap_log_prob) != 0);
      if (comm && args->fail_rank == comm->rank()) {  // tests/mpi: this rank fails between two steps
        const ProgressFn progress = options.progress;
        options.progress = [progress](int64_t step, int64_t total, double loss) {
          if (step == 2) fail(Status::io_error, "a failure injected by --fail-rank-for-test after step 2");
          return progress && progress(step, total, loss);
        };
      }
      std::unique_ptr<EpochGrids> grids;
      if (!args->grid_dir.empty() && root) {
        grids = std::make_unique<EpochGrids>(args->grid_dir, *model, data, args->captions, sentences);
        options.on_epoch = [&grids](int64_t epoch) { (*grids)(epoch); };
      }
      const auto fit_start = std::chrono::steady_clock::now();
      model->fit(view, options);
      const double fit_s = seconds_since(fit_start);
      if (!root) return;
      save_model_file(*model, args->out);
      if (args->json) {
        print_json_summary(*model, *log, options, fit_s, args->out);
        return;
      }
      fmt::print("fitted {} on {} examples of {} values in {:.3f} s (data loaded in {:.3f} s)\n", model->kind(),
                 args->shard ? shard_total : data.n, data.d, fit_s, load_s);
      if (args->shard) fmt::print("sharded: rank 0 held {} of the {} rows\n", data.n, shard_total);
      if (options.checkpoint_every > 0) fmt::print("checkpoint: {}\n", options.checkpoint_path);
      if (text)
        fmt::print("captions: {} ({} values per sentence), e.g. \"{}\"\n", args->captions.source,
                   args->captions.text_dim, sentences.empty() ? "" : sentences.front());
      if (grids) fmt::print("wrote a sample grid per epoch to {}/epoch_NNN.png\n", args->grid_dir);
      fmt::print("configuration: {}\nwrote {}\n", model->config().dump(), args->out);
    }
  }
}

}  // namespace

void add_fit_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* cmd = app.add_subcommand("fit", "fit a model on data and save it");
  cmd->add_option("kind", args->kind, "model kind (see `genmodels kinds`); with --resume, taken from the file");
  args->data.add_to(*cmd, /*required*/ false);
  cmd->add_option("--data-b", args->data_b,
                  "cyclegan: the images of domain b (--data holds domain a); the two sets are unpaired");
  cmd->add_option("--domains", args->domains,
                  "stargan: one data SPEC per domain, comma-separated (instead of --data with labels)")
      ->delimiter(',');
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
  cmd->add_option("--resume", args->resume,
                  "continue the fit a checkpoint (or a model file) holds: to the epoch the original run planned, or "
                  "--epochs N more; options not given are the run's own");
  cmd->add_option("--checkpoint-every", args->checkpoint_every,
                  "write a checkpoint every N epochs and after the last (gradient-trained kinds)")
      ->check(CLI::Range(int64_t{1}, limits::kMaxEpochs));
  cmd->add_option("--checkpoint", args->checkpoint,
                  "the checkpoint file (default: the --resume file, else OUT with .ckpt before its extension)");
  cmd->add_flag("--shard", args->shard,
                "with --distributed: each rank reads only its rows of an idx:, npy: or fashion-mnist: file (about N / "
                "ranks), and the batches follow the striped order, the same on any number of ranks "
                "(docs/distributed.md, \"Sharded reading\")");
  cmd->add_flag("--distributed", args->distributed,
                "data-parallel fit over MPI: run as `mpirun -np N genmodels fit ... --distributed`; rank 0 prints "
                "and writes the files (docs/distributed.md)");
  cmd->add_flag("--sync-batch-norm", args->sync_batch_norm,
                "with --distributed: batch-norm statistics over the whole global batch (every rank's rows), as on one "
                "process; default: each rank's own rows");
  cmd->add_option("--fail-rank-for-test", args->fail_rank, "tests only: this rank fails after its second step")
      ->group("");
  cmd->add_flag("--quiet", args->quiet, "no per-epoch log");
  cmd->add_flag("--json", args->json, "print one JSON line with the run's figures instead of the summary");
  cmd->callback([args, cmd, &exit_code] {
    if (args->kind.empty() && args->resume.empty()) throw CLI::RequiredError("a model kind (or --resume FILE)");
    if (args->data.spec.empty() && args->domains.empty()) throw CLI::RequiredError("--data (or --domains)");
    exit_code = run_command([&] {
      std::shared_ptr<dist::Communicator> comm;
      if (args->distributed) comm = dist::Communicator::world();
      try {
        fit_command(*args, *cmd, comm);
      } catch (const Error& e) {
        if (!comm || comm->size() == 1) throw;
        throw Error(e.status(), fmt::format("rank {} of {}: {}", comm->rank(), comm->size(), e.what()));
      }
    });
  });
}

}  // namespace gm::cli
