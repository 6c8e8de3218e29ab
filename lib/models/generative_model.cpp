// The verbs' rules, once for every kind (see generative_model.hpp): checks, the compute
// scope, then the kind's hook; fit and restore replace the state all or nothing.
#include "models/generative_model.hpp"

#include <chrono>
#include <cmath>
#include <cstring>

#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "models/model_file.hpp"
#include "nn/compute.hpp"

namespace gm {

namespace {

void require_threads(int threads, const char* verb) {
  if (threads < 0) fail(Status::invalid_argument, "{}: threads must be >= 0 (0 = all cores), got {}", verb, threads);
  if (threads > limits::max_threads())
    fail(Status::invalid_argument, "{}: threads must be <= {} ({} per hardware thread), got {}", verb,
         limits::max_threads(), limits::kThreadsPerCore, threads);
}

template <typename T>
T* require_out(T* out, const char* verb) {
  if (out == nullptr) fail(Status::invalid_argument, "{}: the output buffer is NULL", verb);
  return out;
}

// The ranges the C ABI documents for gm_fit_options, for every caller.
void check_fit_options(const FitOptions& f) {
  if (f.epochs < 1 || f.epochs > limits::kMaxEpochs)
    fail(Status::invalid_argument, "epochs must be in [1, {}], got {}", limits::kMaxEpochs, f.epochs);
  if (f.batch_size < 1) fail(Status::invalid_argument, "batch_size must be >= 1, got {}", f.batch_size);
  if (!std::isfinite(f.learning_rate) || f.learning_rate < 0)
    fail(Status::invalid_argument, "learning_rate must be finite and >= 0 (0 = default), got {}", f.learning_rate);
  if (!(f.validation_fraction >= 0 && f.validation_fraction < 1))
    fail(Status::invalid_argument, "validation_fraction must be in [0, 1), got {}", f.validation_fraction);
  if (f.patience < 0) fail(Status::invalid_argument, "patience must be >= 0, got {}", f.patience);
  if (f.checkpoint_every < 0)
    fail(Status::invalid_argument, "checkpoint_every must be >= 0 (0 = no checkpoints), got {}", f.checkpoint_every);
  if (f.checkpoint_every > 0 && f.checkpoint_path.empty())
    fail(Status::invalid_argument, "checkpoint_every is {} but no checkpoint_path is set", f.checkpoint_every);
  require_threads(f.threads, "fit");
}

void check_eval_options(const EvalOptions& e, const char* verb) {
  require_threads(e.threads, verb);
  if (e.samples < 0 || e.samples > limits::kMaxImportanceSamples)
    fail(Status::invalid_argument, "{}: samples must be in [0, {}] (0 = default), got {}", verb,
         limits::kMaxImportanceSamples, e.samples);
}

// A score is finite or refused: a value that overflowed inside the forward pass (absurd
// weights, an input far outside what the model was fitted on) is not an answer. Checked
// after the kind wrote `out`, which the caller must then ignore.
template <typename T>
void require_finite_output(const GenerativeModel& model, const char* verb, const T* out, int64_t n, int64_t width) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < width; ++j)
      if (!std::isfinite(out[i * width + j]))
        fail(Status::invalid_data,
             "{} {}: row {} gives a non-finite result ({}): the computation overflowed; check that the row is in the "
             "range the model was fitted on, and that the model file is sound",
             model.kind(), verb, i, static_cast<double>(out[i * width + j]));
}

// The checks log_prob and encode share: the verb exists, the model is fitted, the rows fit it,
// the options are in range (checked first: they are wrong whatever the data). False when there is nothing to do (no
// rows).
bool scoring_call_ready(const GenerativeModel& model, uint32_t cap, const char* verb, const DataView& data,
                        const EvalOptions& options, const void* out) {
  check_eval_options(options, verb);
  model.require_capability(cap, verb);
  model.require_fitted(verb);
  model.require_rows(data);
  if (data.n == 0) return false;
  require_out(out, verb);
  return true;
}

}  // namespace

// ---------------------------------------------------------------- all or nothing

