// The one interface every family implements. capi/ translates the C verbs onto it; the
// command line and tests use it directly. A kind derives from ModelKind<Kind>, registers in
// registry.cpp and implements the do_* hooks of the verbs in its capabilities(); a verb
// outside them answers Status::unsupported with the reason the kind gives in unsupported_why()
// (tests/models/test_contract.cpp runs every registered kind through these rules).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/data_view.hpp"
#include "core/tensor_ref.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"
#include "nn/training_state.hpp"

namespace gm {

// Capability bits: the same values as GM_CAP_* in genmodels.h.
enum Capability : uint32_t {
  cap_fit = 1u << 0,
  cap_sample = 1u << 1,
  cap_log_prob = 1u << 2,
  cap_encode = 1u << 3,
  cap_decode = 1u << 4,
  cap_complete = 1u << 5,
  cap_translate = 1u << 6,
  cap_conditional = 1u << 7,
  cap_binary_data = 1u << 8,
  cap_exact_log_prob = 1u << 9,
  // Takes discrete pixels of M levels (docs/levels.md): fit reads M from the data
  // (DataView::levels, 0 = 2) and keeps it in DataShape::levels; the verbs refuse values
  // that are not integers in [0, M). Binary-only kinds have cap_binary_data instead.
  cap_levels = 1u << 10,
  // Generates whole images from a few key patches at given positions (puzzlegan):
  // complete_from_parts.
  cap_complete_from_parts = 1u << 11,
};

// The options of fit, run by the shared training loop (nn/trainer.hpp).
using ProgressFn = nn::ProgressFn;
using FitOptions = nn::FitOptions;

struct SampleOptions {
  uint64_t seed = 0;
  int threads = 0;
  const int32_t* labels = nullptr;
  const float* conditions = nullptr;
  int64_t condition_dim = 0;
  // A growing kind's stage to draw at (progan: 1 = the lowest resolution); 0 = the model's
  // current one. Other kinds refuse anything but 0.
  int64_t stage = 0;
  // The truncation trick (genmodels.h, gm_sample_options.truncation): kinds that draw a
  // Gaussian latent draw it within |z| <= truncation standard deviations; 0 = no truncation.
  double truncation = 0.0;
};

// The target of translate (genmodels.h, gm_translate_options): exactly one of domain (>= 0),
// domain_name (non-empty) or domains (n indices) is given.
struct TranslateOptions {
  uint64_t seed = 0;
  int threads = 0;
  int64_t domain = -1;
  std::string domain_name;
  const int32_t* domains = nullptr;
};

struct EvalOptions {
  uint64_t seed = 0;
  int threads = 0;
  int64_t samples = 0;  // 0 = the family's default
};

// What a model was fitted on: row width, optional image layout and, for kinds with
// cap_levels, the level count M of its pixels (2 = binary; other kinds leave it at 2 and
// GenerativeModel::levels() answers for them).
struct DataShape {
  int64_t d = 0;
  ImageShape image;
  int64_t levels = 2;
};

// The verbs are not virtual. Each one checks, in one place for every kind, what the caller
// can get wrong — capability, fitted state, row width and layout, sizes, null buffers,
// option ranges — opens the compute scope (nn::ComputeScope: thread count, FTZ/DAZ) and only
// then calls the kind's protected hook (do_fit, do_sample, ...). A hook may assume its
// arguments passed those checks; it checks only what is its own (binary values, conditions).
// n = 0 rows (or samples) is an empty call: checked like any other, the hook is not called.
class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;

  virtual const char* kind() const = 0;
  virtual uint32_t capabilities() const = 0;
  // The effective configuration (defaults filled in).
  virtual const Json& config() const = 0;

  bool fitted() const { return shape_.d > 0; }
  const DataShape& data_shape() const { return shape_; }
  // The level count of the model's pixels: M for cap_levels kinds (2 before a fit), 2 for
  // binary kinds, 0 for kinds of real values (vae, the GAN family).
  int64_t levels() const;

  // Fit on data (n >= 1 rows). With options.warm_start on a fitted model, the kind's
  // do_fit finds *this holding a copy of the fitted state (parameters, data shape, training
  // state) and continues from it; otherwise *this is blank. All or nothing: if fit throws, the model is exactly as it
  // was before the call (parameters, configuration, data shape) — with one exception kept
  // from the C ABI's contract: a cancel of the *first* fit of a gradient-trained kind keeps
  // the parameters of its last completed step. A cancelled refit restores the previous model;
  // closed-form kinds commit after the callback, so their cancel changes nothing.
  void fit(const DataView& data, const FitOptions& options);

