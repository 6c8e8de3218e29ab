/*
 * genmodels.h — the stable C ABI of genmodels, a library of generative models.
 *
 * Rules this header keeps (docs/design.md, "The C ABI"):
 *  - Opaque typed handles with create/free pairs; every free function accepts NULL.
 *  - Every fallible function returns an int32_t status (GM_OK == 0) and takes a last
 *    `gm_error** err` that may be NULL. On failure *err receives an error object
 *    (code + message) owned by the caller and released with gm_error_free. The error
 *    travels with the call, so it is safe under goroutine/thread migration.
 *  - No C++ exception ever crosses this boundary; no struct is passed by value; counts
 *    and sizes are int64_t.
 *  - Options structs begin with `uint32_t struct_size` and are filled with defaults by
 *    their *_init function. Fields are only ever appended, so an old caller's smaller
 *    struct keeps working.
 *  - Fixed-size outputs go into caller buffers whose capacity (in elements) is checked;
 *    variable-size outputs come back as an owned gm_buffer.
 *  - log_prob is in nats per example, summed over dimensions.
 *
 * Names: gm_<object>_<verb> (gm_model_fit, gm_png_grid_write, gm_text_features_compute), or
 * gm_<object>_<property> for queries (gm_model_kind, gm_error_message, gm_buffer_size).
 * Names that stay as they are, and why:
 *  - gm_version, gm_abi_version, gm_build_info: properties of the library itself, the one
 *    object that needs no handle; "gm_library_version" would only lengthen them.
 *  - gm_kinds_json: a property (the JSON list) of the one set of kinds, like
 *    gm_model_config_json is of a model; gm_kind_capabilities asks about one kind.
 *  - gm_status_name: a property of a status value.
 *  - gm_*_init, gm_*_init_sized, gm_dataset_view_sized: <object>_<verb>[_variant] already.
 * Renamed before the ABI was frozen (issue 11); the old names stay, deprecated, as
 * aliases with the same behaviour (GM_DEPRECATED: a compiler warning, silenced by defining
 * GM_NO_DEPRECATION_WARNINGS before including this header):
 *    gm_write_png_grid           -> gm_png_grid_write
 *    gm_text_features            -> gm_text_features_compute
 *    gm_eval_options (typedef)   -> gm_score_options  ("eval" is the GAN yardstick elsewhere;
 *    gm_eval_options_init        -> gm_score_options_init      these options configure
 *    gm_eval_options_init_sized  -> gm_score_options_init_sized  log_prob and encode)
 *
 * Statuses, capabilities and condition kinds are typed enums (gm_status, gm_capability,
 * gm_condition_kind) whose enumerators keep the numbers and names the macros had; each name
 * is also #defined to itself, so `#ifdef GM_CAP_COMPLETE` still tells whether a header has
 * it (arithmetic in `#if` on them does not work: they are enumerators). Functions keep
 * returning int32_t and writing uint32_t / int32_t rather than the enum types: the size of a
 * C enum is the compiler's choice, while every binding declares these as fixed 32-bit
 * integers, and a newer library may return a status this header does not list yet (compare
 * with the enumerators; switch with a default case).
 *
 * Thread safety: gm_model_sample, gm_model_log_prob, gm_model_encode, gm_model_decode,
 * gm_model_complete, gm_model_translate, gm_model_save*, and every query on one fitted
 * model may run concurrently from many threads (each call has its own scratch memory and
 * its own seed). gm_model_fit, gm_model_free and anything that replaces a handle need
 * exclusive access. The fit progress callback runs on the thread that called gm_model_fit.
 *
 * This header changes only by appending once released: no declaration, enumerator value,
 * struct field or exported symbol is removed, renamed or reordered; new declarations sit
 * beside the ones they belong with. GM_ABI_VERSION counts breaking changes (there are none
 * so far).
 */
#ifndef GENMODELS_GENMODELS_H
#define GENMODELS_GENMODELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(GM_BUILDING_LIBRARY)
#define GM_API __declspec(dllexport)
#elif defined(__GNUC__)
#define GM_API __attribute__((visibility("default")))
#else
#define GM_API
#endif

#define GM_ABI_VERSION 1

/* Marks a deprecated alias; define GM_NO_DEPRECATION_WARNINGS to silence the warnings. */
#if defined(GM_NO_DEPRECATION_WARNINGS) || defined(GM_BUILDING_LIBRARY)
#define GM_DEPRECATED(replacement)
#elif defined(__GNUC__) || defined(__clang__)
#define GM_DEPRECATED(replacement) __attribute__((deprecated("use " replacement)))
#elif defined(_MSC_VER)
#define GM_DEPRECATED(replacement) __declspec(deprecated("use " replacement))
#else
#define GM_DEPRECATED(replacement)
#endif

/* ---------------------------------------------------------------- status codes */

