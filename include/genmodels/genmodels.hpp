// genmodels.hpp — a header-only C++17 binding over the C ABI in genmodels.h.
//
// It only translates: RAII handles (move-only, freed by unique_ptr deleters), exceptions
// for statuses (genmodels::Error and one subclass per status), pointer + size views for
// buffers. Thread safety is the C ABI's: the const methods of Model may run concurrently
// on one fitted model; fit, assignment and destruction need exclusive access.
#ifndef GENMODELS_GENMODELS_HPP
#define GENMODELS_GENMODELS_HPP

#include <genmodels/genmodels.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace genmodels {

// ------------------------------------------------------------------ errors

class Error : public std::runtime_error {
 public:
  Error(int32_t status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int32_t status() const noexcept { return status_; }
  const char* status_name() const noexcept { return gm_status_name(status_); }

 private:
  int32_t status_;
};

#define GENMODELS_ERROR_CLASS(Name, code)                   \
  class Name : public Error {                               \
   public:                                                  \
    explicit Name(const std::string& m) : Error(code, m) {} \
  };
GENMODELS_ERROR_CLASS(InvalidArgument, GM_INVALID_ARGUMENT)
GENMODELS_ERROR_CLASS(Unsupported, GM_UNSUPPORTED)
GENMODELS_ERROR_CLASS(BufferTooSmall, GM_BUFFER_TOO_SMALL)
GENMODELS_ERROR_CLASS(InvalidData, GM_INVALID_DATA)
GENMODELS_ERROR_CLASS(InvalidConfig, GM_INVALID_CONFIG)
GENMODELS_ERROR_CLASS(UnknownKind, GM_UNKNOWN_KIND)
GENMODELS_ERROR_CLASS(NotFitted, GM_NOT_FITTED)
GENMODELS_ERROR_CLASS(IoError, GM_IO_ERROR)
GENMODELS_ERROR_CLASS(CorruptFile, GM_CORRUPT_FILE)
GENMODELS_ERROR_CLASS(Cancelled, GM_CANCELLED)
GENMODELS_ERROR_CLASS(Diverged, GM_DIVERGED)
GENMODELS_ERROR_CLASS(OutOfMemory, GM_OUT_OF_MEMORY)
GENMODELS_ERROR_CLASS(VersionMismatch, GM_VERSION_MISMATCH)
GENMODELS_ERROR_CLASS(Internal, GM_INTERNAL)
#undef GENMODELS_ERROR_CLASS

// Throws the exception class of `status` with `message`.
[[noreturn]] inline void throw_status(int32_t status, const std::string& message) {
  switch (status) {
    case GM_INVALID_ARGUMENT: throw InvalidArgument(message);
    case GM_UNSUPPORTED: throw Unsupported(message);
    case GM_BUFFER_TOO_SMALL: throw BufferTooSmall(message);
    case GM_INVALID_DATA: throw InvalidData(message);
    case GM_INVALID_CONFIG: throw InvalidConfig(message);
    case GM_UNKNOWN_KIND: throw UnknownKind(message);
    case GM_NOT_FITTED: throw NotFitted(message);
    case GM_IO_ERROR: throw IoError(message);
    case GM_CORRUPT_FILE: throw CorruptFile(message);
    case GM_CANCELLED: throw Cancelled(message);
    case GM_DIVERGED: throw Diverged(message);
    case GM_OUT_OF_MEMORY: throw OutOfMemory(message);
    case GM_VERSION_MISMATCH: throw VersionMismatch(message);
    case GM_INTERNAL: throw Internal(message);
    default: throw Error(status, message);  // a status appended after this header
  }
}

namespace detail {
// Owns the gm_error of one call; check() turns a failed status into an exception.
class Call {
 public:
  Call() = default;
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
  ~Call() { gm_error_free(err_); }
  gm_error** err() noexcept { return &err_; }
  void check(int32_t status) {
    if (status == GM_OK) return;
    const std::string message = err_ ? gm_error_message(err_) : gm_status_name(status);
    throw_status(status, message);
  }