  // out: (n, D)
  void sample(int64_t n, const SampleOptions& options, float* out) const;
  // out: (N) log p(x) in nats
  void log_prob(const DataView& data, const EvalOptions& options, double* out) const;
  int64_t encode_dim() const;
  // out: (N, encode_dim())
  void encode(const DataView& data, const EvalOptions& options, float* out) const;
  int64_t latent_dim() const;
  // codes: (N, latent_dim()); out: (N, D)
  void decode(const DataView& codes, const SampleOptions& options, float* out) const;
  // observed: (N, D) nonzero = observed; out: (N, D)
  void complete(const DataView& data, const uint8_t* observed, const SampleOptions& options, float* out) const;
  // The domains a translating kind knows, in index order (empty before a fit fixes them).
  std::vector<std::string> domain_names() const;
  // x: (N, D) in the fitted layout; out: (N, D), row r translated to its target domain.
  void translate(const DataView& x, const TranslateOptions& options, float* out) const;
  // The side P of the square patches complete_from_parts takes (from the configuration, so an
  // unfitted model answers too).
  int64_t parts_patch_size() const;
  // Whole images from key patches. patches: N·k rows, row r·k + j the j-th patch of image r,
  // each C×P×P (the model's channels and parts_patch_size(); an image layout, when given, must
  // say so); positions: N·k (top, left) pairs, each in [0, S − P]; out: (N, D). options: seed
  // (the noise of row r comes from (seed, r)) and threads; conditions are not taken.
  void complete_from_parts(const DataView& patches, const int64_t* positions, int64_t k, const SampleOptions& options,
                           float* out) const;

  // Persistence: the tensors to write (fitted models only), and the inverse. restore()
  // validates shapes against the configuration and values (finite, in range) and throws
  // corrupt_file; like fit it is all or nothing.
  std::vector<TensorRef> tensors() const;
  void restore(const DataShape& shape, const std::vector<TensorRef>& tensors);

  // True for the gradient-trained kinds, whose fit runs the epoch loop and leaves a training
  // state; false for the closed-form ones.
  virtual bool trains_in_epochs() const { return false; }
  // True for kinds that grow in stages and sample at any stage reached (SampleOptions::stage).
  virtual bool samples_at_stages() const { return false; }
  // True for kinds whose sample draws a Gaussian latent code and uses it as drawn, so that
  // truncating it draws nearer the mode (SampleOptions::truncation). Not progan: it
  // normalises z to unit mean square, where only z's direction counts.
  virtual bool draws_gaussian_latent() const { return false; }
  // For kinds that grow in stages, once fitted: {"stage" (1-based), "stages", "side", "alpha",
  // "images_seen"} — what `genmodels info` shows. Null otherwise.
  virtual Json growth() const { return nullptr; }

  // The training state a gradient-trained fit leaves (nn/training_state.hpp): null for
  // closed-form kinds, before any fit, after a cancelled first fit, and for a model loaded
  // from a plain model file. A checkpoint carries it; set_training_state installs it.
  const nn::TrainingState* training_state() const { return training_.get(); }
  void set_training_state(std::unique_ptr<nn::TrainingState> state);

  // Throws not_fitted with a message naming the verb.
  void require_fitted(const char* verb) const;
  // Throws unless view is well formed and its rows fit what the model was fitted on
  // (require_fitted_rows). Every verb that takes data rows calls this.
  void require_rows(const DataView& view) const;
  // A kind without cap_levels takes data whose level count is not stated or 2: invalid_data
  // naming the kinds that do otherwise.
  void require_levels_fit(const DataView& view) const;
  // Throws invalid_argument unless stage is 0 or, for a kind that grows in stages, > 0 (the
  // kind checks that the model has reached it).
  void require_stage(int64_t stage, const char* verb) const;
  // Refuses a truncation that is negative, not finite, given to a verb that draws no latent
  // (decode, complete: verb_draws_latent false), or given to a kind without a Gaussian latent
  // (draws_gaussian_latent).
  void require_truncation(double truncation, const char* verb, bool verb_draws_latent) const;
  // Throws unsupported with the family's reason unless capabilities() has every bit of cap.
  void require_capability(uint32_t cap, const char* verb) const;

 protected:
  GenerativeModel() = default;
  // Kinds move their whole state for fit's and restore's swap (ModelKind below); copying a
  // model is never needed.
  GenerativeModel(GenerativeModel&&) noexcept = default;
  GenerativeModel& operator=(GenerativeModel&&) noexcept = default;