typedef enum gm_status {
  GM_OK = 0,
  GM_INVALID_ARGUMENT = 1,  /* a NULL pointer, a negative count, a bad option value */
  GM_UNSUPPORTED = 2,       /* this kind has no such verb (the message says why) */
  GM_BUFFER_TOO_SMALL = 3,  /* output capacity smaller than what the call writes */
  GM_INVALID_DATA = 4,      /* NaN/Inf, non-binary data for a binary model, wrong width */
  GM_INVALID_CONFIG = 5,    /* unknown key, wrong type or out-of-range hyper-parameter */
  GM_UNKNOWN_KIND = 6,      /* the kind name is not one genmodels knows */
  GM_NOT_FITTED = 7,        /* the verb needs a fitted model */
  GM_IO_ERROR = 8,          /* a file could not be opened, read or written */
  GM_CORRUPT_FILE = 9,      /* a model or data file is malformed or hostile */
  GM_CANCELLED = 10,        /* the progress callback asked to stop */
  GM_DIVERGED = 11,         /* training produced a non-finite loss or gradient */
  GM_OUT_OF_MEMORY = 12,    /* an allocation failed or a size budget was exceeded */
  GM_VERSION_MISMATCH = 13, /* a file written by an incompatible library version */
  GM_INTERNAL = 99          /* a bug in genmodels: please report it with the message */
} gm_status;
#define GM_OK GM_OK
#define GM_INVALID_ARGUMENT GM_INVALID_ARGUMENT
#define GM_UNSUPPORTED GM_UNSUPPORTED
#define GM_BUFFER_TOO_SMALL GM_BUFFER_TOO_SMALL
#define GM_INVALID_DATA GM_INVALID_DATA
#define GM_INVALID_CONFIG GM_INVALID_CONFIG
#define GM_UNKNOWN_KIND GM_UNKNOWN_KIND
#define GM_NOT_FITTED GM_NOT_FITTED
#define GM_IO_ERROR GM_IO_ERROR
#define GM_CORRUPT_FILE GM_CORRUPT_FILE
#define GM_CANCELLED GM_CANCELLED
#define GM_DIVERGED GM_DIVERGED
#define GM_OUT_OF_MEMORY GM_OUT_OF_MEMORY
#define GM_VERSION_MISMATCH GM_VERSION_MISMATCH
#define GM_INTERNAL GM_INTERNAL

/* ---------------------------------------------------------------- errors */

typedef struct gm_error gm_error;

/* The status of an error object (GM_INTERNAL for NULL). */
GM_API int32_t gm_error_code(const gm_error* err);
/* Its message, valid until gm_error_free ("" for NULL). */
GM_API const char* gm_error_message(const gm_error* err);
GM_API void gm_error_free(gm_error* err);
/* A constant name for a status, e.g. "GM_INVALID_DATA" ("GM_UNKNOWN_STATUS" otherwise). */
GM_API const char* gm_status_name(int32_t status);

/* ---------------------------------------------------------------- library */

/* "MAJOR.MINOR.PATCH" of the library that is linked. */
GM_API const char* gm_version(void);
/* Must equal GM_ABI_VERSION of the header a program was compiled against. */
GM_API int32_t gm_abi_version(void);
/* JSON: version, abi_version, compiler, oneDNN version, build type, OpenMP threads. */
GM_API const char* gm_build_info(void);

/* ---------------------------------------------------------------- owned buffers */

/* Bytes owned by the library (a serialised model, a JSON text). JSON texts are
 * NUL-terminated; gm_buffer_size does not count the terminator. */
typedef struct gm_buffer gm_buffer;
GM_API const uint8_t* gm_buffer_data(const gm_buffer* buf);
GM_API int64_t gm_buffer_size(const gm_buffer* buf);
GM_API void gm_buffer_free(gm_buffer* buf);

/* ---------------------------------------------------------------- data views */

/* A borrowed view of N examples of D float32 values, row-major. Nothing is copied or
 * kept after the call returns.
 *  - channels/height/width: optional image layout (0 = not an image). When given,
 *    channels*height*width must equal d; convolutional models and PNG grids use it.
 *    fit stores it in the model (gm_model_data_shape; saved in the model file). log_prob,
 *    encode and complete refuse data whose layout differs from a fitted model's layout
 *    (GM_INVALID_DATA, naming both); flat rows (0s) of the right width are accepted.
 *  - labels: optional N class indices in [0, num_classes) for conditional models.
 *  - conditions: optional N x condition_dim float32 condition vectors, row-major.
 *  - levels: the level count M of discrete pixels, whose values are the integers 0..M-1
 *    stored as floats (M = 2: binary). 0 = not stated: binary kinds take it as 2, kinds
 *    with GM_CAP_LEVELS as their own M (2 for a first fit), real-valued kinds (vae, the GAN
 *    family) as values in [0, 1]. A stated M must be in [2, 256] and equal a fitted model's
 *    M (gm_model_levels); values outside [0, M) or not integers are GM_INVALID_DATA. */
typedef struct gm_data {
  uint32_t struct_size;
  const float* x;
  int64_t n;
  int64_t d;
  int64_t channels;
  int64_t height;
  int64_t width;
  const int32_t* labels;
  int64_t num_classes;
  const float* conditions;
  int64_t condition_dim;
  int64_t levels; /* appended with M-level pixels; 0 = not stated */
} gm_data;
GM_API void gm_data_init(gm_data* data);

/* ---------------------------------------------------------------- options */

/* Return nonzero to cancel fit; fit then returns GM_CANCELLED (within one batch). A refit
 * (the model was fitted before the call) leaves the model exactly as it was before the call;
 * a first fit keeps the parameters of its last completed step (closed-form kinds: stays
 * unfitted). step counts from 1 to total. */
typedef int32_t (*gm_progress_fn)(int64_t step, int64_t total, double loss, void* user_data);

