// Package genmodels provides generative models over the genmodels C ABI.
//
//	m, err := genmodels.New("markov", map[string]any{"order": 2})
//	if err != nil { ... }
//	defer m.Close()
//	err = m.Fit(genmodels.Rows(x, 9), nil)
//	lp, err := m.LogProb(genmodels.Rows(x, 9), nil)
//
// Errors are *Error values carrying the library's status Code and message; they come back
// with each call (never from a thread-local), so goroutines may move between threads freely.
// A Code is itself an error, for errors.Is(err, genmodels.Cancelled).
//
// Thread safety follows the ABI: every method except Fit and Close may run concurrently on
// one Model; Fit and Close wait for them (a sync.RWMutex). A progress callback must not use
// the model it is fitting.
//
// Linking: the static archive by default (link_static.go: pkg-config genmodels-static), so
// a Go binary does not need libgenmodels.so where it runs (only oneDNN and OpenMP, which
// Debian ships as shared libraries); build with -tags genmodels_shared to link the shared
// library instead. pkg-config must find genmodels: an install under /usr or /usr/local
// needs nothing, another prefix needs PKG_CONFIG_PATH=<prefix>/lib/pkgconfig,
// a build tree PKG_CONFIG_PATH=<build>/capi (docs/bindings.md, "Go").
package genmodels

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <genmodels/genmodels.h>

// Defined in progress.go (//export; cgo declares the report without const).
extern int32_t goGenmodelsProgress(int64_t step, int64_t total, double loss, void* user);
extern int32_t goGenmodelsEpoch(gm_epoch_report* report, void* user);

// cgo lets Go pass Go pointers as arguments but not store them in memory handed to C, so
// gm_data and gm_sample_options (which hold pointers) are assembled here, on the C side.
typedef struct {
  int64_t n, d, channels, height, width, num_classes, condition_dim, levels;
} gmgo_shape;

typedef struct {
  uint64_t seed;
  int32_t threads;
  int64_t condition_dim;
  int64_t stage;
  double truncation;
} gmgo_sample;

// The library's defaults for this header's struct: *_init_sized fills only sizeof(T)
// bytes, so a newer library (whose structs have grown) cannot write past it.
#define GMGO_DEFAULTS(T)                        \
  static T gmgo_##T##_defaults(void) {          \
    T v;                                        \
    memset(&v, 0, sizeof v);                    \
    T##_init_sized(&v, (uint32_t)sizeof v);     \
    return v;                                   \
  }
GMGO_DEFAULTS(gm_fit_options)
GMGO_DEFAULTS(gm_sample_options)
GMGO_DEFAULTS(gm_score_options)
GMGO_DEFAULTS(gm_dataset_options)
GMGO_DEFAULTS(gm_translate_options)

static gm_data gmgo_data(const float* x, const int32_t* labels, const float* cond, const gmgo_shape* s) {
  gm_data v;
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  v.x = x, v.n = s->n, v.d = s->d;
  v.channels = s->channels, v.height = s->height, v.width = s->width;
  v.labels = labels, v.num_classes = s->num_classes;
  v.conditions = cond, v.condition_dim = s->condition_dim;
  v.levels = s->levels;
  return v;
}

static gm_sample_options gmgo_sample_options(const gmgo_sample* s, const int32_t* labels, const float* cond) {
  gm_sample_options o = gmgo_gm_sample_options_defaults();
  o.seed = s->seed, o.threads = s->threads;
  o.labels = labels, o.conditions = cond, o.condition_dim = s->condition_dim;
  o.stage = s->stage;
  o.truncation = s->truncation;
  return o;
}

// handle carries the Go callbacks: progress when on_step, epoch_callback when on_epoch.
static int32_t gmgo_fit(gm_model* m, const float* x, const int32_t* labels, const float* cond,
                        const gmgo_shape* s, const gm_fit_options* opts, uintptr_t handle, int on_step,
                        int on_epoch, gm_error** err) {
  gm_data v = gmgo_data(x, labels, cond, s);
  gm_fit_options o = *opts;
  if (on_step) o.progress = goGenmodelsProgress, o.user_data = (void*)handle;
  if (on_epoch) o.epoch_callback = (gm_epoch_fn)goGenmodelsEpoch, o.epoch_user_data = (void*)handle;
  return gm_model_fit(m, &v, &o, err);
}

static int32_t gmgo_sample_rows(const gm_model* m, int64_t n, const gmgo_sample* s, const int32_t* labels,
                                const float* cond, float* out, int64_t cap, gm_error** err) {
  gm_sample_options o = gmgo_sample_options(s, labels, cond);
  return gm_model_sample(m, n, &o, out, cap, err);
}

static int32_t gmgo_log_prob(const gm_model* m, const float* x, const int32_t* labels, const float* cond,
                             const gmgo_shape* s, const gm_score_options* o, double* out, int64_t cap,
                             gm_error** err) {
  gm_data v = gmgo_data(x, labels, cond, s);
  return gm_model_log_prob(m, &v, o, out, cap, err);
}

