#include "common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "data/captions.hpp"
#include "data/npy.hpp"
#include "data/text_features.hpp"
#include "data/transforms.hpp"
#include "io/file.hpp"
#include "io/png_grid.hpp"

namespace gm::cli {

void DataFlags::add_to(CLI::App& cmd, bool required) {
  auto* opt = cmd.add_option("--data", spec,
                             "data: fashion-mnist:train|test, idx:IMAGES[:LABELS], images:DIR, "
                             "npy:FILE[:LABELS.npy], patches:IMAGE_OR_DIR:SIZE[:STRIDE], "
                             "builtin:bars-and-stripes[:N]");
  if (required) opt->required();
  CLI::Option* bin = cmd.add_option("--binarize", binarize, "map x >= T to 1 and the rest to 0, T in (0, 1] (e.g. 0.5)")
                         ->check(kBinarizeThreshold);
  cmd.add_option("--levels", levels,
                 "quantise values in [0, 1] to the integers 0..M-1, M in [2, 256] (level = min(M-1, floor(x*M)); 256 "
                 "keeps 8-bit pixels, 2 = --binarize 0.5); see docs/levels.md")
      ->check(CLI::Range(int64_t{2}, limits::kMaxLevels))
      ->excludes(bin);
  cmd.add_option("--max-examples", max_examples, "use only the first N examples")->check(CLI::NonNegativeNumber);
  cmd.add_option("--shape", shape,
                 "image layout of each row, C,H,W (or H,W for one channel), C*H*W = the row width; fit stores it "
                 "in the model (for PNG output and --hide)");
}

ImageShape parse_shape_flag(const std::string& text) {
  std::vector<int64_t> v;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, comma - start);
    // Digits only (no sign, no spaces), at most 9 of them: the product stays far from overflow.
    const bool digits = !part.empty() && part.size() <= 9 && part.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoll(part) < 1)
      fail(Status::invalid_argument,
           "--shape {}: give positive integers below 10^9, C,H,W (or H,W), e.g. --shape 1,28,28", text);
    v.push_back(std::stoll(part));
    start = comma + 1;
  }
  if (v.size() == 2) return ImageShape{1, v[0], v[1]};
  if (v.size() == 3) return ImageShape{v[0], v[1], v[2]};
  fail(Status::invalid_argument, "--shape {}: give three numbers C,H,W (or two, H,W), e.g. --shape 1,28,28", text);
}

Dataset DataFlags::load() const {
  const ImageShape layout = shape.empty() ? ImageShape{} : parse_shape_flag(shape);  // before a slow load
  Dataset data = load_dataset(spec);
  if (layout.is_image()) {
    if (layout.size() != data.d)
      fail(Status::invalid_argument, "--shape {} holds {} values but the rows of {} have d = {}: C*H*W must equal d",
           shape, layout.size(), spec, data.d);
    const ImageShape& own = data.image;
    if (own.is_image() && (own.channels != layout.channels || own.height != layout.height || own.width != layout.width))
      fail(Status::invalid_argument, "--shape {} contradicts the layout {} has already, {}x{}x{}: drop --shape", shape,
           spec, own.channels, own.height, own.width);
    data.image = layout;
  }
  if (max_examples > 0 && max_examples < data.n) data.truncate(max_examples);
  if (binarize >= 0) gm::binarize(data, binarize);
  if (levels > 0) quantize(data, levels);
  return data;
}

// Up to max_lines lines of a text file (without their line ends).
static std::vector<std::string> read_lines(const std::string& path, const char* flag, int64_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Status::io_error, "{} {}: cannot open the file", flag, path);
  std::vector<std::string> lines;
  std::string line;
  while (static_cast<int64_t>(lines.size()) < max_lines && std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void CaptionFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--captions", source,
                 "sentences for cgan with \"condition\": \"text\": builtin (Fashion-MNIST captions drawn from the "
                 "labels) or FILE.txt (one sentence per row)");
  cmd.add_option("--text-dim", text_dim, "width of the hashed sentence vectors (default 1024)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
}