/* What a fit reports after each epoch (gm_fit_options.epoch_callback). Losses are mean
 * per-example values: nats (negative log-likelihood or its bound) for likelihood kinds; for
 * the GAN family train_loss is discriminator_loss + generator_loss. */
typedef struct gm_epoch_report {
  uint32_t struct_size;
  int64_t epoch;             /* counts from 1, continuing across warm-started fits */
  int64_t last_epoch;        /* the epoch this fit ends at unless it stops early */
  double train_loss;         /* mean training loss over the epoch's batches */
  double validation_loss;    /* mean loss on the held-out rows; NaN without a validation split */
  int64_t best_epoch;        /* the epoch whose parameters a validated fit keeps; else epoch */
  double discriminator_loss; /* GAN family: the epoch's mean L_D; else NaN */
  double generator_loss;     /* GAN family: the epoch's mean L_G; else NaN */
  double images_per_second;  /* training rows per second over this epoch */
  double epoch_seconds;      /* wall time of this epoch */
  double elapsed_seconds;    /* wall time since this fit started */
  double eta_seconds;        /* estimated wall time to last_epoch (elapsed / epochs done so far) */
  int32_t stopping;          /* 1 when early stopping ends the fit after this epoch */
} gm_epoch_report;
typedef int32_t (*gm_epoch_fn)(const gm_epoch_report* report, void* user_data);

typedef struct gm_fit_options {
  uint32_t struct_size;
  int64_t epochs;          /* default 10; closed-form kinds need a single pass and ignore it */
  int64_t batch_size;      /* default 100 */
  double learning_rate;    /* default 0 = the kind's own default */
  uint64_t seed;           /* default 0 */
  int32_t threads;         /* default 0 = all cores */
  gm_progress_fn progress; /* may be NULL */
  void* user_data;
  /* Gradient-trained kinds: hold out this fraction of the rows (after a seeded shuffle)
   * and score it after every epoch; with patience > 0, stop after that many epochs without
   * improvement and keep the best parameters. Default 0 / 0 = no validation. */
  double validation_fraction;
  int64_t patience;
  /* ---- appended in 0.3 (training a user can watch, stop and resume) ---- */
  /* Called after every completed epoch of a gradient-trained kind (closed-form kinds make
   * one pass and call it once), on the thread that called gm_model_fit; may be NULL. Return
   * nonzero to cancel, as with progress. The report is valid during the call only. */
  gm_epoch_fn epoch_callback;
  void* epoch_user_data;
  /* 0 (default): fit from scratch, replacing whatever the model held.
   * 1: continue from the model's current state when it is fitted (an unfitted model fits
   *    from scratch). Gradient-trained kinds train `epochs` more epochs from their current
   *    parameters; a model fitted or loaded from a checkpoint in this process also resumes
   *    its optimiser state, epoch and step counters and shuffle order, so 1 + 1 warm-started
   *    epochs equal 2 epochs bit for bit with the same seed, batch size and data. A model
   *    loaded from a plain model file continues its parameters with a fresh optimiser.
   *    Closed-form kinds (bernoulli, markov) add the new rows' counts to the old ones, so
   *    fitting chunk by chunk equals one fit on all the rows exactly (partial fit).
   * The data must have the width (and layout) the model was fitted on. */
  int32_t warm_start;
  /* Gradient-trained kinds: every checkpoint_every epochs (and after the last), write a
   * checkpoint to checkpoint_path atomically (temporary file, fsync, rename), replacing the
   * previous one. 0 / NULL (default): none. See gm_model_save_checkpoint. */
  int64_t checkpoint_every;
  const char* checkpoint_path;
  /* ---- appended in issue 18 (data-parallel fit over MPI; docs/distributed.md) ---- */
  /* 0 (default): this process alone. 1: a data-parallel fit over the ranks of an MPI
   * communicator. Every rank calls gm_model_fit with the same data and options; each computes
   * the gradients of its block of every batch, the gradients (closed forms: the counts) are
   * summed over the ranks with MPI_Allreduce, and every rank ends with the same model. A
   * failure on one rank makes gm_model_fit return an error on every rank. Checkpoints are
   * written by rank 0 only; callbacks run on every rank. GM_UNSUPPORTED when the library was
   * built without MPI (gm_build_info: "mpi"). */
  int32_t distributed;
  /* With distributed = 1: the address of the MPI_Comm to train over (MPI must be initialised
   * by the caller); NULL = MPI_COMM_WORLD, which the library initialises itself (and finalises
   * at exit) when the caller has not. Not read when distributed = 0. */
  const void* mpi_comm;
  /* With distributed = 1: 0 (default) = each rank's batch-norm layers use the statistics of
   * its own rows; 1 = the statistics of the whole global batch, summed over the ranks (the
   * one-process answer; needs every batch to give each rank a row). Only 0 without it. */
  int32_t sync_batch_norm;
  /* With distributed = 1: 0 (default) = every rank passes the whole data; 1 = each rank passes
   * only its shard, so a rank holds about N / P rows (docs/distributed.md, "Sharded reading").
   * The shard of rank r of P is the rows t (numbered 0..N-1 over the whole data set) with
   * t mod B in [begin, begin + q + (r < m)), q = B / P, m = B % P, begin = r*q + min(r, m),
   * B = min(batch_size, N), in ascending t; N is the sum of the ranks' rows. The batches
   * then follow the striped order, the same on any number of ranks (not the order of a fit
   * with distributed = 0). No validation split; cyclegan, progan, categorical and markov
   * refuse it (GM_UNSUPPORTED). Only 0 without distributed. */
  int32_t sharded;
} gm_fit_options;
GM_API void gm_fit_options_init(gm_fit_options* opts);