static int32_t gmgo_encode(const gm_model* m, const float* x, const int32_t* labels, const float* cond,
                           const gmgo_shape* s, const gm_score_options* o, float* out, int64_t cap,
                           gm_error** err) {
  gm_data v = gmgo_data(x, labels, cond, s);
  return gm_model_encode(m, &v, o, out, cap, err);
}

static int32_t gmgo_decode(const gm_model* m, const float* x, const gmgo_shape* s, const gmgo_sample* so,
                           const int32_t* labels, const float* cond, float* out, int64_t cap, gm_error** err) {
  gm_data v = gmgo_data(x, NULL, NULL, s);
  gm_sample_options o = gmgo_sample_options(so, labels, cond);
  return gm_model_decode(m, &v, &o, out, cap, err);
}

static int32_t gmgo_complete(const gm_model* m, const float* x, const gmgo_shape* s, const uint8_t* observed,
                             const gmgo_sample* so, const int32_t* labels, const float* cond, float* out,
                             int64_t cap, gm_error** err) {
  gm_data v = gmgo_data(x, NULL, NULL, s);
  gm_sample_options o = gmgo_sample_options(so, labels, cond);
  return gm_model_complete(m, &v, observed, &o, out, cap, err);
}

static int32_t gmgo_complete_from_parts(const gm_model* m, const float* x, const gmgo_shape* s,
                                        const int64_t* positions, int64_t k, const gmgo_sample* so, float* out,
                                        int64_t cap, gm_error** err) {
  gm_data v = gmgo_data(x, NULL, NULL, s);
  gm_sample_options o = gmgo_sample_options(so, NULL, NULL);
  return gm_model_complete_from_parts(m, &v, positions, k, &o, out, cap, err);
}

// The target is given exactly once: name when not NULL, else domains when not NULL, else domain.
static int32_t gmgo_translate(const gm_model* m, const float* x, const gmgo_shape* s, uint64_t seed, int32_t threads,
                              int64_t domain, const char* name, const int32_t* domains, float* out, int64_t cap,
                              gm_error** err) {
  gm_data v = gmgo_data(x, NULL, NULL, s);
  gm_translate_options o = gmgo_gm_translate_options_defaults();
  o.seed = seed, o.threads = threads;
  if (name != NULL) {
    o.domain_name = name;
  } else if (domains != NULL) {
    o.domains = domains;
  } else {
    o.domain = domain;
  }
  return gm_model_translate(m, &v, &o, out, cap, err);
}

static int32_t gmgo_write_png_grid(const char* path, const float* x, const gmgo_shape* s, int64_t columns,
                                   gm_error** err) {
  gm_data v = gmgo_data(x, NULL, NULL, s);
  return gm_png_grid_write(path, &v, columns, err);
}