// fit and restore must leave the model exactly as it was when they throw. The mechanism,
// written once so that no kind can get it wrong: the current state is swapped out into a
// blank model of the same kind and configuration, the kind builds the new state in *this
// (in place, so FitOptions::on_epoch and the trainer see the model being trained), and on
// any exception the two are swapped back — the old state was never touched, only moved, so
// it comes back bit for bit (parameters, configuration, data shape, caches, last report).
// The failed attempt is freed with `previous`. The one exception is the C ABI's documented
// cancel (genmodels.h, gm_progress_fn) of a *first* fit: it keeps the parameters of the last
// completed step (there was no model to lose, and Python's Ctrl-C relies on it). A cancelled
// refit restores the previous model like any other failure (issue 12); a closed-form kind
// asks the callback before it commits, so its cancel always finds *this unfitted.
//
// A warm start (copy_previous) builds on a copy of the old state instead of a blank one. Kinds
// are not copyable; the copy goes through persistence, which every kind has and which copies
// every value bit for bit (restore validates and copies what tensors() shows), plus the
// training state.
template <typename Build>
void GenerativeModel::replace_state(Build&& build, bool keep_on_cancel, bool copy_previous) {
  std::unique_ptr<GenerativeModel> previous = blank();
  swap_state(*previous);
  const bool first_fit = !previous->fitted();
  try {
    if (copy_previous) {
      do_restore(previous->shape_, previous->do_tensors());
      if (previous->training_) training_ = std::make_unique<nn::TrainingState>(*previous->training_);
    }
    build();
  } catch (const Error& e) {
    if (keep_on_cancel && first_fit && e.status() == Status::cancelled && fitted()) {
      training_.reset();  // it describes the last completed epoch, not the last step
      throw;
    }
    swap_state(*previous);
    // The trainer does not know it runs inside this swap (the feature classifier uses it
    // too), so the promise is added here, where it is kept.
    if (e.status() == Status::diverged)
      throw Error(e.status(), std::string(e.what()) + " (the model is as it was before fit)");
    throw;
  } catch (...) {
    swap_state(*previous);
    throw;
  }
}

void GenerativeModel::fit(const DataView& data, const FitOptions& options) {
  FitOptions o = options;
  DataView v = data;
  auto checks = [&] {
    require_capability(cap_fit, "fit");
    validate_view(data);
    if (data.n < 1) fail(Status::invalid_data, "{} fit needs at least one row, got n = {}", kind(), data.n);
    check_fit_options(options);
    o.warm_start = options.warm_start && fitted();
    if (o.warm_start) require_rows(data);  // continuing needs the width, layout and levels fitted on
    // The hook sees the level count resolved (docs/levels.md): a cap_levels kind takes the
    // data's M (not stated: the model's own on a warm start, else 2) and every value is
    // checked here, once for all kinds; binary kinds get 2, real-valued kinds 0.
    const uint32_t caps = capabilities();
    if (caps & cap_levels) {
      v.levels = data.levels ? data.levels : o.warm_start ? shape_.levels : 2;
      require_levels(data, v.levels, kind(), options.threads);
    } else {
      require_levels_fit(data);
      v.levels = levels();
    }
  };
  if (options.comm) {
    // A distributed fit: a rank whose call fails the checks stops every rank here, before the
    // first sum (docs/distributed.md).
    nn::DataParallel agreement(*options.comm);
    agreement.guard(checks);
    agreement.agree();
  } else {
    checks();
  }
  // Only rank 0 of a distributed fit writes checkpoints (every rank holds the same model).
  const bool writer = !options.comm || options.comm->rank() == 0;
  nn::ComputeScope scope(options.threads);
  replace_state(
      [&] {
        if (!training_) training_ = std::make_unique<nn::TrainingState>();
        if (!o.warm_start) *training_ = nn::TrainingState{};
        o.state = training_.get();
        if (o.checkpoint_every > 0 && writer)
          o.write_checkpoint = [this, &o](int64_t) {
            before_checkpoint();
            save_checkpoint_file(*this, o.checkpoint_path);
          };
        if (trains_in_epochs()) {
          do_fit(v, o);
          shape_.levels = v.levels ? v.levels : 2;
          return;
        }
        // A closed-form kind makes one pass: its epoch report is that pass, its loss the
        // training NLL the kind hands its progress callback (exact_binary::report_fit).
        training_.reset();
        double loss = NAN;
        const auto start = std::chrono::steady_clock::now();
        if (o.epoch_report)
          o.progress = [&loss, &options](int64_t step, int64_t total, double l) {
            loss = l;
            return options.progress && options.progress(step, total, l);
          };
        do_fit(v, o);
        shape_.levels = v.levels ? v.levels : 2;
        if (o.epoch_report) {
          nn::EpochReport r;
          r.epoch = r.last_epoch = r.best_epoch = 1;
          r.train_loss = loss;
          r.elapsed_seconds = r.epoch_seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          r.images_per_second = r.epoch_seconds > 0 ? static_cast<double>(data.n) / r.epoch_seconds : 0;
          if (o.epoch_report(r)) fail(Status::cancelled, "fit was cancelled by the epoch callback");
        }
      },
      trains_in_epochs(), o.warm_start);
}