  // The kind's work. Each runs inside the checks and the compute scope of its verb.
  // do_fit trains *this in place (so FitOptions::on_epoch sees the model it trains) and sets
  // shape_; it may leave a half-trained state behind when it throws — fit() discards it.
  virtual void do_fit(const DataView& data, const FitOptions& options) = 0;
  virtual void do_sample(int64_t n, const SampleOptions& options, float* out) const;
  virtual void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const;
  virtual int64_t do_encode_dim() const;
  virtual void do_encode(const DataView& data, const EvalOptions& options, float* out) const;
  virtual int64_t do_latent_dim() const;
  virtual void do_decode(const DataView& codes, const SampleOptions& options, float* out) const;
  virtual void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                           float* out) const;
  virtual std::vector<std::string> do_domain_names() const;
  // target: N domain indices, each checked to be in [0, domain count).
  virtual void do_translate(const DataView& x, const int32_t* target, const TranslateOptions& options,
                            float* out) const;
  virtual int64_t do_parts_patch_size() const;
  // Called with k >= 1, patches.n a multiple of k, C×P×P finite patches and positions inside
  // the image; the kind checks the values' range.
  virtual void do_complete_from_parts(const DataView& patches, const int64_t* positions, int64_t k,
                                      const SampleOptions& options, float* out) const;
  virtual std::vector<TensorRef> do_tensors() const = 0;
  // Called mid-fit, at the end of an epoch, before a checkpoint saves do_tensors(): a kind
  // whose saved tensors are derived from its training parameters brings them up to date.
  virtual void before_checkpoint() {}
  // Called on an unfitted model of this configuration; sets shape_.
  virtual void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) = 0;

  // Why a verb is missing, e.g. "bernoulli has no latent space". Families override.
  virtual std::string unsupported_why(const char* verb) const;
  [[noreturn]] void unsupported(const char* verb) const;

  // What fit() and restore() need to be all or nothing; ModelKind<Self> implements both.
  // A new, unfitted model of the same kind and configuration.
  virtual std::unique_ptr<GenerativeModel> blank() const = 0;
  // Exchanges the whole state of *this and other (the same kind).
  virtual void swap_state(GenerativeModel& other) noexcept = 0;

  DataShape shape_;
  std::unique_ptr<nn::TrainingState> training_;

 private:
  template <typename Build>
  void replace_state(Build&& build, bool keep_on_cancel, bool copy_previous);
};

// The base every kind derives from: blank() and swap_state() written once, from the kind's
// own (defaulted) move operations, so they cannot forget a member. Self must be nothrow
// move-constructible and move-assignable; a member that is not fails to compile.
template <typename Self>
class ModelKind : public GenerativeModel {
 protected:
  ModelKind() = default;
  std::unique_ptr<GenerativeModel> blank() const override;
  void swap_state(GenerativeModel& other) noexcept final {
    static_assert(std::is_nothrow_move_constructible_v<Self> && std::is_nothrow_move_assignable_v<Self>,
                  "a model kind's state must move without throwing");
    Self& a = static_cast<Self&>(*this);
    Self& b = static_cast<Self&>(other);
    Self tmp(std::move(a));
    a = std::move(b);
    b = std::move(tmp);
  }
};

// A new model of kind with config, through the registry (registry.cpp).
std::unique_ptr<GenerativeModel> create_blank_model(const char* kind, const Json& config);

template <typename Self>
std::unique_ptr<GenerativeModel> ModelKind<Self>::blank() const {
  return create_blank_model(this->kind(), this->config());
}

// The one check of caller rows against a model's DataShape (so the C ABI, the command line
// and every binding refuse the same things): the width must equal fitted.d, and rows that
// carry an image layout must carry the model's, when the model has one. Flat rows of the
// right width are accepted — a layout is a claim about the data, and a (4, 16) image read
// by an (8, 8) model is a silent wrong answer, while plain rows make no claim to break.
// Throws invalid_data naming both sides.
void require_fitted_rows(const DataShape& fitted, const DataView& view, const char* kind);

// Looks up a tensor by name in a loaded file; throws corrupt_file if it is missing or its
// dtype or shape differ from what the configuration implies.
const TensorRef& find_tensor(const std::vector<TensorRef>& tensors, const std::string& name, DType dtype,
                             const std::vector<int64_t>& shape);

// A network's planned tensors (name, shape, in registration order) found in a loaded file:
// each checked by find_tensor (f32, its shape), before the caller allocates anything.
using PlannedTensors = std::vector<std::pair<std::string, std::vector<int64_t>>>;
std::vector<const TensorRef*> find_planned(const std::vector<TensorRef>& tensors, const PlannedTensors& planned);
// Copies them into store, which registered exactly the planned tensors (internal otherwise);
// a non-finite value is corrupt_file naming the kind, the tensor and the index.
void copy_planned(nn::ParameterStore& store, const PlannedTensors& planned, const std::vector<const TensorRef*>& found,
                  const char* kind);

}  // namespace gm