// The view fills only this header's gm_data.
static int32_t gmgo_dataset_view(const gm_dataset* ds, gm_data* out, gm_error** err) {
  memset(out, 0, sizeof *out);
  return gm_dataset_view_sized(ds, out, (uint32_t)sizeof *out, err);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// ABIVersion is GM_ABI_VERSION of the header this package was compiled against.
const ABIVersion = C.GM_ABI_VERSION

// ---------------------------------------------------------------------- errors

// Code is a library status (GM_*). It is also an error, so errors.Is(err, Cancelled) works.
type Code int32

const (
	InvalidArgument Code = C.GM_INVALID_ARGUMENT
	Unsupported     Code = C.GM_UNSUPPORTED
	BufferTooSmall  Code = C.GM_BUFFER_TOO_SMALL
	InvalidData     Code = C.GM_INVALID_DATA
	InvalidConfig   Code = C.GM_INVALID_CONFIG
	UnknownKind     Code = C.GM_UNKNOWN_KIND
	NotFitted       Code = C.GM_NOT_FITTED
	IOError         Code = C.GM_IO_ERROR
	CorruptFile     Code = C.GM_CORRUPT_FILE
	Cancelled       Code = C.GM_CANCELLED
	Diverged        Code = C.GM_DIVERGED
	OutOfMemory     Code = C.GM_OUT_OF_MEMORY
	VersionMismatch Code = C.GM_VERSION_MISMATCH
	Internal        Code = C.GM_INTERNAL
)

// String is the constant's name, e.g. "GM_INVALID_DATA".
func (c Code) String() string { return C.GoString(C.gm_status_name(C.int32_t(c))) }
func (c Code) Error() string  { return c.String() }

// Error is a failed call: the status and the library's message.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("genmodels: %s: %s", e.Code, e.Message) }

// Is matches a Code: errors.Is(err, genmodels.CorruptFile).
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// errorOf turns a status and its gm_error into an error (nil for GM_OK), freeing err.
func errorOf(status C.int32_t, err *C.gm_error) error {
	if status == C.GM_OK && err == nil {
		return nil // the common case: no second cgo call
	}
	msg := Code(status).String()
	if err != nil {
		msg = C.GoString(C.gm_error_message(err))
		C.gm_error_free(err)
	}
	if status == C.GM_OK {
		return nil
	}
	return &Error{Code: Code(status), Message: msg}
}

func argError(format string, args ...any) error {
	return &Error{Code: InvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// ---------------------------------------------------------------------- library

// Version is the linked library's "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.gm_version()) }

// CheckABI fails with VersionMismatch if the linked library has another ABI.
func CheckABI() error {
	if v := int(C.gm_abi_version()); v != ABIVersion {
		return &Error{Code: VersionMismatch, Message: fmt.Sprintf("the linked library has ABI %d, this package was compiled for ABI %d", v, ABIVersion)}
	}
	return nil
}

// BuildInfo is the library's build description (JSON).
func BuildInfo() string { return C.GoString(C.gm_build_info()) }

func takeBuffer(buf *C.gm_buffer) []byte {
	defer C.gm_buffer_free(buf)
	return C.GoBytes(unsafe.Pointer(C.gm_buffer_data(buf)), C.int(C.gm_buffer_size(buf)))
}

// KindInfo describes one kind of model.
type KindInfo struct {
	Kind         string   `json:"kind"`
	Capabilities []string `json:"capabilities"`
	Description  string   `json:"description"`
}

// Kinds lists the kinds the library knows.
func Kinds() ([]KindInfo, error) {
	var buf *C.gm_buffer
	var cerr *C.gm_error
	if err := errorOf(C.gm_kinds_json(&buf, &cerr), cerr); err != nil {
		return nil, err
	}
	var kinds []KindInfo
	return kinds, json.Unmarshal(takeBuffer(buf), &kinds)
}

// Capability is a set of GM_CAP_* bits.
type Capability uint32

const (
	CapFit          Capability = C.GM_CAP_FIT
	CapSample       Capability = C.GM_CAP_SAMPLE
	CapLogProb      Capability = C.GM_CAP_LOG_PROB
	CapEncode       Capability = C.GM_CAP_ENCODE
	CapDecode       Capability = C.GM_CAP_DECODE
	CapComplete     Capability = C.GM_CAP_COMPLETE
	CapTranslate    Capability = C.GM_CAP_TRANSLATE // Translate: image-to-image kinds (cyclegan, stargan)
	CapConditional  Capability = C.GM_CAP_CONDITIONAL
	CapBinaryData   Capability = C.GM_CAP_BINARY_DATA
	CapExactLogProb Capability = C.GM_CAP_EXACT_LOG_PROB
	CapLevels       Capability = C.GM_CAP_LEVELS // discrete pixels of M levels (Model.Levels)
	// whole images from key patches (puzzlegan; the C function gm_model_complete_from_parts)
	CapCompleteFromParts Capability = C.GM_CAP_COMPLETE_FROM_PARTS
)

// Has reports whether every bit of want is set.
func (c Capability) Has(want Capability) bool { return c&want == want }

// KindCapabilities is the capability set of a kind.
func KindCapabilities(kind string) (Capability, error) {
	ck := C.CString(kind)
	defer C.free(unsafe.Pointer(ck))
	var caps C.uint32_t
	var cerr *C.gm_error
	return Capability(caps), errorOf(C.gm_kind_capabilities(ck, &caps, &cerr), cerr)
}

// TextFeatures is a sentence's feature vector of dim floats (gm_text_features_compute_v):
// version "words-v1" (hashed words and bigrams), "subword-v2" (hashed words and character
// 3-5-grams) or "subword-ids-v3" (word-piece ids for a learned encoder; dim a multiple of 32).
// A fitted text cgan says which it takes: Model.TextFeatures uses its own.
func TextFeatures(sentence string, dim int, version string) ([]float32, error) {
	if dim < 1 {
		return nil, argError("dim %d: give at least 1", dim)
	}
	cs, cv := C.CString(sentence), C.CString(version)
	defer C.free(unsafe.Pointer(cs))
	defer C.free(unsafe.Pointer(cv))
	out := make([]float32, dim)
	var cerr *C.gm_error
	return out, errorOf(C.gm_text_features_compute_v(cs, cv, C.int64_t(dim), f32ptr(out), &cerr), cerr)
}

// ---------------------------------------------------------------------- data

// Data is a view of rows of D float32 values, row-major. N is len(X)/D.
type Data struct {
	X                       []float32
	D                       int
	Channels, Height, Width int     // optional image layout (Channels*Height*Width == D)
	Labels                  []int32 // optional, one per row, in [0, NumClasses)
	NumClasses              int
	Conditions              []float32 // optional, ConditionDim values per row
	ConditionDim            int
	// Levels states that X holds discrete pixels, the integers 0..M-1 (M in [2, 256]); kinds
	// with CapLevels keep M (Model.Levels, docs/levels.md). 0 = not stated.
	Levels int
}

// Rows is Data{X: x, D: d}.
func Rows(x []float32, d int) Data { return Data{X: x, D: d} }

// N is the number of rows.
func (d Data) N() int {
	if d.D <= 0 {
		return 0
	}
	return len(d.X) / d.D
}

func f32ptr(x []float32) *C.float {
	if len(x) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&x[0]))
}

func i32ptr(x []int32) *C.int32_t {
	if len(x) == 0 {
		return nil
	}
	return (*C.int32_t)(unsafe.Pointer(&x[0]))
}

// shape checks every length the library will trust.
func (d Data) shape() (C.gmgo_shape, error) {
	n := d.N()
	if d.D < 0 || n*d.D != len(d.X) {
		return C.gmgo_shape{}, argError("%d values are not a whole number of rows of width %d", len(d.X), d.D)
	}
	if d.Labels != nil && len(d.Labels) != n {
		return C.gmgo_shape{}, argError("%d labels for %d rows", len(d.Labels), n)
	}
	if d.Conditions != nil && len(d.Conditions) != n*d.ConditionDim {
		return C.gmgo_shape{}, argError("%d condition values for %d rows of %d", len(d.Conditions), n, d.ConditionDim)
	}
	return C.gmgo_shape{n: C.int64_t(n), d: C.int64_t(d.D), channels: C.int64_t(d.Channels),
		height: C.int64_t(d.Height), width: C.int64_t(d.Width), num_classes: C.int64_t(d.NumClasses),
		condition_dim: C.int64_t(d.ConditionDim), levels: C.int64_t(d.Levels)}, nil
}

// FitOptions for Fit; zero values mean the library's defaults.
type FitOptions struct {
	Epochs             int64
	BatchSize          int64
	LearningRate       float64
	Seed               uint64
	Threads            int
	ValidationFraction float64 // gradient-trained kinds: held-out fraction scored per epoch
	Patience           int64   // > 0: stop after this many epochs without improvement
	// Progress is called on the fitting goroutine after each step; returning true stops
	// fit with Cancelled. A panic in it stops fit and is re-raised by Fit.
	Progress func(step, total int64, loss float64) (stop bool)
	// OnEpoch is called on the fitting goroutine after every epoch of a gradient-trained
	// kind (once for the closed-form kinds); returning true or panicking stops fit as Progress.
	OnEpoch func(report EpochReport) (stop bool)
	// WarmStart continues from the model's current state when it is fitted: gradient-trained
	// kinds train Epochs more epochs (a model fitted, or loaded from a checkpoint, in this
	// process also resumes its optimiser, so 1 + 1 epochs equal 2 epochs with the same seed);
	// bernoulli and markov add the new rows' counts (partial fit). Same width as before.
	WarmStart bool
	// CheckpointEvery > 0 with CheckpointPath: gradient-trained kinds write a checkpoint every
	// CheckpointEvery epochs and after the last, atomically replacing the previous one.
	CheckpointEvery int64
	CheckpointPath  string
}

// EpochReport is what a fit reports after each epoch (gm_epoch_report). Losses are mean
// per-example values: nats (negative log-likelihood or its bound) for likelihood kinds; for
// the GAN family TrainLoss is DiscriminatorLoss + GeneratorLoss.
type EpochReport struct {
	Epoch             int64   // counts from 1, continuing across warm-started fits
	LastEpoch         int64   // the epoch this fit ends at unless it stops early
	TrainLoss         float64 // mean training loss over the epoch's batches
	ValidationLoss    float64 // mean loss on the held-out rows; NaN without a validation split
	BestEpoch         int64   // the epoch whose parameters a validated fit keeps; else Epoch
	DiscriminatorLoss float64 // GAN family: the epoch's mean L_D; else NaN
	GeneratorLoss     float64 // GAN family: the epoch's mean L_G; else NaN
	ImagesPerSecond   float64
	EpochSeconds      float64
	ElapsedSeconds    float64
	ETASeconds        float64 // estimated wall time to LastEpoch
	Stopping          bool    // early stopping ends the fit after this epoch
}

// SampleOptions for Sample, Decode and Complete; the same Seed gives the same output.
type SampleOptions struct {
	Seed         uint64
	Threads      int
	Labels       []int32   // one per output row, for conditional kinds
	Conditions   []float32 // ConditionDim values per output row
	ConditionDim int
	// Stage (progan): the growth stage to draw at, 1 = the lowest resolution (its images
	// upsampled to full size); 0 = the model's current stage. Other kinds take only 0.
	Stage int
	// Truncation (Sample and CompleteFromParts of kinds with a Gaussian latent): draw each
	// latent coordinate from the normal conditioned on |z| <= Truncation; 0 = the full normal.
	Truncation float64
}

func (o *SampleOptions) c(rows int) (C.gmgo_sample, *C.int32_t, *C.float, error) {
	if o == nil {
		return C.gmgo_sample{}, nil, nil, nil
	}
	if o.Labels != nil && len(o.Labels) != rows {
		return C.gmgo_sample{}, nil, nil, argError("%d labels for %d rows", len(o.Labels), rows)
	}
	if o.Conditions != nil && len(o.Conditions) != rows*o.ConditionDim {
		return C.gmgo_sample{}, nil, nil, argError("%d condition values for %d rows", len(o.Conditions), rows)
	}
	s := C.gmgo_sample{seed: C.uint64_t(o.Seed), threads: C.int32_t(o.Threads), condition_dim: C.int64_t(o.ConditionDim),
		stage: C.int64_t(o.Stage), truncation: C.double(o.Truncation)}
	return s, i32ptr(o.Labels), f32ptr(o.Conditions), nil
}

// ScoreOptions for LogProb and Encode (gm_score_options).
type ScoreOptions struct {
	Seed    uint64
	Threads int
	Samples int64 // 0 = the model's own count (vae: its "iwae_samples" importance samples)
}

// EvalOptions is the name of ScoreOptions before issue 11.
type EvalOptions = ScoreOptions

func (o *ScoreOptions) c() C.gm_score_options {
	e := C.gmgo_gm_score_options_defaults()
	if o != nil {
		e.seed, e.threads, e.samples = C.uint64_t(o.Seed), C.int32_t(o.Threads), C.int64_t(o.Samples)
	}
	return e
}

// DataShape is the width of the data a model was fitted on and its image layout.
type DataShape struct{ D, Channels, Height, Width int }

// ---------------------------------------------------------------------- models

// Model is a generative model. Close frees it; a finalizer does so if Close is forgotten.
type Model struct {
	mu  sync.RWMutex
	ptr *C.gm_model
}

func adopt(ptr *C.gm_model) *Model {
	m := &Model{ptr: ptr}
	runtime.SetFinalizer(m, func(m *Model) { m.Close() })
	return m
}

// New creates a model of kind with hyper-parameters config (nil = the defaults).
func New(kind string, config map[string]any) (*Model, error) {
	cfg := ""
	if len(config) > 0 {
		b, err := json.Marshal(config)
		if err != nil {
			return nil, &Error{Code: InvalidConfig, Message: err.Error()}
		}
		cfg = string(b)
	}
	ck, cc := C.CString(kind), C.CString(cfg)
	defer C.free(unsafe.Pointer(ck))
	defer C.free(unsafe.Pointer(cc))
	var ptr *C.gm_model
	var cerr *C.gm_error
	if err := errorOf(C.gm_model_create(ck, cc, &ptr, &cerr), cerr); err != nil {
		return nil, err
	}
	return adopt(ptr), nil
}

// Load reads a model file written by Save.
func Load(path string) (*Model, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var ptr *C.gm_model
	var cerr *C.gm_error
	if err := errorOf(C.gm_model_load(cp, &ptr, &cerr), cerr); err != nil {
		return nil, err
	}
	return adopt(ptr), nil
}

// LoadBytes reads a model from the bytes of MarshalBinary.
func LoadBytes(b []byte) (*Model, error) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	var ptr *C.gm_model
	var cerr *C.gm_error
	if err := errorOf(C.gm_model_load_buffer(p, C.int64_t(len(b)), &ptr, &cerr), cerr); err != nil {
		return nil, err
	}
	return adopt(ptr), nil
}