void GenerativeModel::set_training_state(std::unique_ptr<nn::TrainingState> state) { training_ = std::move(state); }

void GenerativeModel::restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  const DataShape s = shape;  // the caller may pass our own data_shape(), which the swap changes
  const ImageShape& im = s.image;
  if (s.d < 1) fail(Status::corrupt_file, "{} model file has data width d = {}, expected > 0", kind(), s.d);
  if (im.channels < 0 || im.height < 0 || im.width < 0 || ((im.channels || im.height || im.width) && im.size() != s.d))
    fail(Status::corrupt_file, "{} model file has image layout {}x{}x{} that does not hold d = {} values", kind(),
         im.channels, im.height, im.width, s.d);
  replace_state([&] { do_restore(s, tensors); }, false, false);
}

std::vector<TensorRef> GenerativeModel::tensors() const {
  require_fitted("save");
  return do_tensors();
}

// ---------------------------------------------------------------- the other verbs

void GenerativeModel::require_stage(int64_t stage, const char* verb) const {
  if (stage < 0)
    fail(Status::invalid_argument, "{} {}: the stage must be >= 0 (0 = the current one), got {}", kind(), verb, stage);
  if (stage != 0 && !samples_at_stages())
    fail(Status::invalid_argument,
         "{} {}: a stage ({}) is an option of kinds that grow in stages (progan); {} has none", kind(), verb, stage,
         kind());
}

void GenerativeModel::require_truncation(double truncation, const char* verb, bool verb_draws_latent) const {
  if (truncation == 0.0) return;
  if (!std::isfinite(truncation) || truncation < 0.0)
    fail(Status::invalid_argument,
         "{} {}: truncation must be finite and > 0 (standard deviations of the latent), or 0 for none; got {}", kind(),
         verb, truncation);
  if (!verb_draws_latent)
    fail(Status::invalid_argument,
         "{} {}: truncation ({}) is an option of sample (and complete_from_parts), which draw the latent "
         "code; {} takes no draw to truncate",
         kind(), verb, truncation, verb);
  if (!draws_gaussian_latent())
    fail(Status::invalid_argument,
         "{} {}: truncation ({}) is an option of gan, dcgan, cgan, infogan, vae and puzzlegan, which draw a "
         "Gaussian latent code and use it as drawn (progan normalises its z to unit length, where truncating "
         "coordinates draws no nearer a mode); {} takes only 0",
         kind(), verb, truncation, kind());
}

void GenerativeModel::sample(int64_t n, const SampleOptions& options, float* out) const {
  require_capability(cap_sample, "sample");
  require_fitted("sample");
  if (n < 0) fail(Status::invalid_argument, "{} sample: n must be >= 0, got {}", kind(), n);
  require_threads(options.threads, "sample");
  require_stage(options.stage, "sample");
  require_truncation(options.truncation, "sample", true);
  if (n == 0) return;
  require_out(out, "sample");
  nn::ComputeScope scope(options.threads);
  do_sample(n, options, out);
}

void GenerativeModel::log_prob(const DataView& data, const EvalOptions& options, double* out) const {
  if (!scoring_call_ready(*this, cap_log_prob, "log_prob", data, options, out)) return;
  if (capabilities() & cap_levels) require_levels(data, shape_.levels, kind(), options.threads);
  nn::ComputeScope scope(options.threads);
  do_log_prob(data, options, out);
  require_finite_output(*this, "log_prob", out, data.n, 1);
}

int64_t GenerativeModel::encode_dim() const {
  require_capability(cap_encode, "encode");
  return do_encode_dim();
}

void GenerativeModel::encode(const DataView& data, const EvalOptions& options, float* out) const {
  if (!scoring_call_ready(*this, cap_encode, "encode", data, options, out)) return;
  nn::ComputeScope scope(options.threads);
  do_encode(data, options, out);
  require_finite_output(*this, "encode", out, data.n, do_encode_dim());
}

int64_t GenerativeModel::latent_dim() const {
  require_capability(cap_decode, "decode");
  return do_latent_dim();
}

