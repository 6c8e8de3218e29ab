// `genmodels eval`: the feature Fréchet distance (FID with a Fashion-MNIST classifier's
// 128-d features, lib/eval) between a model's samples — or images from an .npy — and a
// reference set; for a label-conditional model also whether the samples show the class
// they were asked for, and k-NN precision / recall / density / coverage (eval/knn_metrics.hpp). The maths
// and the measured figures are in docs/eval.md.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "data/npy.hpp"
#include "eval/knn_metrics.hpp"
#include "eval/frechet.hpp"
#include "eval_support.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {

constexpr int64_t kPixels = eval::FeatureClassifier::kPixels, kClasses = eval::FeatureClassifier::kClasses;

struct EvalArgs {
  std::string model, images, reference = "fashion-mnist:test", classifier;
  int64_t n = 10000;
  uint64_t seed = 0;
  int threads = 0;
  bool json = false;
};

// float32/float64 in [0, 1] or uint8 0..255, shaped (N, 784), (N, 28, 28) or (N, 1, 28, 28).
std::vector<float> read_images(const std::string& path, int64_t& n) {
  const NpyArray a = read_npy(path);
  const std::vector<int64_t>& s = a.shape;
  const bool ok = (s.size() == 2 && s[1] == kPixels) || (s.size() == 3 && s[1] == 28 && s[2] == 28) ||
                  (s.size() == 4 && s[1] == 1 && s[2] == 28 && s[3] == 28);
  if (!ok || s[0] < 2)
    fail(Status::invalid_data, "{}: expected at least 2 images shaped (N, 784), (N, 28, 28) or (N, 1, 28, 28), got {} "
         "dimensions", path, s.size());
  if (a.type != NpyType::f4 && a.type != NpyType::f8 && a.type != NpyType::u1)
    fail(Status::unsupported, "{}: images must be float32 in [0, 1] or uint8 0..255 (x.astype(np.float32) / 255)", path);
  n = s[0];
  std::vector<float> x = npy_to_float(a);
  if (a.type == NpyType::u1)
    for (float& v : x) v /= 255.0f;
  eval::require_unit_images(x.data(), n, path);
  return x;
}

// The model's DataShape must be a 28×28 grey image (or 784 plain values).
void require_fashion_shape(const GenerativeModel& model, const std::string& path) {
  const DataShape& s = model.data_shape();
  const bool grey28 = !s.image.is_image() || (s.image.channels == 1 && s.image.height == 28 && s.image.width == 28);
  if (s.d != kPixels || !grey28)
    fail(Status::unsupported,
         "{}: eval compares 28×28 grey images (the feature classifier is trained on Fashion-MNIST), but this {} model "
         "makes rows of {} values{}; fit it on 28×28 grey data, or score explicit models with log-prob", path,
         model.kind(), s.d,
         s.image.is_image() ? fmt::format(" ({}×{}×{})", s.image.channels, s.image.height, s.image.width) : "");
}

// Label-conditional models get n/10 samples of each class; other kinds of condition
// (vectors, sentences) cannot be chosen from a class label.
bool label_conditional(const GenerativeModel& model, const std::string& path) {
  if ((model.capabilities() & cap_conditional) == 0) return false;
  const Json& cfg = model.config();
  if (cfg.contains("condition") && cfg["condition"] != "label")
    fail(Status::unsupported, "{}: this {} model is conditioned on {}, not on class labels: eval can only ask for "
         "Fashion-MNIST classes", path, model.kind(), cfg["condition"].dump());
  if (cfg.contains("classes") && cfg["classes"].is_number_integer() && cfg["classes"].get<int64_t>() != kClasses)
    fail(Status::unsupported, "{}: this model has {} classes, the feature classifier knows Fashion-MNIST's {}", path,
         cfg["classes"].get<int64_t>(), kClasses);
  return true;
}

// Model samples outside [0, 1] (e.g. a Gaussian decoder's means) are clipped, and counted.
int64_t clip_unit(std::vector<float>& x) {
  int64_t clipped = 0;
  for (float& v : x) {
    if (v < 0.0f || v > 1.0f) ++clipped;
    v = std::clamp(v, 0.0f, 1.0f);
  }
  return clipped;
}