// Handle is the underlying gm_model* for calling the C API directly; valid until Close.
func (m *Model) Handle() unsafe.Pointer { return unsafe.Pointer(m.ptr) }

// Close frees the model; later calls fail with InvalidArgument. It is safe to call twice.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	C.gm_model_free(m.ptr)
	m.ptr = nil
	runtime.SetFinalizer(m, nil)
	return nil
}

// Kind is the model's kind ("" once closed).
func (m *Model) Kind() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return C.GoString(C.gm_model_kind(m.ptr))
}

// Capabilities is the set of verbs and properties of the model's kind.
func (m *Model) Capabilities() (Capability, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var caps C.uint32_t
	var cerr *C.gm_error
	return Capability(caps), errorOf(C.gm_model_capabilities(m.ptr, &caps, &cerr), cerr)
}

// Config is the effective configuration, defaults filled in.
func (m *Model) Config() (map[string]any, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var buf *C.gm_buffer
	var cerr *C.gm_error
	if err := errorOf(C.gm_model_config_json(m.ptr, &buf, &cerr), cerr); err != nil {
		return nil, err
	}
	var cfg map[string]any
	return cfg, json.Unmarshal(takeBuffer(buf), &cfg)
}

// IsFitted reports whether the model has been fitted or loaded.
func (m *Model) IsFitted() (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var fitted C.int32_t
	var cerr *C.gm_error
	return fitted != 0, errorOf(C.gm_model_is_fitted(m.ptr, &fitted, &cerr), cerr)
}