void GenerativeModel::decode(const DataView& codes, const SampleOptions& options, float* out) const {
  require_capability(cap_decode, "decode");
  require_fitted("decode");
  validate_view(codes);
  const int64_t z = latent_dim();
  if (codes.d != z)
    fail(Status::invalid_data, "{} decode: codes have {} values per row, the model's latent size is {}", kind(),
         codes.d, z);
  require_finite(codes);
  require_threads(options.threads, "decode");
  require_stage(options.stage, "decode");
  require_truncation(options.truncation, "decode", false);
  if (codes.n == 0) return;
  require_out(out, "decode");
  nn::ComputeScope scope(options.threads);
  do_decode(codes, options, out);
}

void GenerativeModel::complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                               float* out) const {
  require_capability(cap_complete, "complete");
  require_fitted("complete");
  require_rows(data);
  require_threads(options.threads, "complete");
  require_truncation(options.truncation, "complete", false);
  if (data.n == 0) return;
  if (observed == nullptr) fail(Status::invalid_argument, "complete: the observed mask is NULL");
  require_out(out, "complete");
  if (capabilities() & cap_levels) require_observed_levels(data, observed, shape_.levels, kind());
  nn::ComputeScope scope(options.threads);
  do_complete(data, observed, options, out);
}

std::vector<std::string> GenerativeModel::domain_names() const {
  require_capability(cap_translate, "translate");
  return do_domain_names();
}

namespace {
// The one index every row goes to, from options.domain or options.domain_name.
int32_t single_target(const GenerativeModel& m, const TranslateOptions& o, const std::vector<std::string>& names) {
  const std::string listed = names.empty() ? "none yet" : fmt::format("\"{}\"", fmt::join(names, "\", \""));
  if (!o.domain_name.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == o.domain_name) return static_cast<int32_t>(i);
    fail(Status::invalid_argument, "{} translate: no domain named \"{}\"; the model's domains are {}", m.kind(),
         o.domain_name, listed);
  }
  if (o.domain >= static_cast<int64_t>(names.size()))
    fail(Status::invalid_argument,
         "{} translate: domain {} is out of range; the model's domains are {} (indices 0..{})", m.kind(), o.domain,
         listed, static_cast<int64_t>(names.size()) - 1);
  return static_cast<int32_t>(o.domain);
}
}  // namespace

void GenerativeModel::translate(const DataView& x, const TranslateOptions& options, float* out) const {
  require_capability(cap_translate, "translate");
  require_fitted("translate");
  require_rows(x);
  require_threads(options.threads, "translate");
  const int given = (options.domain >= 0) + !options.domain_name.empty() + (options.domains != nullptr);
  if (options.domain < -1)
    fail(Status::invalid_argument, "{} translate: domain must be >= 0 (or -1: not given), got {}", kind(),
         options.domain);
  if (given != 1)
    fail(Status::invalid_argument,
         "{} translate: give the target domain exactly once (domain, domain_name or one per row in domains); got {}",
         kind(), given == 0 ? "none" : "more than one");
  const std::vector<std::string> names = do_domain_names();
  std::vector<int32_t> one;
  const int32_t* target = options.domains;
  if (target == nullptr) {
    one.assign(static_cast<std::size_t>(x.n), single_target(*this, options, names));
    target = one.data();
  } else {
    for (int64_t r = 0; r < x.n; ++r)
      if (target[r] < 0 || target[r] >= static_cast<int64_t>(names.size()))
        fail(Status::invalid_argument, "{} translate: domains[{}] = {} is out of range [0, {})", kind(), r, target[r],
             names.size());
  }
  if (x.n == 0) return;
  require_out(out, "translate");
  require_finite(x);
  nn::ComputeScope scope(options.threads);
  do_translate(x, target, options, out);
}

// ---------------------------------------------------------------- checks

int64_t GenerativeModel::parts_patch_size() const {
  require_capability(cap_complete_from_parts, "complete_from_parts");
  return do_parts_patch_size();
}