std::vector<std::string> CaptionFlags::sentences(const Dataset& data, uint64_t seed) const {
  if (source.empty()) return {};
  if (source == "builtin") {
    if (data.labels.empty())
      fail(Status::invalid_data,
           "--captions builtin writes Fashion-MNIST captions from the labels, but this data has "
           "no labels (use fashion-mnist:train, or --captions FILE.txt)");
    if (data.num_classes > kFashionClasses)
      fail(Status::invalid_data,
           "--captions builtin knows Fashion-MNIST's {} classes; this data has {} (give "
           "--captions FILE.txt instead)",
           kFashionClasses, data.num_classes);
    return fashion_train_captions(data.labels.data(), data.n, seed);
  }
  const std::vector<std::string> lines = read_lines(source, "--captions", data.n);
  if (static_cast<int64_t>(lines.size()) < data.n)
    fail(Status::invalid_data, "--captions {} has {} lines but the data has {} rows: give one sentence per row", source,
         lines.size(), data.n);
  return lines;
}

void ConditionFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--label", label, "cgan (labels): every row of this class")->check(CLI::NonNegativeNumber);
  cmd.add_option("--labels", labels, "cgan (labels): one class per row, e.g. 0,1,2")->delimiter(',');
  cmd.add_option("--text", text, "cgan (text): every row of this sentence, e.g. \"a pair of trousers\"");
  cmd.add_option("--texts", texts_file, "cgan (text): FILE.txt with one sentence per row");
}

int64_t ConditionFlags::rows() const {
  if (!labels.empty()) return static_cast<int64_t>(labels.size());
  if (!texts_file.empty()) {
    if (sentences_.empty()) sentences_ = read_lines(texts_file, "--texts", int64_t{1} << 24);
    return static_cast<int64_t>(sentences_.size());
  }
  return 0;
}

void ConditionFlags::apply(const GenerativeModel& model, int64_t n, SampleOptions& options) {
  const ModelCondition condition = model_condition(model);
  const ConditionKind kind = condition.kind;
  if (!given()) {
    if (kind == ConditionKind::text || kind == ConditionKind::vector)
      fail(Status::invalid_argument, "this {} model is conditioned on {}: give --text SENTENCE", model.kind(),
           kind == ConditionKind::text ? "sentences" : "vectors (not available from the command line)");
    return;
  }
  if (kind == ConditionKind::none)
    fail(Status::invalid_argument, "--label, --labels and --text are for conditional models; this {} model is not one",
         model.kind());
  if ((label >= 0) + !labels.empty() + !text.empty() + !texts_file.empty() > 1)
    fail(Status::invalid_argument, "give only one of --label, --labels, --text and --texts");
  if (kind == ConditionKind::label) {
    if (!text.empty() || !texts_file.empty())
      fail(Status::invalid_argument, "this {} model is conditioned on class labels: use --label K or --labels a,b,c",
           model.kind());
    if (!labels.empty() && static_cast<int64_t>(labels.size()) != n)
      fail(Status::invalid_argument, "--labels gives {} labels for {} rows: give one per row", labels.size(), n);
    row_labels_ =
        labels.empty() ? std::vector<int32_t>(static_cast<std::size_t>(n), static_cast<int32_t>(label)) : labels;
    options.labels = row_labels_.data();
    return;
  }
  if (kind != ConditionKind::text)
    fail(Status::invalid_argument,
         "this {} model is conditioned on vectors, which the command line cannot give; "
         "use the C API (gm_sample_options.conditions)",
         model.kind());
  if (text.empty() && texts_file.empty())
    fail(Status::invalid_argument, "this {} model is conditioned on sentences: use --text SENTENCE or --texts FILE",
         model.kind());
  const int64_t dim = condition.dim;
  if (dim < 1) fail(Status::corrupt_file, "this {} model has no fitted \"condition_dim\"", model.kind());
  if (!texts_file.empty() && rows() != n)
    fail(Status::invalid_argument, "--texts {} has {} sentences for {} rows: give one per row", texts_file, rows(), n);
  const TextFeatures version = parse_text_features(condition.text_features);
  note_dropped_words(texts_file.empty() ? std::vector<std::string>{text} : sentences_, version, dim,
                     "shorter sentences (the model was fitted with this width)");
  row_conditions_.resize(static_cast<std::size_t>(n * dim));
  for (int64_t r = 0; r < n; ++r)
    text_features(texts_file.empty() ? text : sentences_[static_cast<std::size_t>(r)], version, dim,
                  &row_conditions_[static_cast<std::size_t>(r * dim)]);
  options.conditions = row_conditions_.data();
  options.condition_dim = dim;
}