// Levels is the level count M of the model's pixels: M for kinds with CapLevels (2 before a
// fit), 2 for binary kinds, 0 for kinds of real values.
func (m *Model) Levels() (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var v C.int64_t
	var cerr *C.gm_error
	return int(v), errorOf(C.gm_model_levels(m.ptr, &v, &cerr), cerr)
}

// DataShape is the width (and image layout) of the data the model was fitted on.
func (m *Model) DataShape() (DataShape, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.dataShape()
}

func (m *Model) dataShape() (DataShape, error) {
	var d, c, h, w C.int64_t
	var cerr *C.gm_error
	err := errorOf(C.gm_model_data_shape(m.ptr, &d, &c, &h, &w, &cerr), cerr)
	return DataShape{int(d), int(c), int(h), int(w)}, err
}

// EncodeDim is the width of encode's output rows (Unsupported without a latent space).
func (m *Model) EncodeDim() (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.encodeDim()
}

func (m *Model) encodeDim() (int, error) {
	var w C.int64_t
	var cerr *C.gm_error
	return int(w), errorOf(C.gm_model_encode_dim(m.ptr, &w, &cerr), cerr)
}

// LatentDim is the width of the codes Decode takes.
func (m *Model) LatentDim() (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var w C.int64_t
	var cerr *C.gm_error
	return int(w), errorOf(C.gm_model_latent_dim(m.ptr, &w, &cerr), cerr)
}