void GenerativeModel::complete_from_parts(const DataView& patches, const int64_t* positions, int64_t k,
                                          const SampleOptions& options, float* out) const {
  require_capability(cap_complete_from_parts, "complete_from_parts");
  require_fitted("complete_from_parts");
  if (k < 1)
    fail(Status::invalid_argument, "{} complete_from_parts: k (patches per image) must be >= 1, got {}", kind(), k);
  validate_view(patches);
  if (patches.n % k != 0)
    fail(Status::invalid_argument,
         "{} complete_from_parts: {} patches do not split into images of k = {} patches each (give k patches per "
         "image, image after image)",
         kind(), patches.n, k);
  const int64_t C = shape_.image.channels, S = shape_.image.height, P = do_parts_patch_size();
  const ImageShape& im = patches.image;
  const bool layout_ok = !im.is_image() || (im.channels == C && im.height == P && im.width == P);
  if (patches.d != C * P * P || !layout_ok)
    fail(Status::invalid_data,
         "{} complete_from_parts: the model takes patches of {}x{}x{} = {} values (its channels and patch_size {}); "
         "these are {}",
         kind(), C, P, P, C * P * P, P,
         im.is_image() ? fmt::format("{}x{}x{}", im.channels, im.height, im.width)
                       : fmt::format("rows of {} values", patches.d));
  require_threads(options.threads, "complete_from_parts");
  require_stage(options.stage, "complete_from_parts");
  require_truncation(options.truncation, "complete_from_parts", true);
  if (options.labels || options.conditions)
    fail(Status::invalid_argument, "{} complete_from_parts takes no labels or conditions", kind());
  if (patches.n == 0) return;
  if (positions == nullptr) fail(Status::invalid_argument, "{} complete_from_parts: positions is NULL", kind());
  require_out(out, "complete_from_parts");
  for (int64_t i = 0; i < patches.n; ++i) {
    const int64_t top = positions[2 * i], left = positions[2 * i + 1];
    if (top < 0 || left < 0 || top > S - P || left > S - P)
      fail(Status::invalid_argument,
           "{} complete_from_parts: patch {} of image {} at (top {}, left {}) lies outside the {}x{} image: a {}x{} "
           "patch needs top and left in [0, {}]",
           kind(), i % k, i / k, top, left, S, S, P, P, S - P);
  }
  require_finite(patches);
  nn::ComputeScope scope(options.threads);
  do_complete_from_parts(patches, positions, k, options, out);
}

std::string GenerativeModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "complete_from_parts") == 0)
    return fmt::format(
        "{} cannot complete from parts: only puzzlegan generates whole images from key patches (complete fills in "
        "the unobserved pixels of whole rows)",
        kind());
  return fmt::format("{} has no {} verb", kind(), verb);
}

void GenerativeModel::unsupported(const char* verb) const { throw Error(Status::unsupported, unsupported_why(verb)); }

void GenerativeModel::require_fitted(const char* verb) const {
  if (!fitted()) fail(Status::not_fitted, "{}: the {} model must be fitted or loaded first", verb, kind());
}

void GenerativeModel::require_capability(uint32_t cap, const char* verb) const {
  if ((capabilities() & cap) != cap) unsupported(verb);
}

void GenerativeModel::require_rows(const DataView& view) const {
  validate_view(view);
  require_fitted_rows(shape_, view, kind());
  if (view.levels == 0) return;
  const int64_t m = levels();
  if (m == 0) {
    require_levels_fit(view);
    return;
  }
  if (view.levels != m)
    fail(Status::invalid_data, "the data has {} levels (gm_data.levels) but the {} model has {}: {}", view.levels,
         kind(), m,
         m == 2 ? std::string("binarise the data (--levels 2 or --binarize 0.5)")
                : fmt::format("quantise the data to {} levels (--levels {})", m, m));
}

int64_t GenerativeModel::levels() const {
  const uint32_t caps = capabilities();
  if (caps & cap_levels) return shape_.levels;
  return (caps & cap_binary_data) ? 2 : 0;
}

void GenerativeModel::require_levels_fit(const DataView& view) const {
  if (view.levels <= 2) return;
  if (capabilities() & cap_binary_data)
    fail(Status::invalid_data,
         "{} models binary pixels but the data has {} levels: binarise it (--levels 2), or use a kind for M levels "
         "(categorical, markov, fvsbn, nade, pixelcnn; `genmodels kinds` lists them)",
         kind(), view.levels);
  fail(Status::invalid_data,
       "{} models real values in [0, 1] but the data was quantised to {} levels: load it without --levels "
       "(gm_dataset_options.levels = 0), or use a kind for M levels",
       kind(), view.levels);
}