/* For sample, decode and complete. labels/conditions give per-row conditions to a
 * conditional kind (N of them, matching the row count of the call). */
typedef struct gm_sample_options {
  uint32_t struct_size;
  uint64_t seed;   /* default 0; the same seed gives the same output on any thread count */
  int32_t threads; /* default 0 = all cores */
  const int32_t* labels;
  const float* conditions;
  int64_t condition_dim;
  /* Appended in issue 16. progan: the stage to draw at, 1 = the lowest resolution, up to the
   * stage the model has reached (GM_INVALID_ARGUMENT beyond it); its images are upsampled
   * (nearest) to the data's size, so the output is always n rows of the data's width.
   * Default 0 = the model's current stage (and fade-in alpha). Other kinds take only 0. */
  int64_t stage;
  /* Appended in issue 17. The truncation trick (Brock et al. 2019): kinds that draw a Gaussian
   * latent code (gan, dcgan, cgan, infogan, vae; puzzlegan's complete_from_parts) draw
   * each of its Gaussian coordinates from the normal conditioned on |z| <= truncation (in units
   * of the coordinate's standard deviation), trading variety for fidelity: smaller is nearer
   * the mode (docs/gan.md, "Truncation"). Default 0 = the full normal; otherwise finite and
   * > 0 (GM_INVALID_ARGUMENT else). Other kinds take only 0. */
  double truncation;
} gm_sample_options;
GM_API void gm_sample_options_init(gm_sample_options* opts);

/* For log_prob and encode (called gm_eval_options before issue 11). */
typedef struct gm_score_options {
  uint32_t struct_size;
  uint64_t seed;   /* default 0 (stochastic bounds only) */
  int32_t threads; /* default 0 = all cores */
  int64_t samples; /* default 0 = the model's own count. Only vae uses it: the importance
                    * samples k of its log_prob bound, whose default is the model's
                    * configuration key "iwae_samples" (gm_model_config_json shows it) */
} gm_score_options;
GM_API void gm_score_options_init(gm_score_options* opts);

/* Deprecated: the old names of gm_score_options and gm_score_options_init. */
typedef gm_score_options gm_eval_options;
GM_DEPRECATED("gm_score_options_init") GM_API void gm_eval_options_init(gm_eval_options* opts);

/* ---------------------------------------------------------------- kinds and capabilities */

typedef enum gm_capability {
  GM_CAP_FIT = 1 << 0,
  GM_CAP_SAMPLE = 1 << 1,
  GM_CAP_LOG_PROB = 1 << 2, /* exact or a documented bound */
  GM_CAP_ENCODE = 1 << 3,
  GM_CAP_DECODE = 1 << 4,
  GM_CAP_COMPLETE = 1 << 5,
  GM_CAP_TRANSLATE = 1 << 6,   /* gm_model_translate (image-to-image: cyclegan, stargan);
                                * reserved and never reported before it existed */
  GM_CAP_CONDITIONAL = 1 << 7, /* fit/sample take labels or condition vectors
                                * (gm_model_condition says which) */
  GM_CAP_BINARY_DATA = 1 << 8, /* data must be exactly 0 or 1 */
  GM_CAP_EXACT_LOG_PROB = 1 << 9,
  GM_CAP_LEVELS = 1 << 10,             /* discrete pixels of M levels, integers in [0, M), M in [2, 256]:
                                        * fit takes M from gm_data.levels (0 = 2; docs/levels.md) and
                                        * gm_model_levels reports it */
  GM_CAP_COMPLETE_FROM_PARTS = 1 << 11 /* gm_model_complete_from_parts: whole images from key
                                        * patches (puzzlegan) */
} gm_capability;
#define GM_CAP_FIT GM_CAP_FIT
#define GM_CAP_SAMPLE GM_CAP_SAMPLE
#define GM_CAP_LOG_PROB GM_CAP_LOG_PROB
#define GM_CAP_ENCODE GM_CAP_ENCODE
#define GM_CAP_DECODE GM_CAP_DECODE
#define GM_CAP_COMPLETE GM_CAP_COMPLETE
#define GM_CAP_TRANSLATE GM_CAP_TRANSLATE
#define GM_CAP_CONDITIONAL GM_CAP_CONDITIONAL
#define GM_CAP_BINARY_DATA GM_CAP_BINARY_DATA
#define GM_CAP_EXACT_LOG_PROB GM_CAP_EXACT_LOG_PROB
#define GM_CAP_LEVELS GM_CAP_LEVELS
#define GM_CAP_COMPLETE_FROM_PARTS GM_CAP_COMPLETE_FROM_PARTS

/* JSON array of {"kind": ..., "capabilities": [...], "description": ..., "config": [...]}.
 * "config" lists the keys gm_model_create's config_json takes, in the kind's order:
 * {"name", "type": "integer" | "number" | "boolean" | "string" | "integers", "default",
 *  "range": [min, max] (numbers; for "integers" each entry's), "count": [min, max] (how many
 *  entries "integers" takes), "values": [...] (a string's allowed values), "doc"}. A key whose
 * doc says "only with ..." applies only when another key has that value. */