// Condition kinds that Condition reports (GM_CONDITION_* in genmodels.h).
const (
	ConditionNone   = 0 // not conditional
	ConditionLabel  = 1 // class labels; dim is the number of classes
	ConditionVector = 2 // float vectors of width dim
	ConditionText   = 3 // sentences, as vectors of width dim (Model.TextFeatures)
)

// Condition says what the model is conditioned on (gm_model_condition): one of the
// Condition* kinds and its size, which is 0 until Fit fixes it.
func (m *Model) Condition() (kind int, dim int, err error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var k C.int32_t
	var d C.int64_t
	var cerr *C.gm_error
	err = errorOf(C.gm_model_condition(m.ptr, &k, &d, &cerr), cerr)
	return int(k), int(d), err
}

// TextFeatures is a sentence as this text cgan's condition vector (gm_model_text_features: its
// own feature version and width); Unsupported for a model not conditioned on text.
func (m *Model) TextFeatures(sentence string) ([]float32, error) {
	kind, dim, err := m.Condition()
	if err != nil {
		return nil, err
	}
	if kind != ConditionText || dim < 1 {
		dim = 1 // the library says why it cannot
	}
	cs := C.CString(sentence)
	defer C.free(unsafe.Pointer(cs))
	out := make([]float32, dim)
	m.mu.RLock()
	defer m.mu.RUnlock()
	var cerr *C.gm_error
	return out, errorOf(C.gm_model_text_features(m.ptr, cs, f32ptr(out), &cerr), cerr)
}

// Fit fits the model on data (opts may be nil). A cancelled first fit keeps the model's last
// good parameters; a cancelled refit leaves the model as it was (closed-form kinds: always).
func (m *Model) Fit(data Data, opts *FitOptions) error {
	s, err := data.shape()
	if err != nil {
		return err
	}
	o := C.gmgo_gm_fit_options_defaults()
	var handle cgo.Handle
	var ctx *fitContext
	if opts != nil {
		if opts.Epochs != 0 {
			o.epochs = C.int64_t(opts.Epochs)
		}
		if opts.BatchSize != 0 {
			o.batch_size = C.int64_t(opts.BatchSize)
		}
		o.learning_rate, o.seed, o.threads = C.double(opts.LearningRate), C.uint64_t(opts.Seed), C.int32_t(opts.Threads)
		o.validation_fraction, o.patience = C.double(opts.ValidationFraction), C.int64_t(opts.Patience)
		if opts.WarmStart {
			o.warm_start = 1
		}
		o.checkpoint_every = C.int64_t(opts.CheckpointEvery)
		if opts.CheckpointPath != "" {
			cp := C.CString(opts.CheckpointPath) // C memory: may be stored in o
			defer C.free(unsafe.Pointer(cp))
			o.checkpoint_path = cp
		}
		if opts.Progress != nil || opts.OnEpoch != nil {
			ctx = &fitContext{progress: opts.Progress, onEpoch: opts.OnEpoch}
			handle = cgo.NewHandle(ctx)
			defer handle.Delete()
		}
	}
	onStep, onEpoch := C.int(0), C.int(0)
	if ctx != nil && ctx.progress != nil {
		onStep = 1
	}
	if ctx != nil && ctx.onEpoch != nil {
		onEpoch = 1
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var cerr *C.gm_error
	status := C.gmgo_fit(m.ptr, f32ptr(data.X), i32ptr(data.Labels), f32ptr(data.Conditions), &s, &o,
		C.uintptr_t(handle), onStep, onEpoch, &cerr)
	if ctx != nil && ctx.panicked {
		C.gm_error_free(cerr)
		panic(ctx.panicWith)
	}
	return errorOf(status, cerr)
}

// Sample draws n rows (n*D values); the same seed gives the same draws.
func (m *Model) Sample(n int, opts *SampleOptions) ([]float32, error) {
	so, labels, cond, err := opts.c(n)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	shape, err := m.dataShape()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n*shape.D)
	var cerr *C.gm_error
	return out, errorOf(C.gmgo_sample_rows(m.ptr, C.int64_t(n), &so, labels, cond, f32ptr(out), C.int64_t(len(out)), &cerr), cerr)
}