void require_fitted_rows(const DataShape& fitted, const DataView& view, const char* kind) {
  if (view.d != fitted.d)
    fail(Status::invalid_data, "rows have d = {} values but the {} model was fitted on d = {}", view.d, kind, fitted.d);
  const ImageShape& a = view.image;
  const ImageShape& b = fitted.image;
  if (a.is_image() && b.is_image() && (a.channels != b.channels || a.height != b.height || a.width != b.width))
    fail(Status::invalid_data,
         "the data's image layout is {}x{}x{} (channels x height x width) but the {} model was fitted on {}x{}x{}; "
         "give data of the model's layout, or flat rows of d = {} values",
         a.channels, a.height, a.width, kind, b.channels, b.height, b.width, fitted.d);
}

// A hook's default body is reached only when capabilities() claims a verb the kind does not
// implement: the verb checked the capability first. That is a bug in the kind.
namespace {
[[noreturn]] void missing_hook(const GenerativeModel& m, const char* verb) {
  fail(Status::internal, "{} lists {} in its capabilities but does not implement it", m.kind(), verb);
}
}  // namespace

void GenerativeModel::do_sample(int64_t, const SampleOptions&, float*) const { missing_hook(*this, "sample"); }
void GenerativeModel::do_log_prob(const DataView&, const EvalOptions&, double*) const {
  missing_hook(*this, "log_prob");
}
int64_t GenerativeModel::do_encode_dim() const { missing_hook(*this, "encode"); }
void GenerativeModel::do_encode(const DataView&, const EvalOptions&, float*) const { missing_hook(*this, "encode"); }
int64_t GenerativeModel::do_latent_dim() const { missing_hook(*this, "decode"); }
void GenerativeModel::do_decode(const DataView&, const SampleOptions&, float*) const { missing_hook(*this, "decode"); }
void GenerativeModel::do_complete(const DataView&, const uint8_t*, const SampleOptions&, float*) const {
  missing_hook(*this, "complete");
}
std::vector<std::string> GenerativeModel::do_domain_names() const { missing_hook(*this, "translate"); }
void GenerativeModel::do_translate(const DataView&, const int32_t*, const TranslateOptions&, float*) const {
  missing_hook(*this, "translate");
}
int64_t GenerativeModel::do_parts_patch_size() const { missing_hook(*this, "complete_from_parts"); }
void GenerativeModel::do_complete_from_parts(const DataView&, const int64_t*, int64_t, const SampleOptions&,
                                             float*) const {
  missing_hook(*this, "complete_from_parts");
}

const TensorRef& find_tensor(const std::vector<TensorRef>& tensors, const std::string& name, DType dtype,
                             const std::vector<int64_t>& shape) {
  for (const TensorRef& t : tensors) {
    if (t.name != name) continue;
    if (t.dtype != dtype)
      fail(Status::corrupt_file, "tensor \"{}\" has dtype {}, expected {}", name, dtype_name(t.dtype),
           dtype_name(dtype));
    if (t.shape != shape)
      fail(Status::corrupt_file, "tensor \"{}\" has shape [{}], the configuration implies [{}]", name,
           fmt::join(t.shape, ", "), fmt::join(shape, ", "));
    return t;
  }
  fail(Status::corrupt_file, "model file has no tensor \"{}\"", name);
}

}  // namespace gm

namespace gm {

std::vector<const TensorRef*> find_planned(const std::vector<TensorRef>& tensors, const PlannedTensors& planned) {
  std::vector<const TensorRef*> found;
  found.reserve(planned.size());
  for (const auto& [name, dims] : planned) found.push_back(&find_tensor(tensors, name, DType::f32, dims));
  return found;
}

void copy_planned(nn::ParameterStore& store, const PlannedTensors& planned, const std::vector<const TensorRef*>& found,
                  const char* kind) {
  if (store.count() != static_cast<int32_t>(planned.size()))
    fail(Status::internal, "{}: {} tensors registered, {} planned", kind, store.count(), planned.size());
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const nn::ParamId id = store.find(planned[i].first);
    if (store.entry(id).shape != planned[i].second)
      fail(Status::internal, "{}: tensor {} registered with an unexpected shape", kind, planned[i].first);
    float* dst = store.value(id);
    std::memcpy(dst, found[i]->data, found[i]->bytes());
    for (int64_t k = 0; k < store.size(id); ++k)
      if (!std::isfinite(dst[k]))
        fail(Status::corrupt_file, "{} tensor \"{}\" has a non-finite value at index {}", kind, planned[i].first, k);
  }
}

}  // namespace gm