 private:
  gm_error* err_ = nullptr;
};

struct ModelDeleter {
  void operator()(gm_model* m) const noexcept { gm_model_free(m); }
};
struct DatasetDeleter {
  void operator()(gm_dataset* d) const noexcept { gm_dataset_free(d); }
};
// The library's defaults for this header's struct T: the *_init_sized functions fill only
// sizeof(T) bytes, so a newer library (whose structs have grown) cannot write past it.
template <class T>
T defaults_of(void (*init_sized)(T*, uint32_t)) {
  static const T cached = [init_sized] {
    T out;
    std::memset(&out, 0, sizeof out);
    init_sized(&out, static_cast<uint32_t>(sizeof out));
    return out;
  }();
  return cached;
}

struct BufferDeleter {
  void operator()(gm_buffer* b) const noexcept { gm_buffer_free(b); }
};
using Buffer = std::unique_ptr<gm_buffer, BufferDeleter>;

inline std::string text_of(const Buffer& b) {
  return std::string(reinterpret_cast<const char*>(gm_buffer_data(b.get())),
                     static_cast<size_t>(gm_buffer_size(b.get())));
}
}  // namespace detail

// ------------------------------------------------------------------ views

// A borrowed pointer + size (a tiny std::span for C++17).
template <class T>
class Span {
 public:
  Span() = default;
  Span(T* data, size_t size) : data_(data), size_(size) {}
  // Any contiguous container with data() and size(): std::vector, std::array, std::string...
  template <class U, class = std::enable_if_t<!std::is_same<std::decay_t<U>, Span>::value &&
                                              std::is_convertible<decltype(std::declval<U&>().data()), T*>::value>>
  Span(U&& container) : data_(container.data()), size_(container.size()) {}  // NOLINT: implicit
  T* data() const noexcept { return data_; }
  size_t size() const noexcept { return size_; }
  int64_t ssize() const noexcept { return static_cast<int64_t>(size_); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

// A borrowed view of n rows of d float32 values (row-major), with the optional image
// layout and labels of gm_data. Nothing is copied.
struct Rows {
  const float* x = nullptr;
  int64_t n = 0;
  int64_t d = 0;
  int64_t channels = 0, height = 0, width = 0;
  const int32_t* labels = nullptr;
  int64_t num_classes = 0;
  const float* conditions = nullptr;
  int64_t condition_dim = 0;
  int64_t levels = 0;  // the level count M of discrete pixels (docs/levels.md); 0 = not stated

  Rows() = default;
  Rows(const float* x_, int64_t n_, int64_t d_) : x(x_), n(n_), d(d_) {}
  // All of `values` as rows of width d; its size must be a multiple of d.
  Rows(Span<const float> values, int64_t d_) : x(values.data()), n(0), d(d_) {
    if (d_ <= 0 || values.ssize() % d_ != 0)
      throw InvalidArgument("genmodels::Rows: " + std::to_string(values.size()) +
                            " values are not a whole number of rows of width " + std::to_string(d_));
    n = values.ssize() / d_;
  }
  Rows& image(int64_t c, int64_t h, int64_t w) {
    channels = c, height = h, width = w;
    return *this;
  }
  Rows& with_labels(const int32_t* l, int64_t classes) {
    labels = l, num_classes = classes;
    return *this;
  }
  Rows& with_levels(int64_t m) {
    levels = m;
    return *this;
  }

  gm_data c() const noexcept {
    gm_data v = detail::defaults_of(gm_data_init_sized);
    v.x = x, v.n = n, v.d = d;
    v.channels = channels, v.height = height, v.width = width;
    v.labels = labels, v.num_classes = num_classes;
    v.conditions = conditions, v.condition_dim = condition_dim;
    v.levels = levels;
    return v;
  }
};

// ------------------------------------------------------------------ options

// Progress of fit: return true to stop (fit then throws Cancelled; a first fit keeps its
// last good parameters, a refit leaves the model as it was before the call). An exception thrown by the callback also
// stops fit and is rethrown from fit.
using Progress = std::function<bool(int64_t step, int64_t total, double loss)>;

// What a fit reports after each epoch (gm_epoch_report). Losses are mean per-example values:
// nats (negative log-likelihood or its bound) for likelihood kinds; for the GAN family
// train_loss is discriminator_loss + generator_loss.
struct EpochReport {
  int64_t epoch = 0;              // counts from 1, continuing across warm-started fits
  int64_t last_epoch = 0;         // the epoch this fit ends at unless it stops early
  double train_loss = 0;          // mean training loss over the epoch's batches
  double validation_loss = 0;     // NaN without a validation split
  int64_t best_epoch = 0;         // the epoch whose parameters a validated fit keeps; else epoch
  double discriminator_loss = 0;  // GAN family: the epoch's mean L_D; else NaN
  double generator_loss = 0;      // GAN family: the epoch's mean L_G; else NaN
  double images_per_second = 0;
  double epoch_seconds = 0;
  double elapsed_seconds = 0;
  double eta_seconds = 0;  // estimated wall time to last_epoch
  bool stopping = false;   // early stopping ends the fit after this epoch
};

// Called after every epoch of a gradient-trained kind (once for the closed-form kinds):
// return true to stop, as Progress; an exception also stops fit and is rethrown from fit.
using EpochCallback = std::function<bool(const EpochReport& report)>;

// The training a model holds (Model::training_progress).
struct TrainingProgress {
  int64_t epochs_done = 0;     // 0 without training state
  int64_t epochs_planned = 0;  // the epoch the last fit was asked to reach
};

struct FitOptions {
  int64_t epochs, batch_size;
  double learning_rate;
  uint64_t seed;
  int32_t threads;
  double validation_fraction;  // gradient-trained kinds: held-out fraction scored per epoch
  int64_t patience;            // > 0: stop after this many epochs without improvement
  Progress progress;
  EpochCallback on_epoch;
  // Continue from the model's current state when it is fitted: gradient-trained kinds train
  // `epochs` more epochs (a model fitted, or loaded from a checkpoint, in this process also
  // resumes its optimiser, so 1 + 1 epochs equal 2 epochs with the same seed); bernoulli and
  // markov add the new rows' counts (partial fit). The data must have the fitted width.
  bool warm_start;
  // Gradient-trained kinds: with checkpoint_path, a checkpoint every checkpoint_every epochs
  // and after the last (atomically replacing the previous one). 0 / empty: none.
  int64_t checkpoint_every;
  std::string checkpoint_path;
  FitOptions() {  // the library's defaults
    const gm_fit_options o = detail::defaults_of(gm_fit_options_init_sized);
    epochs = o.epochs, batch_size = o.batch_size, learning_rate = o.learning_rate;
    seed = o.seed, threads = o.threads;
    validation_fraction = o.validation_fraction, patience = o.patience;
    warm_start = o.warm_start != 0, checkpoint_every = o.checkpoint_every;
  }
};

struct SampleOptions {
  uint64_t seed = 0;
  int32_t threads = 0;
  const int32_t* labels = nullptr;  // per-row labels for conditional kinds
  const float* conditions = nullptr;
  int64_t condition_dim = 0;
  // progan: the growth stage to draw at (1 = the lowest resolution, upsampled to full size);
  // 0 = the model's current stage. Other kinds take only 0.
  int64_t stage = 0;
  // sample and complete_from_parts of kinds with a Gaussian latent: draw each latent
  // coordinate from the normal conditioned on |z| <= truncation; 0 = the full normal.
  double truncation = 0;
  gm_sample_options c() const noexcept {
    gm_sample_options o = detail::defaults_of(gm_sample_options_init_sized);
    o.seed = seed, o.threads = threads;
    o.labels = labels, o.conditions = conditions, o.condition_dim = condition_dim;
    o.stage = stage, o.truncation = truncation;
    return o;
  }
};

// For translate (gm_translate_options): the target given exactly once — domain (>= 0), a
// non-empty domain_name, or domains (one index per row).
struct TranslateOptions {
  uint64_t seed = 0;
  int32_t threads = 0;
  int64_t domain = -1;
  std::string domain_name;
  const int32_t* domains = nullptr;
  // The C struct points into domain_name: valid while this object lives unchanged.
  gm_translate_options c() const noexcept {
    gm_translate_options o = detail::defaults_of(gm_translate_options_init_sized);
    o.seed = seed, o.threads = threads, o.domain = domain, o.domains = domains;
    o.domain_name = domain_name.empty() ? nullptr : domain_name.c_str();
    return o;
  }
};

// For log_prob and encode (gm_score_options).
struct ScoreOptions {
  uint64_t seed = 0;
  int32_t threads = 0;
  int64_t samples = 0;  // 0 = the model's own count (vae: its "iwae_samples")
  gm_score_options c() const noexcept {
    gm_score_options o = detail::defaults_of(gm_score_options_init_sized);
    o.seed = seed, o.threads = threads, o.samples = samples;
    return o;
  }
};
using EvalOptions = ScoreOptions;  // the name before issue 11

// What a conditional model takes (gm_model_condition): kind is a GM_CONDITION_* value, dim
// the number of classes or the vector width (0 until fit fixes it).
struct Condition {
  int32_t kind = GM_CONDITION_NONE;
  int64_t dim = 0;
};

struct DataShape {
  int64_t d = 0, channels = 0, height = 0, width = 0;
};

// ------------------------------------------------------------------ library

inline std::string version() { return gm_version(); }
inline int32_t abi_version() { return gm_abi_version(); }
inline std::string build_info() { return gm_build_info(); }

// Throws VersionMismatch when the linked library has another ABI than this header.
inline void check_abi() {
  if (gm_abi_version() != GM_ABI_VERSION)
    throw VersionMismatch("genmodels: the linked library has ABI " + std::to_string(gm_abi_version()) +
                          ", this program was compiled against ABI " + std::to_string(GM_ABI_VERSION));
}

inline std::string kinds_json() {
  gm_buffer* out = nullptr;
  detail::Call call;
  call.check(gm_kinds_json(&out, call.err()));
  return detail::text_of(detail::Buffer(out));
}

inline uint32_t kind_capabilities(const std::string& kind) {
  uint32_t caps = 0;
  detail::Call call;
  call.check(gm_kind_capabilities(kind.c_str(), &caps, call.err()));
  return caps;
}

// ------------------------------------------------------------------ models

class Model {
 public:
  // config_json: a JSON object of hyper-parameters ("" = defaults).
  explicit Model(const std::string& kind, const std::string& config_json = "") {
    gm_model* m = nullptr;
    detail::Call call;
    call.check(gm_model_create(kind.c_str(), config_json.c_str(), &m, call.err()));
    handle_.reset(m);
  }
  // Takes ownership of a handle from the C API.
  explicit Model(gm_model* adopt) noexcept : handle_(adopt) {}

  static Model load(const std::string& path) {
    gm_model* m = nullptr;
    detail::Call call;
    call.check(gm_model_load(path.c_str(), &m, call.err()));
    return Model(m);
  }
  static Model from_bytes(Span<const uint8_t> bytes) {
    gm_model* m = nullptr;
    detail::Call call;
    call.check(gm_model_load_buffer(bytes.data(), bytes.ssize(), &m, call.err()));
    return Model(m);
  }

  gm_model* get() const noexcept { return handle_.get(); }
  gm_model* release() noexcept { return handle_.release(); }

  std::string kind() const {
    const char* k = gm_model_kind(get());
    return k ? k : "";
  }
  uint32_t capabilities() const {
    uint32_t caps = 0;
    detail::Call call;
    call.check(gm_model_capabilities(get(), &caps, call.err()));
    return caps;
  }
  bool has(uint32_t capability) const { return (capabilities() & capability) == capability; }
  std::string config_json() const {
    gm_buffer* out = nullptr;
    detail::Call call;
    call.check(gm_model_config_json(get(), &out, call.err()));
    return detail::text_of(detail::Buffer(out));
  }
  bool is_fitted() const {
    int32_t fitted = 0;
    detail::Call call;
    call.check(gm_model_is_fitted(get(), &fitted, call.err()));
    return fitted != 0;
  }
  DataShape data_shape() const {
    DataShape s;
    detail::Call call;
    call.check(gm_model_data_shape(get(), &s.d, &s.channels, &s.height, &s.width, call.err()));
    return s;
  }
  // M for kinds with GM_CAP_LEVELS (2 before a fit), 2 for binary kinds, 0 for real values.
  int64_t levels() const {
    int64_t m = 0;
    detail::Call call;
    call.check(gm_model_levels(get(), &m, call.err()));
    return m;
  }
  int64_t encode_dim() const {
    int64_t w = 0;
    detail::Call call;
    call.check(gm_model_encode_dim(get(), &w, call.err()));
    return w;
  }
  int64_t latent_dim() const {
    int64_t w = 0;
    detail::Call call;
    call.check(gm_model_latent_dim(get(), &w, call.err()));
    return w;
  }
  genmodels::Condition condition() const {
    genmodels::Condition c;
    detail::Call call;
    call.check(gm_model_condition(get(), &c.kind, &c.dim, call.err()));
    return c;
  }

  void fit(const Rows& data, const FitOptions& options = {}) {
    struct Context {
      const Progress* progress;
      const EpochCallback* on_epoch;
      std::exception_ptr error;
    } ctx{&options.progress, &options.on_epoch, nullptr};
    gm_fit_options o = detail::defaults_of(gm_fit_options_init_sized);
    o.epochs = options.epochs, o.batch_size = options.batch_size;
    o.learning_rate = options.learning_rate, o.seed = options.seed, o.threads = options.threads;
    o.validation_fraction = options.validation_fraction, o.patience = options.patience;
    o.warm_start = options.warm_start ? 1 : 0, o.checkpoint_every = options.checkpoint_every;
    o.checkpoint_path = options.checkpoint_path.empty() ? nullptr : options.checkpoint_path.c_str();
    if (options.on_epoch) {
      o.epoch_user_data = &ctx;
      o.epoch_callback = [](const gm_epoch_report* r, void* user) -> int32_t {
        auto* c = static_cast<Context*>(user);
        EpochReport report;
        report.epoch = r->epoch, report.last_epoch = r->last_epoch;
        report.train_loss = r->train_loss, report.validation_loss = r->validation_loss;
        report.best_epoch = r->best_epoch;
        report.discriminator_loss = r->discriminator_loss, report.generator_loss = r->generator_loss;
        report.images_per_second = r->images_per_second, report.epoch_seconds = r->epoch_seconds;
        report.elapsed_seconds = r->elapsed_seconds, report.eta_seconds = r->eta_seconds;
        report.stopping = r->stopping != 0;
        try {
          return (*c->on_epoch)(report) ? 1 : 0;
        } catch (...) {  // never across the C boundary: stop fit and rethrow after it
          c->error = std::current_exception();
          return 1;
        }
      };
    }
    if (options.progress) {
      o.user_data = &ctx;
      o.progress = [](int64_t step, int64_t total, double loss, void* user) -> int32_t {
        auto* c = static_cast<Context*>(user);
        try {
          return (*c->progress)(step, total, loss) ? 1 : 0;
        } catch (...) {  // never across the C boundary: stop fit and rethrow after it
          c->error = std::current_exception();
          return 1;
        }
      };
    }
    const gm_data v = data.c();
    detail::Call call;
    const int32_t status = gm_model_fit(get(), &v, &o, call.err());
    if (ctx.error) std::rethrow_exception(ctx.error);
    call.check(status);
  }

  // sample: n rows of D values.
  void sample(int64_t n, Span<float> out, const SampleOptions& options = {}) const {
    const gm_sample_options o = options.c();
    detail::Call call;
    call.check(gm_model_sample(get(), n, &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<float> sample(int64_t n, const SampleOptions& options = {}) const {
    std::vector<float> out(rows_size(n, data_shape().d));
    sample(n, Span<float>(out), options);
    return out;
  }

  // log p(x) in nats per row.
  void log_prob(const Rows& data, Span<double> out, const ScoreOptions& options = {}) const {
    const gm_data v = data.c();
    const gm_score_options o = options.c();
    detail::Call call;
    call.check(gm_model_log_prob(get(), &v, &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<double> log_prob(const Rows& data, const ScoreOptions& options = {}) const {
    std::vector<double> out(rows_size(data.n, 1));
    log_prob(data, Span<double>(out), options);
    return out;
  }

  // Features of each row (encode_dim() values per row).
  void encode(const Rows& data, Span<float> out, const ScoreOptions& options = {}) const {
    const gm_data v = data.c();
    const gm_score_options o = options.c();
    detail::Call call;
    call.check(gm_model_encode(get(), &v, &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<float> encode(const Rows& data, const ScoreOptions& options = {}) const {
    std::vector<float> out(rows_size(data.n, encode_dim()));
    encode(data, Span<float>(out), options);
    return out;
  }

  // Latent codes (latent_dim() values per row) to rows of D values.
  void decode(const Rows& codes, Span<float> out, const SampleOptions& options = {}) const {
    const gm_data v = codes.c();
    const gm_sample_options o = options.c();
    detail::Call call;
    call.check(gm_model_decode(get(), &v, &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<float> decode(const Rows& codes, const SampleOptions& options = {}) const {
    latent_dim();  // Unsupported before the output size is needed
    std::vector<float> out(rows_size(codes.n, data_shape().d));
    decode(codes, Span<float>(out), options);
    return out;
  }

  // Fills the entries whose `observed` byte is 0 (n * d bytes).
  void complete(const Rows& data, Span<const uint8_t> observed, Span<float> out,
                const SampleOptions& options = {}) const {
    const gm_data v = data.c();
    const gm_sample_options o = options.c();
    if (observed.data() && observed.ssize() < data.n * data.d)
      throw InvalidArgument("genmodels::Model::complete: observed has " + std::to_string(observed.size()) +
                            " bytes, the data has " + std::to_string(data.n * data.d) + " values");
    detail::Call call;
    call.check(gm_model_complete(get(), &v, observed.data(), &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<float> complete(const Rows& data, Span<const uint8_t> observed, const SampleOptions& options = {}) const {
    std::vector<float> out(rows_size(data.n, data.d));
    complete(data, observed, Span<float>(out), options);
    return out;
  }

  // Whole images from k key patches each (puzzlegan; gm_model_complete_from_parts): patches
  // holds n * k rows of C x P x P values (image after image), positions 2 * n * k values, the
  // (top, left) of each patch; out receives n * d values, image r generated from its k patches.
  void complete_from_parts(const Rows& patches, Span<const int64_t> positions, int64_t k, Span<float> out,
                           const SampleOptions& options = {}) const {
    const gm_data v = patches.c();
    const gm_sample_options o = options.c();
    if (positions.data() && positions.ssize() < 2 * patches.n)
      throw InvalidArgument("genmodels::Model::complete_from_parts: positions has " + std::to_string(positions.size()) +
                            " values, " + std::to_string(patches.n) + " patches need " + std::to_string(2 * patches.n));
    detail::Call call;
    call.check(gm_model_complete_from_parts(get(), &v, positions.data(), k, &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<float> complete_from_parts(const Rows& patches, Span<const int64_t> positions, int64_t k,
                                         const SampleOptions& options = {}) const {
    // k < 1 or a count that does not split into images: the library says which (no output).
    const int64_t n = k > 0 && patches.n % k == 0 ? patches.n / k : 0;
    std::vector<float> out(rows_size(n, data_shape().d));
    complete_from_parts(patches, positions, k, Span<float>(out), options);
    return out;
  }

  // The domain names of a translating model as a JSON array, in index order.
  std::string domains_json() const {
    gm_buffer* out = nullptr;
    detail::Call call;
    call.check(gm_model_domains_json(get(), &out, call.err()));
    return detail::text_of(detail::Buffer(out));
  }
  // Each row of data translated to the target domain: out holds n * d values.
  void translate(const Rows& data, Span<float> out, const TranslateOptions& options) const {
    const gm_data v = data.c();
    const gm_translate_options o = options.c();
    detail::Call call;
    call.check(gm_model_translate(get(), &v, &o, out.data(), out.ssize(), call.err()));
  }
  std::vector<float> translate(const Rows& data, const TranslateOptions& options) const {
    std::vector<float> out(rows_size(data.n, data.d));
    translate(data, Span<float>(out), options);
    return out;
  }

  void save(const std::string& path) const {
    detail::Call call;
    call.check(gm_model_save(get(), path.c_str(), call.err()));
  }
  // A checkpoint: the model file plus the training state of a gradient-trained kind (optimiser
  // moments, epoch and step counters, shuffle order), written atomically. Model::load opens
  // it, and fit with warm_start then resumes exactly where it was written. Unsupported for the
  // closed-form kinds; NotFitted without training state (never fitted in this process, or
  // loaded from a plain model file).
  void save_checkpoint(const std::string& path) const {
    detail::Call call;
    call.check(gm_model_save_checkpoint(get(), path.c_str(), call.err()));
  }
  genmodels::TrainingProgress training_progress() const {
    genmodels::TrainingProgress p;
    detail::Call call;
    call.check(gm_model_training_progress(get(), &p.epochs_done, &p.epochs_planned, call.err()));
    return p;
  }
  std::vector<uint8_t> to_bytes() const {
    gm_buffer* out = nullptr;
    detail::Call call;
    call.check(gm_model_save_buffer(get(), &out, call.err()));
    const detail::Buffer buf(out);
    const uint8_t* p = gm_buffer_data(buf.get());
    return std::vector<uint8_t>(p, p + gm_buffer_size(buf.get()));
  }

 private:
  static size_t rows_size(int64_t n, int64_t width) {
    return n > 0 && width > 0 ? static_cast<size_t>(n) * static_cast<size_t>(width) : 0;
  }
  std::unique_ptr<gm_model, detail::ModelDeleter> handle_;
};

// ------------------------------------------------------------------ data sets

struct DatasetOptions {
  double binarize = -1;      // t >= 0 maps x >= t to 1, else 0
  int64_t max_examples = 0;  // 0 = all
  int64_t levels = 0;        // M in [2, 256] quantises [0,1] to the levels 0..M-1; 0 = keep
};

class Dataset {
 public:
  explicit Dataset(const std::string& spec, const DatasetOptions& options = {}) {
    gm_dataset_options o = detail::defaults_of(gm_dataset_options_init_sized);
    o.binarize = options.binarize, o.max_examples = options.max_examples, o.levels = options.levels;
    gm_dataset* ds = nullptr;
    detail::Call call;
    call.check(gm_dataset_load(spec.c_str(), &o, &ds, call.err()));
    handle_.reset(ds);
  }
  gm_dataset* get() const noexcept { return handle_.get(); }

  // A view of the rows, valid while this Dataset lives.
  Rows rows() const {
    gm_data v;  // the _sized view fills only this header's gm_data
    std::memset(&v, 0, sizeof v);
    detail::Call call;
    call.check(gm_dataset_view_sized(get(), &v, static_cast<uint32_t>(sizeof v), call.err()));
    Rows r(v.x, v.n, v.d);
    r.image(v.channels, v.height, v.width).with_labels(v.labels, v.num_classes);
    r.conditions = v.conditions, r.condition_dim = v.condition_dim;
    r.levels = v.levels;
    return r;
  }

 private:
  std::unique_ptr<gm_dataset, detail::DatasetDeleter> handle_;
};

inline void write_png_grid(const std::string& path, const Rows& images, int64_t columns = 0) {
  const gm_data v = images.c();
  detail::Call call;
  call.check(gm_png_grid_write(path.c_str(), &v, columns, call.err()));
}

// ------------------------------------------------------------------ sentences

// The hashed word and bigram features of a sentence (gm_text_features_compute, "words-v1"):
// the condition vector a cgan with {"condition": "text", "text_features": "words-v1"} takes per
// row, dim values with L2 norm 1 (or 0). New text cgans default to "subword-v2": see below.
inline void text_features(const std::string& sentence, Span<float> out) {
  detail::Call call;
  call.check(gm_text_features_compute(sentence.c_str(), out.ssize(), out.data(), call.err()));
}
inline std::vector<float> text_features(const std::string& sentence, int64_t dim) {
  std::vector<float> out(dim > 0 ? static_cast<size_t>(dim) : 0);
  detail::Call call;
  call.check(gm_text_features_compute(sentence.c_str(), dim, out.data(), call.err()));
  return out;
}
// One row per sentence, (sentences.size(), dim) row-major: gm_data.conditions for fit.
inline std::vector<float> text_features(const std::vector<std::string>& sentences, int64_t dim) {
  std::vector<float> out(dim > 0 ? sentences.size() * static_cast<size_t>(dim) : 0);
  for (size_t r = 0; r < sentences.size(); ++r) {
    detail::Call call;
    call.check(gm_text_features_compute(sentences[r].c_str(), dim,
                                        out.data() + r * static_cast<size_t>(dim > 0 ? dim : 0), call.err()));
  }
  return out;
}
// The features of a named version, "words-v1" (the functions above) or "subword-v2"
// (gm_text_features_compute_v).
inline std::vector<float> text_features(const std::string& sentence, const std::string& version, int64_t dim) {
  std::vector<float> out(dim > 0 ? static_cast<size_t>(dim) : 0);
  detail::Call call;
  call.check(gm_text_features_compute_v(sentence.c_str(), version.c_str(), dim, out.data(), call.err()));
  return out;
}
// The condition vector a fitted text cgan takes for a sentence: its own version and width
// (gm_model_text_features). Use this one to sample from a model.
inline std::vector<float> text_features(const Model& model, const std::string& sentence) {
  const int64_t dim = model.condition().dim;
  std::vector<float> out(dim > 0 ? static_cast<size_t>(dim) : 0);
  detail::Call call;
  call.check(gm_model_text_features(model.get(), sentence.c_str(), out.data(), call.err()));
  return out;
}

}  // namespace genmodels

#endif  // GENMODELS_GENMODELS_HPP