// LogProb is log p(x) in nats for each row.
func (m *Model) LogProb(data Data, opts *ScoreOptions) ([]float64, error) {
	s, err := data.shape()
	if err != nil {
		return nil, err
	}
	o := opts.c()
	out := make([]float64, data.N())
	var p *C.double
	if len(out) > 0 {
		p = (*C.double)(unsafe.Pointer(&out[0]))
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var cerr *C.gm_error
	status := C.gmgo_log_prob(m.ptr, f32ptr(data.X), i32ptr(data.Labels), f32ptr(data.Conditions), &s, &o, p,
		C.int64_t(len(out)), &cerr)
	return out, errorOf(status, cerr)
}

// Encode gives the features of each row (N*EncodeDim values).
func (m *Model) Encode(data Data, opts *ScoreOptions) ([]float32, error) {
	s, err := data.shape()
	if err != nil {
		return nil, err
	}
	o := opts.c()
	m.mu.RLock()
	defer m.mu.RUnlock()
	width, err := m.encodeDim()
	if err != nil {
		return nil, err
	}
	out := make([]float32, data.N()*width)
	var cerr *C.gm_error
	status := C.gmgo_encode(m.ptr, f32ptr(data.X), i32ptr(data.Labels), f32ptr(data.Conditions), &s, &o,
		f32ptr(out), C.int64_t(len(out)), &cerr)
	return out, errorOf(status, cerr)
}

// Decode maps latent codes (rows of LatentDim values) to rows of D values.
func (m *Model) Decode(codes Data, opts *SampleOptions) ([]float32, error) {
	s, err := codes.shape()
	if err != nil {
		return nil, err
	}
	so, labels, cond, err := opts.c(codes.N())
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	shape, err := m.dataShape()
	if err != nil {
		return nil, err
	}
	out := make([]float32, codes.N()*shape.D)
	var cerr *C.gm_error
	status := C.gmgo_decode(m.ptr, f32ptr(codes.X), &s, &so, labels, cond, f32ptr(out), C.int64_t(len(out)), &cerr)
	return out, errorOf(status, cerr)
}

// Complete returns data with the entries whose observed flag is false drawn from the model.
func (m *Model) Complete(data Data, observed []bool, opts *SampleOptions) ([]float32, error) {
	s, err := data.shape()
	if err != nil {
		return nil, err
	}
	if len(observed) != len(data.X) {
		return nil, argError("%d observed flags for %d values", len(observed), len(data.X))
	}
	so, labels, cond, err := opts.c(data.N())
	if err != nil {
		return nil, err
	}
	var mask *C.uint8_t
	if len(observed) > 0 {
		mask = (*C.uint8_t)(unsafe.Pointer(&observed[0])) // a Go bool is one byte, 0 or 1
	}
	out := make([]float32, len(data.X))
	m.mu.RLock()
	defer m.mu.RUnlock()
	var cerr *C.gm_error
	status := C.gmgo_complete(m.ptr, f32ptr(data.X), &s, mask, &so, labels, cond, f32ptr(out), C.int64_t(len(out)), &cerr)
	return out, errorOf(status, cerr)
}

// Domains names a translating model's domains in index order (cyclegan: "a", "b";
// gm_model_domains_json); Unsupported for kinds that do not translate.
func (m *Model) Domains() ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var buf *C.gm_buffer
	var cerr *C.gm_error
	if err := errorOf(C.gm_model_domains_json(m.ptr, &buf, &cerr), cerr); err != nil {
		return nil, err
	}
	var names []string
	return names, json.Unmarshal(takeBuffer(buf), &names)
}

// Position is where a patch lies in its image: its top row and left column.
type Position struct {
	Top, Left int64
}

// CompleteFromParts generates whole images from k key patches each (puzzlegan; the C function
// gm_model_complete_from_parts): patches holds n*k patches of C x P x P values, image after
// image, and positions the place of each in its image. It returns n*D values, image r
// generated from its k patches.
func (m *Model) CompleteFromParts(patches Data, positions []Position, k int, opts *SampleOptions) ([]float32, error) {
	s, err := patches.shape()
	if err != nil {
		return nil, err
	}
	if len(positions) != patches.N() {
		return nil, argError("%d positions for %d patches", len(positions), patches.N())
	}
	n := 0 // k < 1 or a count that does not split into images of k: the library says which
	if k > 0 && patches.N()%k == 0 {
		n = patches.N() / k
	}
	so, _, _, err := opts.c(n)
	if err != nil {
		return nil, err
	}
	var pos *C.int64_t
	if len(positions) > 0 { // Position is two int64s, no padding: the ABI's 2*n*k values
		pos = (*C.int64_t)(unsafe.Pointer(&positions[0]))
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	shape, err := m.dataShape()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n*shape.D)
	var cerr *C.gm_error
	status := C.gmgo_complete_from_parts(m.ptr, f32ptr(patches.X), &s, pos, C.int64_t(k), &so, f32ptr(out),
		C.int64_t(len(out)), &cerr)
	return out, errorOf(status, cerr)
}

// Domain is the target of Translate: one domain for every row, by Name or by Index, or one
// index per row (PerRow). Exactly one of them is set.
type Domain struct {
	Name   string
	Index  int // used when Name is "" and PerRow is nil
	PerRow []int32
}

// TranslateOptions are Translate's seed and thread count (nil: the defaults).
type TranslateOptions struct {
	Seed    uint64
	Threads int
}