GM_API int32_t gm_kinds_json(gm_buffer** out, gm_error** err);
/* The GM_CAP_* bits of a kind (or of a model: gm_model_capabilities). */
GM_API int32_t gm_kind_capabilities(const char* kind, uint32_t* out, gm_error** err);

/* What a conditional model is conditioned on (gm_model_condition). */
typedef enum gm_condition_kind {
  GM_CONDITION_NONE = 0,   /* not conditional; dim = 0 */
  GM_CONDITION_LABEL = 1,  /* class labels (gm_data.labels, gm_sample_options.labels);
                            * dim = the number of classes */
  GM_CONDITION_VECTOR = 2, /* float vectors (gm_data.conditions, gm_sample_options.conditions);
                            * dim = their width */
  GM_CONDITION_TEXT = 3    /* sentences, passed as vectors of gm_text_features_compute(sentence,
                            * dim); dim = their width */
} gm_condition_kind;
#define GM_CONDITION_NONE GM_CONDITION_NONE
#define GM_CONDITION_LABEL GM_CONDITION_LABEL
#define GM_CONDITION_VECTOR GM_CONDITION_VECTOR
#define GM_CONDITION_TEXT GM_CONDITION_TEXT

/* ---------------------------------------------------------------- models */

typedef struct gm_model gm_model;

/* kind: e.g. "bernoulli", "markov". config_json: a JSON object of hyper-parameters, or
 * NULL / "" / "{}" for the defaults. Unknown keys are GM_INVALID_CONFIG. */
GM_API int32_t gm_model_create(const char* kind, const char* config_json, gm_model** out, gm_error** err);
GM_API void gm_model_free(gm_model* model);

/* The kind name (a static string; NULL for a NULL model). */
GM_API const char* gm_model_kind(const gm_model* model);
GM_API int32_t gm_model_capabilities(const gm_model* model, uint32_t* out, gm_error** err);
/* The effective configuration, defaults filled in, as a JSON object. */
GM_API int32_t gm_model_config_json(const gm_model* model, gm_buffer** out, gm_error** err);
/* 1 when the model has been fitted or loaded, else 0. */
GM_API int32_t gm_model_is_fitted(const gm_model* model, int32_t* out, gm_error** err);
/* The data width D the model was fitted on and its image layout (0s if not an image). */
GM_API int32_t gm_model_data_shape(const gm_model* model, int64_t* d, int64_t* channels, int64_t* height,
                                   int64_t* width, gm_error** err);
/* The level count M of a model's pixels (gm_data.levels): M for kinds with GM_CAP_LEVELS
 * (fitted on M-level data; 2 before a fit), 2 for binary kinds, 0 for kinds of real values.
 * Samples and completions of a discrete kind are the integers 0..M-1 as floats. */
GM_API int32_t gm_model_levels(const gm_model* model, int64_t* out, gm_error** err);
/* The width of one row of encode's output (GM_UNSUPPORTED if the kind has no encode). */
GM_API int32_t gm_model_encode_dim(const gm_model* model, int64_t* out, gm_error** err);
/* The width of one latent code that decode takes. */
GM_API int32_t gm_model_latent_dim(const gm_model* model, int64_t* out, gm_error** err);
/* The condition the model takes: *kind receives a GM_CONDITION_* value and *dim the number
 * of classes (LABEL) or the vector width (VECTOR, TEXT); 0 while fit has yet to fix it (a
 * cgan without "classes" / "condition_dim" in its configuration takes them from its data).
 * Works on unfitted models; kind and dim may be NULL. */
GM_API int32_t gm_model_condition(const gm_model* model, int32_t* kind, int64_t* dim, gm_error** err);

/* Fit on N x D data. opts may be NULL (defaults). Refitting replaces the parameters. */
GM_API int32_t gm_model_fit(gm_model* model, const gm_data* data, const gm_fit_options* opts, gm_error** err);

/* Draw n examples into out (capacity in floats, at least n * D). opts may be NULL. */
GM_API int32_t gm_model_sample(const gm_model* model, int64_t n, const gm_sample_options* opts, float* out,
                               int64_t out_capacity, gm_error** err);

/* log p(x) in nats for each of data->n rows into out (capacity >= n). opts may be NULL. */
GM_API int32_t gm_model_log_prob(const gm_model* model, const gm_data* data, const gm_score_options* opts, double* out,
                                 int64_t out_capacity, gm_error** err);

/* Features of each row: out needs n * gm_model_encode_dim floats. */
GM_API int32_t gm_model_encode(const gm_model* model, const gm_data* data, const gm_score_options* opts, float* out,
                               int64_t out_capacity, gm_error** err);

/* Map latent codes (data->d == latent dim) to data space: out needs n * D floats. */
GM_API int32_t gm_model_decode(const gm_model* model, const gm_data* codes, const gm_sample_options* opts, float* out,
                               int64_t out_capacity, gm_error** err);

/* Fill the unobserved entries of partially observed rows. observed has n * D bytes,
 * nonzero = observed; the values of unobserved entries are ignored (NaN is fine).
 * out (n * D floats) receives the observed values unchanged and a draw from the model's
 * conditional for the rest. */
GM_API int32_t gm_model_complete(const gm_model* model, const gm_data* data, const uint8_t* observed,
                                 const gm_sample_options* opts, float* out, int64_t out_capacity, gm_error** err);

