// `genmodels eval`: the feature Fréchet distance (FID with a Fashion-MNIST classifier's
// 128-d features, lib/eval) between a model's samples — or images from an .npy — and a
// reference set; for a label-conditional model (or --images with --labels, e.g. a text
// cgan's samples and the classes their sentences named) also whether the images show the
// class they were asked for, and k-NN precision / recall / density / coverage (eval/knn_metrics.hpp). The maths
// and the measured figures are in docs/eval.md.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "data/npy.hpp"
#include "eval/frechet.hpp"
#include "eval/knn_metrics.hpp"
#include "eval_support.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {

constexpr int64_t kPixels = eval::FeatureClassifier::kPixels, kClasses = eval::FeatureClassifier::kClasses;

struct EvalArgs {
  std::string model, images, labels, reference = "fashion-mnist:test", classifier;
  int64_t n = 10000;
  uint64_t seed = 0;
  int threads = 0;
  double truncation = 0.0;  // sampling a model: SampleOptions::truncation
  bool json = false;
};

// float32/float64 in [0, 1] or uint8 0..255, shaped (N, 784), (N, 28, 28) or (N, 1, 28, 28).
std::vector<float> read_images(const std::string& path, int64_t& n) {
  const NpyArray a = read_npy(path);
  const std::vector<int64_t>& s = a.shape;
  const bool ok = (s.size() == 2 && s[1] == kPixels) || (s.size() == 3 && s[1] == 28 && s[2] == 28) ||
                  (s.size() == 4 && s[1] == 1 && s[2] == 28 && s[3] == 28);
  if (!ok || s[0] < 2)
    fail(Status::invalid_data,
         "{}: expected at least 2 images shaped (N, 784), (N, 28, 28) or (N, 1, 28, 28), got {} "
         "dimensions",
         path, s.size());
  if (a.type != NpyType::f4 && a.type != NpyType::f8 && a.type != NpyType::u1)
    fail(Status::unsupported, "{}: images must be float32 in [0, 1] or uint8 0..255 (x.astype(np.float32) / 255)",
         path);
  n = s[0];
  std::vector<float> x = npy_to_float(a);
  if (a.type == NpyType::u1)
    for (float& v : x) v /= 255.0f;
  eval::require_unit_images(x.data(), n, path);
  return x;
}

// --labels: one class in [0, 10) per image, an integer .npy of shape (N) (or float holding
// whole numbers).
std::vector<int32_t> read_labels(const std::string& path, int64_t rows) {
  const NpyArray a = read_npy(path);
  if (a.shape.size() != 1 || a.shape[0] != rows)
    fail(Status::invalid_data, "{}: expected one label per image, shape ({}), got {} dimensions{}", path, rows,
         a.shape.size(), a.shape.size() == 1 ? fmt::format(" of {}", a.shape[0]) : "");
  const std::vector<float> v = npy_to_float(a);
  std::vector<int32_t> labels(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] >= 0.0f && v[i] < static_cast<float>(kClasses)) ||
        v[i] != static_cast<float>(static_cast<int32_t>(v[i])))
      fail(Status::invalid_data, "{}: label {} of row {} is not a Fashion-MNIST class in [0, {})", path, v[i], i,
           kClasses);
    labels[i] = static_cast<int32_t>(v[i]);
  }
  return labels;
}

// The model's DataShape must be a 28×28 grey image (or 784 plain values).
void require_fashion_shape(const GenerativeModel& model, const std::string& path) {
  const DataShape& s = model.data_shape();
  const bool grey28 = !s.image.is_image() || (s.image.channels == 1 && s.image.height == 28 && s.image.width == 28);
  if (s.d != kPixels || !grey28)
    fail(Status::unsupported,
         "{}: eval compares 28×28 grey images (the feature classifier is trained on Fashion-MNIST), but this {} model "
         "makes rows of {} values{}; fit it on 28×28 grey data, or score explicit models with log-prob",
         path, model.kind(), s.d,
         s.image.is_image() ? fmt::format(" ({}×{}×{})", s.image.channels, s.image.height, s.image.width) : "");
}