// Translate maps the rows of data to the target domain (gm_model_translate): one output row
// per input row, the same width.
func (m *Model) Translate(data Data, to Domain, opts *TranslateOptions) ([]float32, error) {
	s, err := data.shape()
	if err != nil {
		return nil, err
	}
	if to.PerRow != nil && len(to.PerRow) != data.N() {
		return nil, argError("%d per-row domains for %d rows", len(to.PerRow), data.N())
	}
	var o TranslateOptions
	if opts != nil {
		o = *opts
	}
	var name *C.char
	if to.Name != "" {
		name = C.CString(to.Name)
		defer C.free(unsafe.Pointer(name))
	}
	out := make([]float32, len(data.X))
	m.mu.RLock()
	defer m.mu.RUnlock()
	var cerr *C.gm_error
	status := C.gmgo_translate(m.ptr, f32ptr(data.X), &s, C.uint64_t(o.Seed), C.int32_t(o.Threads), C.int64_t(to.Index),
		name, i32ptr(to.PerRow), f32ptr(out), C.int64_t(len(out)), &cerr)
	return out, errorOf(status, cerr)
}

// Save writes the model as a safetensors file (atomically).
func (m *Model) Save(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	m.mu.RLock()
	defer m.mu.RUnlock()
	var cerr *C.gm_error
	return errorOf(C.gm_model_save(m.ptr, cp, &cerr), cerr)
}

// SaveCheckpoint writes a checkpoint: the model file plus the training state of a
// gradient-trained kind (optimiser moments, epoch and step counters, shuffle order),
// atomically. Load opens it, and Fit with WarmStart then resumes exactly where it was
// written. Unsupported for the closed-form kinds; NotFitted without training state (never
// fitted in this process, or loaded from a plain model file).
func (m *Model) SaveCheckpoint(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	m.mu.RLock()
	defer m.mu.RUnlock()
	var cerr *C.gm_error
	return errorOf(C.gm_model_save_checkpoint(m.ptr, cp, &cerr), cerr)
}

// TrainingProgress is the epochs trained so far (0 without training state) and the epoch
// the model's last fit was asked to reach.
func (m *Model) TrainingProgress() (epochsDone, epochsPlanned int64, err error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var done, planned C.int64_t
	var cerr *C.gm_error
	err = errorOf(C.gm_model_training_progress(m.ptr, &done, &planned, &cerr), cerr)
	return int64(done), int64(planned), err
}

// MarshalBinary is the model file as bytes (encoding.BinaryMarshaler).
func (m *Model) MarshalBinary() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var buf *C.gm_buffer
	var cerr *C.gm_error
	if err := errorOf(C.gm_model_save_buffer(m.ptr, &buf, &cerr), cerr); err != nil {
		return nil, err
	}
	return takeBuffer(buf), nil
}

// ---------------------------------------------------------------------- data sets

// DatasetOptions for LoadDataset; zero values mean the defaults.
type DatasetOptions struct {
	Binarize    *float64 // if set, values >= *Binarize become 1 and the rest 0
	MaxExamples int      // 0 = all
	// Levels M in [2, 256] quantises values in [0, 1] to the levels 0..M-1 (the data then
	// states Levels = M); 0 = keep values. Not together with Binarize.
	Levels int
}

// LoadDataset loads a data set ("builtin:bars-and-stripes:3", "fashion-mnist:test", ...)
// and copies it into Go memory.
func LoadDataset(spec string, opts *DatasetOptions) (Data, error) {
	o := C.gmgo_gm_dataset_options_defaults()
	if opts != nil {
		if opts.Binarize != nil {
			o.binarize = C.double(*opts.Binarize)
		}
		o.max_examples = C.int64_t(opts.MaxExamples)
		o.levels = C.int64_t(opts.Levels)
	}
	cs := C.CString(spec)
	defer C.free(unsafe.Pointer(cs))
	var ds *C.gm_dataset
	var cerr *C.gm_error
	if err := errorOf(C.gm_dataset_load(cs, &o, &ds, &cerr), cerr); err != nil {
		return Data{}, err
	}
	defer C.gm_dataset_free(ds)
	var v C.gm_data
	if err := errorOf(C.gmgo_dataset_view(ds, &v, &cerr), cerr); err != nil {
		return Data{}, err
	}
	n, d := int(v.n), int(v.d)
	data := Data{D: d, Channels: int(v.channels), Height: int(v.height), Width: int(v.width),
		NumClasses: int(v.num_classes), Levels: int(v.levels), X: make([]float32, n*d)}
	if n*d > 0 {
		copy(data.X, unsafe.Slice((*float32)(unsafe.Pointer(v.x)), n*d))
	}
	if v.labels != nil && n > 0 {
		data.Labels = append([]int32(nil), unsafe.Slice((*int32)(unsafe.Pointer(v.labels)), n)...)
	}
	return data, nil
}

// WritePNGGrid writes image rows (values in [0, 1], with an image layout) as one PNG grid.
func WritePNGGrid(path string, images Data, columns int) error {
	s, err := images.shape()
	if err != nil {
		return err
	}
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var cerr *C.gm_error
	return errorOf(C.gmgo_write_png_grid(cp, f32ptr(images.X), &s, C.int64_t(columns), &cerr), cerr)
}