/* ---------------------------------------------------------------- model files */

/* Model files are safetensors: any safetensors reader opens the weights; __metadata__
 * holds the library version, the kind and its configuration. Saves are atomic (a
 * temporary file in the same folder, fsync, rename). Loads treat the file as hostile. */
GM_API int32_t gm_model_save(const gm_model* model, const char* path, gm_error** err);
GM_API int32_t gm_model_load(const char* path, gm_model** out, gm_error** err);
GM_API int32_t gm_model_save_buffer(const gm_model* model, gm_buffer** out, gm_error** err);
GM_API int32_t gm_model_load_buffer(const void* data, int64_t size, gm_model** out, gm_error** err);

/* A checkpoint is a model file that also holds the training state of a gradient-trained
 * kind: the optimiser's moments, the epoch and step counters, the shuffle order, the best
 * validation epoch and its parameters, and the fit options it was started with. Any loader
 * (gm_model_load, safetensors readers) opens it as the model; gm_model_load keeps the
 * training state, so gm_model_fit with warm_start = 1 resumes exactly where the checkpoint
 * was written: a fit killed after a checkpoint and resumed ends bit-identical to the
 * uninterrupted fit (same data, seed, batch size, threads). Written atomically.
 * GM_UNSUPPORTED for closed-form kinds (their model file already is their whole state) and
 * GM_NOT_FITTED for a model without training state (never fitted in this process, or loaded
 * from a plain model file). */
GM_API int32_t gm_model_save_checkpoint(const gm_model* model, const char* path, gm_error** err);
/* The training the model holds: *epochs_done epochs so far (0 without training state) and
 * *epochs_planned, the epoch its last fit was asked to reach, or the epoch early stopping
 * ended it at (so a resumed fit that wants the original end runs epochs_planned - epochs_done
 * more; 0 more means that run is complete). Either pointer may be NULL. */
GM_API int32_t gm_model_training_progress(const gm_model* model, int64_t* epochs_done, int64_t* epochs_planned,
                                          gm_error** err);

/* ---------------------------------------------------------------- datasets */

/* A data set loaded by the library from a spec string:
 *   fashion-mnist:train | fashion-mnist:test   (Debian package dataset-fashion-mnist)
 *   idx:IMAGES[:LABELS]   (IDX files, gzip or plain)
 *   images:DIR            (one sub-folder per label; PNG/JPEG/BMP)
 *   npy:FILE[:LABELS.npy]
 *   patches:IMAGE_OR_DIR:SIZE[:STRIDE]
 *                         SIZE x SIZE patches of one photo (PNG/JPEG/BMP) or of every image
 *                         in a folder (names sorted, not recursive), starting every STRIDE
 *                         pixels (default SIZE: side by side), in raster order, image after
 *                         image; edges left over are dropped, so an H x W image gives
 *                         ((H-SIZE)/STRIDE+1) * ((W-SIZE)/STRIDE+1) rows. Rows are C x SIZE x
 *                         SIZE (CHW), no labels; C = 1 only when every image is grey, else 3
 *                         with grey images replicated into R, G, B. SIZE in [1, the smallest
 *                         image side], STRIDE >= 1 (else GM_INVALID_ARGUMENT); the image-folder
 *                         limits apply (4096 pixels a side, 2^28 values in all: GM_INVALID_DATA)
 *                         and the memory budget (GM_OUT_OF_MEMORY). The path may contain ':'
 *                         but not end in ':<digits>'.
 *   builtin:bars-and-stripes[:N]
 * Pixel images are scaled to [0,1]. */
typedef struct gm_dataset gm_dataset;

typedef struct gm_dataset_options {
  uint32_t struct_size;
  double binarize;      /* default -1 = keep values; t >= 0 maps x >= t to 1, else 0 */
  int64_t max_examples; /* default 0 = all; else keep the first max_examples */
  /* default 0 = keep values; M in [2, 256] quantises values in [0, 1] to the integers
   * 0..M-1, level = min(M - 1, floor(x * M)) (M = 256 gives 8-bit pixels back exactly,
   * M = 2 is binarize = 0.5), and the view reports levels = M. Data that are levels already
   * (integers in [0, M), some above 1: a u1 .npy of 8-bit pixels) are kept as they are.
   * Other values outside [0, 1] are GM_INVALID_DATA. Not with binarize
   * (GM_INVALID_ARGUMENT). Appended with M-level pixels. */
  int64_t levels;
} gm_dataset_options;
GM_API void gm_dataset_options_init(gm_dataset_options* opts);

GM_API int32_t gm_dataset_load(const char* spec, const gm_dataset_options* opts, gm_dataset** out, gm_error** err);
GM_API void gm_dataset_free(gm_dataset* ds);
/* Fill a view of the data set (valid until gm_dataset_free). */
GM_API int32_t gm_dataset_view(const gm_dataset* ds, gm_data* out, gm_error** err);

/* Write n images (rows of data, laid out by its channels/height/width, values in [0,1])
 * as one PNG grid with `columns` images per row (0 = square-ish). With images->levels = M
 * the values are the levels 0..M-1 and are drawn as level / (M - 1). */