// Label-conditional models get n/10 samples of each class; other kinds of condition
// (vectors, sentences) cannot be chosen from a class label.
bool label_conditional(const GenerativeModel& model, const std::string& path) {
  const ModelCondition condition = model_condition(model);
  if (condition.kind == ConditionKind::none) return false;
  if (condition.kind != ConditionKind::label)
    fail(Status::unsupported,
         "{}: this {} model is conditioned on \"{}\", not on class labels: eval can only ask for "
         "Fashion-MNIST classes",
         path, model.kind(), condition_name(condition.kind));
  if (condition.dim != 0 && condition.dim != kClasses)
    fail(Status::unsupported, "{}: this model has {} classes, the feature classifier knows Fashion-MNIST's {}", path,
         condition.dim, kClasses);
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
  std::vector<int32_t> truth;  // --labels: the class of every row of --images
  std::vector<float> all;      // with --labels: every row, scored for accuracy (the distances use n)
  std::string source;
  if (!a.labels.empty() && a.images.empty())
    fail(Status::invalid_argument, "--labels gives the classes of --images; a model's samples get theirs from it");
  if (!a.images.empty() && a.truncation != 0.0)
    fail(Status::invalid_argument, "--truncation is an option of sampling a model; --images are scored as given");
  if (!a.images.empty()) {
    int64_t rows = 0;
    x = read_images(a.images, rows);
    if (!a.labels.empty()) {
      truth = read_labels(a.labels, rows);
      all = x;
    }
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
    options.truncation = a.truncation;
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
    source = fmt::format("{} ({}{})", a.model, model->kind(),
                         a.truncation != 0.0 ? fmt::format(", truncation {}", a.truncation) : "");
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
  int64_t scored = n;    // rows the accuracy is over
  if (!truth.empty()) {  // every labelled row, not only the first n
    scored = static_cast<int64_t>(truth.size());
    std::vector<int32_t> pred(truth.size());
    classifier.predict(all.data(), scored, pred.data(), a.threads);
    for (std::size_t i = 0; i < truth.size(); ++i) {
      ++asked_count[truth[i]];
      if (pred[i] == truth[i]) {
        ++right;
        ++right_count[truth[i]];
      }
    }
  }
  std::vector<double> share(kClasses, 0.0), per_class(kClasses, 0.0);
  for (int64_t c = 0; c < kClasses; ++c) {
    share[c] = static_cast<double>(predicted[c]) / static_cast<double>(n);
    if (asked_count[c] > 0) per_class[c] = static_cast<double>(right_count[c]) / static_cast<double>(asked_count[c]);
  }
  const bool has_accuracy = !asked.empty() || !truth.empty();
  const double seconds = seconds_since(start);

  if (a.json) {
    Json j = {{"frechet_distance", fd},    {"n", n},
              {"precision", pr.precision}, {"recall", pr.recall},
              {"density", pr.density},     {"coverage", pr.coverage},
              {"reference", a.reference},  {"class_shares", share},
              {"seconds", seconds}};
    j[a.images.empty() ? "model" : "images"] = a.images.empty() ? a.model : a.images;
    if (a.truncation != 0.0) j["truncation"] = a.truncation;
    if (has_accuracy) {
      j["classifier_accuracy"] = static_cast<double>(right) / static_cast<double>(scored);
      j["per_class_accuracy"] = per_class;
      if (!truth.empty()) j["labelled"] = scored;
    }
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("Fréchet distance {:.4f} (classifier features, {} images of {} vs the first {} of {}; {:.1f} s)\n", fd, n,
             source, n, a.reference, seconds);
  fmt::print(
      "precision {:.4f}, recall {:.4f}, density {:.4f}, coverage {:.4f} (k = {} nearest-neighbour balls in "
      "feature space)\n",
      pr.precision, pr.recall, pr.density, pr.coverage, k);
  fmt::print("predicted class shares:");
  for (double s : share) fmt::print(" {:.3f}", s);
  fmt::print("\n");
  if (has_accuracy) {
    fmt::print("classifier accuracy on the {} labels{}: {:.4f}\nper class:", truth.empty() ? "requested" : "given",
               truth.empty() ? "" : fmt::format(" ({} images)", scored),
               static_cast<double>(right) / static_cast<double>(scored));
    for (double c : per_class) fmt::print(" {:.3f}", c);
    fmt::print("\n");
  }
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "feature Fréchet distance of a model's samples (or of images) to Fashion-MNIST; see docs/eval.md");
  cmd->add_option("model", args->model, "model file to sample (28×28 grey images)");
  cmd->add_option("--images", args->images,
                  "score these images instead: .npy float32 in [0, 1] or uint8, "
                  "(N, 784), (N, 28, 28) or (N, 1, 28, 28)");
  cmd->add_option("--labels", args->labels,
                  "with --images: the class asked for of every image (.npy of N integers "
                  "in [0, 10)); reports the classifier's accuracy over all of them");
  cmd->add_option("--reference", args->reference,
                  "real images to compare with (a data SPEC; default fashion-mnist:test)");
  cmd->add_option("--classifier", args->classifier,
                  "feature classifier file (default: the cache, trained on first use)");
  cmd->add_option("--n", args->n, "images on each side (default 10000; at most the reference's size)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 22));
  add_seed_option(*cmd, args->seed, "random seed for sampling");
  cmd->add_option("--truncation", args->truncation,
                  "sample the model with the truncation trick, as sample --truncation (0 = none): scores what "
                  "the sampler gives");
  add_threads_option(*cmd, args->threads);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, &exit_code] { exit_code = run_command([&] { run_eval(*args); }); });
}

}  // namespace gm::cli