void note_dropped_words(const std::vector<std::string>& sentences, TextFeatures version, int64_t dim,
                        const char* remedy) {
  int64_t over = 0;
  std::size_t first = 0;
  for (std::size_t i = 0; i < sentences.size(); ++i)
    if (text_tokens_dropped(sentences[i], version, dim) > 0 && over++ == 0) first = i;
  if (over == 0) return;
  const int64_t words = dim / kTextSlotEntries;
  std::fprintf(stderr,
               "genmodels: note: %lld of %zu sentences have more than %lld words (e.g. \"%.60s\"); "
               "subword-ids-v3 with a condition width of %lld reads the first %lld, the others are ignored; "
               "what to do: %s\n",
               static_cast<long long>(over), sentences.size(), static_cast<long long>(words), sentences[first].c_str(),
               static_cast<long long>(dim), static_cast<long long>(words), remedy);
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void write_npy_file(const std::string& path, const float* x, const std::vector<int64_t>& shape) {
  const std::vector<uint8_t> bytes = encode_npy_f32(x, shape);
  write_file_atomic(path, bytes.data(), bytes.size());
}

void require_output(const std::string& path, int64_t d, const ImageShape& image) {
  if (ends_with(path, ".npy")) return;
  if (!ends_with(path, ".png")) fail(Status::invalid_argument, "{}: output must end in .png or .npy", path);
  if (!image.is_image())
    fail(Status::invalid_argument,
         "{}: rows of d = {} values without an image layout cannot be drawn; write .npy instead, or give the model "
         "a layout: fit it again with --shape C,H,W (C*H*W = {})",
         path, d, d);
}

void write_rows(const std::string& path, const float* x, int64_t n, int64_t d, const ImageShape& image, int64_t columns,
                int64_t levels) {
  require_output(path, d, image);
  if (ends_with(path, ".png"))
    write_png_grid(path, x, n, image, columns, levels);
  else if (image.is_image())
    write_npy_file(path, x, {n, image.channels, image.height, image.width});
  else
    write_npy_file(path, x, {n, d});
}

ProgressFn terminal_progress(const std::string& label) {
  if (!isatty(STDERR_FILENO)) return {};
  return [label](int64_t step, int64_t total, double loss) {
    const int width = 30;
    const int filled = total > 0 ? static_cast<int>(width * step / total) : width;
    fmt::print(stderr, "\r{} [{}{}] {}/{} loss {:.4f}", label, std::string(filled, '#'),
               std::string(width - filled, '.'), step, total, loss);
    if (step >= total) fmt::print(stderr, "\n");
    std::fflush(stderr);
    return false;
  };
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* cmd = &app;
  for (const CLI::App* sub : app.get_subcommands()) cmd = sub;  // the command the error is about
  const std::string help = cmd == &app ? "genmodels --help" : "genmodels " + cmd->get_name() + " --help";
  fmt::print(stderr, "genmodels: error: {}\nusage: {}\n", e.what(), help);
  return kUsageExit;
}

const CLI::Validator kBinarizeThreshold(
    [](std::string& text) -> std::string {
      double t = 0;
      if (!CLI::detail::lexical_cast(text, t) || !std::isfinite(t) || !(t > 0 && t <= 1))
        return "the threshold must be a number T in (0, 1] (x >= T becomes 1), got " + text;
      return {};
    },
    "T in (0, 1]");

CLI::Option* add_seed_option(CLI::App& cmd, uint64_t& seed, const std::string& doc) {
  return cmd.add_option("--seed", seed, doc)
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
              return "a seed is an integer in [0, 2^64), written without a sign, got " + text;
            return {};
          },
          "UINT64"));
}

CLI::Option* add_threads_option(CLI::App& cmd, int& threads) {
  return cmd.add_option("--threads", threads, "threads (0 = all cores)")->check(CLI::Range(0, limits::max_threads()));
}

int run_command(const std::function<void()>& body) {
  try {
    body();
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "genmodels: error: {}\n", e.what());
    return static_cast<int>(e.status());
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "genmodels: error: out of memory\n");
    return static_cast<int>(Status::out_of_memory);
  } catch (const std::exception& e) {
    fmt::print(stderr, "genmodels: internal error: {}\n", e.what());
    return static_cast<int>(Status::internal);
  }
}

}  // namespace gm::cli