GM_API int32_t gm_png_grid_write(const char* path, const gm_data* images, int64_t columns, gm_error** err);
/* Deprecated: the old name of gm_png_grid_write. */
GM_DEPRECATED("gm_png_grid_write")
GM_API int32_t gm_write_png_grid(const char* path, const gm_data* images, int64_t columns, gm_error** err);

/* ---------------------------------------------------------------- sized initialisers */

/* The *_init functions above write sizeof() of the struct as this library knows it. A
 * caller compiled against this header has the same size; a foreign-language binding that
 * declares an older, smaller struct must use these instead: they fill only the first
 * struct_size bytes (and set struct_size to it), so a newer library never writes past the
 * caller's struct. gm_dataset_view_sized likewise fills only struct_size bytes of *out. */
GM_API void gm_data_init_sized(gm_data* data, uint32_t struct_size);
GM_API void gm_fit_options_init_sized(gm_fit_options* opts, uint32_t struct_size);
GM_API void gm_sample_options_init_sized(gm_sample_options* opts, uint32_t struct_size);
GM_DEPRECATED("gm_score_options_init_sized")
GM_API void gm_eval_options_init_sized(gm_eval_options* opts, uint32_t struct_size);
GM_API void gm_score_options_init_sized(gm_score_options* opts, uint32_t struct_size);
GM_API void gm_dataset_options_init_sized(gm_dataset_options* opts, uint32_t struct_size);
GM_API int32_t gm_dataset_view_sized(const gm_dataset* ds, gm_data* out, uint32_t struct_size, gm_error** err);

/* ---------------------------------------------------------------- sentences */

/* A sentence as the fixed-width condition vector that cgan with {"condition": "text"}
 * (GAN-CLS, Reed et al. 2016) takes: pass one row per example as gm_data.conditions (with
 * condition_dim = dim) to fit, and as gm_sample_options.conditions to sample and decode.
 * The model learns embeddings of these vectors; it must be given the same dim it was
 * fitted with.
 *   tokens: the sentence lower-cased (ASCII) and split at every byte that is not an ASCII
 *           letter or digit (bytes >= 0x80, i.e. UTF-8 beyond ASCII, stay inside tokens);
 *   counts: for every token w, out[h(w) mod dim] += 1; for every adjacent pair, out[h("a b")
 *           mod dim] += 1 (the two tokens joined by one space), so word order matters;
 *   h:      FNV-1a 64-bit over the bytes (the same buckets on every platform);
 *   scale:  the row is divided by its L2 norm (sentence length does not matter); a
 *           sentence without tokens gives all zeros.
 * sentence is NUL-terminated UTF-8; out receives dim floats (dim >= 1). Thread-safe.
 * These are the "words-v1" features. A text cgan names the features it takes in its key
 * "text_features"; new ones default to "subword-v2": use gm_model_text_features (or
 * gm_text_features_compute_v), both further below. */
GM_API int32_t gm_text_features_compute(const char* sentence, int64_t dim, float* out, gm_error** err);
/* Deprecated: the old name of gm_text_features_compute. */
GM_DEPRECATED("gm_text_features_compute")
GM_API int32_t gm_text_features(const char* sentence, int64_t dim, float* out, gm_error** err);

/* ---------------------------------------------------------------- translation */

/* Image-to-image translation (kinds with GM_CAP_TRANSLATE: cyclegan, stargan; docs/gan.md).
 * Such a kind is fitted on the images of several domains at once: gm_data.labels give each
 * row's domain in [0, num_classes), and the domains need not be paired (no row of one domain
 * corresponds to a row of another). gm_model_domains_json names the domains in index order:
 * cyclegan ["a", "b"] (label 0 = a, 1 = b), stargan one name per domain.
 *
 * The target domain of a translate call: exactly one of
 *   domain       one index for every row (default -1 = not given);
 *   domain_name  one name for every row (NULL = not given);
 *   domains      one index per row, n of them (NULL = not given).
 * Giving none or more than one, an index outside [0, domains) or an unknown name is
 * GM_INVALID_ARGUMENT, and the message lists the model's domains. cyclegan maps a row to the
 * other domain: to "b" by its generator G: a -> b, to "a" by F: b -> a (the input is taken to
 * be of the other domain). stargan conditions its one generator on the target. */
typedef struct gm_translate_options {
  uint32_t struct_size;
  uint64_t seed;   /* default 0; the same output on any thread count */
  int32_t threads; /* default 0 = all cores */
  int64_t domain;
  const char* domain_name;
  const int32_t* domains;
} gm_translate_options;
GM_API void gm_translate_options_init(gm_translate_options* opts);
GM_API void gm_translate_options_init_sized(gm_translate_options* opts, uint32_t struct_size);

/* Translate the n rows of x (the layout the model was fitted on) to the target domain: out
 * receives n * D floats, each row the translation of the same input row. The errors,
 * capacity rule (GM_BUFFER_TOO_SMALL) and thread safety are those of gm_model_sample: several
 * threads may translate with one model at once. GM_UNSUPPORTED for kinds without
 * GM_CAP_TRANSLATE, GM_NOT_FITTED before a fit. */
GM_API int32_t gm_model_translate(const gm_model* model, const gm_data* x, const gm_translate_options* opts, float* out,
                                  int64_t out_capacity, gm_error** err);
/* The domain names of a translating model, as a JSON array of strings in index order
 * (GM_UNSUPPORTED for kinds without GM_CAP_TRANSLATE; an unfitted stargan whose configuration
 * does not fix them has none yet: []). */