void run_eval(const EvalArgs& a) {
  if (a.model.empty() == a.images.empty())
    fail(Status::invalid_argument, "eval needs exactly one of MODEL (a model file to sample) or --images FILE.npy");
  const auto start = std::chrono::steady_clock::now();
  Dataset ref = load_grey_images(a.reference, "--reference", false);
  int64_t n = std::min(a.n, ref.n);
  std::vector<float> x;
  std::vector<int32_t> asked;  // requested labels (label-conditional models)
  std::string source;
  if (!a.images.empty()) {
    int64_t rows = 0;
    x = read_images(a.images, rows);
    n = std::min(n, rows);
    x.resize(static_cast<std::size_t>(n * kPixels));
    source = a.images;
  } else {
    const auto model = load_model_file(a.model);
    require_fashion_shape(*model, a.model);
    model->require_capability(cap_sample, "eval");
    SampleOptions options;
    options.seed = a.seed;
    options.threads = a.threads;
    if (label_conditional(*model, a.model)) {
      asked.resize(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) asked[i] = static_cast<int32_t>(i * kClasses / n);  // n/10 of each, in blocks
      options.labels = asked.data();
    }
    x.resize(static_cast<std::size_t>(n * kPixels));
    model->sample(n, options, x.data());
    if (const int64_t clipped = clip_unit(x); clipped > 0)
      fmt::print(stderr, "genmodels: note: clipped {} sample values ({:.3f}%) to [0, 1]\n", clipped,
                 100.0 * clipped / static_cast<double>(x.size()));
    source = fmt::format("{} ({})", a.model, model->kind());
  }
  if (n < 2) fail(Status::invalid_data, "eval needs at least 2 images on each side, got {}", n);
  ref.truncate(n);

  const eval::FeatureClassifier classifier = classifier_for_eval(a.classifier, a.threads);
  const int64_t F = eval::FeatureClassifier::kFeatures;
  std::vector<float> fx(static_cast<std::size_t>(n * F)), fr(static_cast<std::size_t>(n * F));
  std::vector<float> logits(static_cast<std::size_t>(n * kClasses));
  classifier.run(x.data(), n, fx.data(), logits.data(), a.threads);
  classifier.features(ref.x.data(), n, fr.data(), a.threads);
  const double fd = eval::frechet_distance(fx.data(), n, fr.data(), n, F);
  const int64_t k = 3;  // Kynkäänniemi et al.'s choice; needs more than k images a side
  const eval::KnnMetrics pr =
      n > k ? eval::knn_metrics(fr.data(), n, fx.data(), n, F, k, a.threads) : eval::KnnMetrics{-1, -1, -1, -1};

  // What the classifier sees in the samples: the share of each class (a collapsed
  // generator puts most of its mass on few classes) and, when classes were asked for, how
  // often it agrees.
  std::vector<int64_t> predicted(kClasses, 0), asked_count(kClasses, 0), right_count(kClasses, 0);
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* l = logits.data() + i * kClasses;
    const int32_t p = static_cast<int32_t>(std::max_element(l, l + kClasses) - l);
    ++predicted[p];
    if (!asked.empty()) {
      ++asked_count[asked[i]];
      if (p == asked[i]) {
        ++right;
        ++right_count[p];
      }
    }
  }
  std::vector<double> share(kClasses, 0.0), per_class(kClasses, 0.0);
  for (int64_t c = 0; c < kClasses; ++c) {
    share[c] = static_cast<double>(predicted[c]) / static_cast<double>(n);
    if (asked_count[c] > 0) per_class[c] = static_cast<double>(right_count[c]) / static_cast<double>(asked_count[c]);
  }
  const double seconds = seconds_since(start);

  if (a.json) {
    Json j = {{"frechet_distance", fd}, {"n", n}, {"precision", pr.precision}, {"recall", pr.recall},
              {"density", pr.density}, {"coverage", pr.coverage}, {"reference", a.reference},
              {"class_shares", share}, {"seconds", seconds}};
    j[a.images.empty() ? "model" : "images"] = a.images.empty() ? a.model : a.images;
    if (!asked.empty()) {
      j["classifier_accuracy"] = static_cast<double>(right) / n;
      j["per_class_accuracy"] = per_class;
    }
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("Fréchet distance {:.4f} (classifier features, {} images of {} vs the first {} of {}; {:.1f} s)\n", fd,
             n, source, n, a.reference, seconds);
  fmt::print("precision {:.4f}, recall {:.4f}, density {:.4f}, coverage {:.4f} (k = {} nearest-neighbour balls in "
             "feature space)\n", pr.precision, pr.recall, pr.density, pr.coverage, k);
  fmt::print("predicted class shares:");
  for (double s : share) fmt::print(" {:.3f}", s);
  fmt::print("\n");
  if (!asked.empty()) {
    fmt::print("classifier accuracy on the requested labels: {:.4f}\nper class:", static_cast<double>(right) / n);
    for (double c : per_class) fmt::print(" {:.3f}", c);
    fmt::print("\n");
  }
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "feature Fréchet distance of a model's samples (or of images) to Fashion-MNIST; see docs/eval.md");
  cmd->add_option("model", args->model, "model file to sample (28×28 grey images)")->check(CLI::ExistingFile);
  cmd->add_option("--images", args->images, "score these images instead: .npy float32 in [0, 1] or uint8, "
                  "(N, 784), (N, 28, 28) or (N, 1, 28, 28)")->check(CLI::ExistingFile);
  cmd->add_option("--reference", args->reference, "real images to compare with (a data SPEC; default fashion-mnist:test)");
  cmd->add_option("--classifier", args->classifier, "feature classifier file (default: the cache, trained on first use)");
  cmd->add_option("--n", args->n, "images on each side (default 10000; at most the reference's size)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 22));
  cmd->add_option("--seed", args->seed, "random seed for sampling");
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, &exit_code] { exit_code = run_command([&] { run_eval(*args); }); });
}

}  // namespace gm::cli