GM_API int32_t gm_model_domains_json(const gm_model* model, gm_buffer** out, gm_error** err);

/* ---------------------------------------------------------------- whole images from parts */

/* Generate whole images from a few key patches at known positions (kinds with
 * GM_CAP_COMPLETE_FROM_PARTS: puzzlegan; docs/gan.md, "Whole images from parts").
 *   patches    k patches per image, image after image: patches->n = n * k rows, row r * k + j
 *              the j-th patch of image r, each C x P x P values in [0, 1] (C the model's
 *              channels, P its "patch_size": gm_model_config_json); patches->channels, height
 *              and width, when set, must say C x P x P;
 *   positions  2 * n * k values: (top, left) of each patch, in the order of the rows; a patch
 *              covers rows top .. top + P - 1 and columns left .. left + P - 1 of its S x S
 *              image, so top and left must lie in [0, S - P];
 *   k          patches per image, >= 1 (the model was trained with its "parts" = K; another k
 *              is taken, the encoded patches being averaged);
 *   opts       seed (the noise of image r comes from (seed, r): the same output on any thread
 *              count and in any chunking) and threads; no labels, conditions or stage. May be NULL.
 *   out        n * D floats: image r generated from its k patches.
 * Errors: k < 1, patches->n not a multiple of k, a position outside the image, NULL positions
 * or out (n > 0): GM_INVALID_ARGUMENT; patches of another size or channel count, values
 * outside [0, 1] or not finite: GM_INVALID_DATA; out_capacity < n * D: GM_BUFFER_TOO_SMALL;
 * GM_UNSUPPORTED (with the reason) for kinds without GM_CAP_COMPLETE_FROM_PARTS, GM_NOT_FITTED
 * before a fit. Several threads may call it with one model at once.
 * Why a verb and not more fields in gm_model_complete's options: complete takes whole rows and
 * a mask of their observed pixels and returns the observed pixels unchanged; parts are a
 * different input (small patches and their places, no whole row) and the generated image
 * need not equal them exactly. */
GM_API int32_t gm_model_complete_from_parts(const gm_model* model, const gm_data* patches, const int64_t* positions,
                                            int64_t k, const gm_sample_options* opts, float* out, int64_t out_capacity,
                                            gm_error** err);

/* ---------------------------------------------------------------- limits */

/* What a caller or a file can ask of the library is bounded, so that no input can exhaust
 * the host process's stack, memory or threads, or run for hours before it is refused:
 *   threads            0..4 x the machine's hardware threads (GM_INVALID_ARGUMENT above);
 *   epochs             1..2^24, and epochs x batches per epoch <= 2^40 (GM_INVALID_ARGUMENT);
 *   JSON nesting       32 levels in a configuration or a model file's header; configuration
 *                      text at most 1 MiB (GM_INVALID_CONFIG / GM_CORRUPT_FILE);
 *   model files        a regular file of at most 16 GiB, a header of at most 16 MiB with at
 *                      most 4096 tensors, every weight finite (GM_CORRUPT_FILE / GM_IO_ERROR);
 *   rows and images    a row width of at most 2^26 values, an image side of at most 65 536;
 *   memory             the parameters and working buffers one model allocates must fit a
 *                      budget, checked before allocating (GM_OUT_OF_MEMORY, the message gives
 *                      the figures). Default: half the machine's physical memory.
 * Scores are finite or refused: log_prob and encode return GM_INVALID_DATA naming the row when
 * the computation overflows. */

/* The memory budget in bytes for one model's parameters and working buffers, process-wide;
 * 0 restores the default (half the physical memory). Thread-safe. */
GM_API void gm_set_memory_budget(int64_t bytes);
GM_API int64_t gm_memory_budget(void);

/* ---------------------------------------------------------------- sentences, versioned */

/* The sentence features of a named version (docs/gan.md, "Sentences as features"):
 *   "words-v1"    hashed words and bigrams: exactly gm_text_features_compute;
 *   "subword-v2"  hashed whole words and their character 3- to 5-grams (fastText style,
 *                 word boundaries marked "<" ">"), each word's vector of unit norm, the sum
 *                 divided by its L2 norm; "sneakers" shares most features with "sneaker".
 *   "subword-ids-v3" the same word pieces, not summed but listed as ids for a model that
 *                 learns its own sentence encoder: dim / 32 word slots of 32 values, slot t
 *                 holding 1 + (FNV-1a(piece) mod 16384) for the t-th word's pieces, then 0;
 *                 dim must be a multiple of 32.
 * A cgan with {"condition": "text"} names the version it was fitted on in its configuration
 * key "text_features" (new models: "subword-v2"; files written before the key: "words-v1").
 * Other names: GM_INVALID_ARGUMENT. out receives dim floats (dim >= 1). Thread-safe. */
GM_API int32_t gm_text_features_compute_v(const char* sentence, const char* version, int64_t dim, float* out,
                                          gm_error** err);
/* A sentence as the condition vector of a fitted text cgan: its version and its width (the
 * dim of gm_model_condition), so callers need not know either. out receives dim floats.
 * GM_UNSUPPORTED for a model not conditioned on text, GM_NOT_FITTED before fit. */
GM_API int32_t gm_model_text_features(const gm_model* model, const char* sentence, float* out, gm_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GENMODELS_GENMODELS_H */
