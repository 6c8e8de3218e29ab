// The one interface every family implements. capi/ translates the C verbs onto it; the
// command line and tests use it directly. Verbs a family lacks keep the default body,
// which throws Status::unsupported with the reason the family gives in unsupported_why().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/data_view.hpp"
#include "core/tensor.hpp"

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
};

// Returns true to cancel. step runs from 1 to total.
using ProgressFn = std::function<bool(int64_t step, int64_t total, double loss)>;

struct FitOptions {
  int64_t epochs = 10;
  int64_t batch_size = 100;
  double learning_rate = 0.0;  // 0 = the family's default
  uint64_t seed = 0;
  int threads = 0;             // 0 = all cores
  ProgressFn progress;
  double validation_fraction = 0.0;  // held-out rows scored after each epoch
  int64_t patience = 0;              // epochs without improvement before stopping; 0 = never
  // C++ only (not in the C ABI): called after each completed epoch, parameters consistent;
  // the command line writes its per-epoch sample grids from here.
  std::function<void(int64_t epoch)> on_epoch;
};

struct SampleOptions {
  uint64_t seed = 0;
  int threads = 0;
  const int32_t* labels = nullptr;
  const float* conditions = nullptr;
  int64_t condition_dim = 0;
};

struct EvalOptions {
  uint64_t seed = 0;
  int threads = 0;
  int64_t samples = 0;  // 0 = the family's default
};

// What a model was fitted on: row width and optional image layout.
struct DataShape {
  int64_t d = 0;
  ImageShape image;
};

class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;

  virtual const char* kind() const = 0;
  virtual uint32_t capabilities() const = 0;
  // The effective configuration (defaults filled in).
  virtual const Json& config() const = 0;

  bool fitted() const { return shape_.d > 0; }
  const DataShape& data_shape() const { return shape_; }

  // Fit on validated data (capi and the CLI call validate_view first).
  virtual void fit(const DataView& data, const FitOptions& options) = 0;

  // out: (n, D)
  virtual void sample(int64_t n, const SampleOptions& options, float* out) const;
  // out: (N) log p(x) in nats
  virtual void log_prob(const DataView& data, const EvalOptions& options, double* out) const;
  virtual int64_t encode_dim() const;
  // out: (N, encode_dim())
  virtual void encode(const DataView& data, const EvalOptions& options, float* out) const;
  virtual int64_t latent_dim() const;
  // codes: (N, latent_dim()); out: (N, D)
  virtual void decode(const DataView& codes, const SampleOptions& options, float* out) const;
  // observed: (N, D) nonzero = observed; out: (N, D)
  virtual void complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                        float* out) const;

  // Persistence: the tensors to write, and the inverse. restore() validates shapes
  // against the configuration and values (finite, in range) and throws corrupt_file.
  virtual std::vector<TensorRef> tensors() const = 0;
  virtual void restore(const DataShape& shape, const std::vector<TensorRef>& tensors) = 0;

  // Throws not_fitted with a message naming the verb.
  void require_fitted(const char* verb) const;
  // Throws unless view is well formed and its rows fit what the model was fitted on
  // (require_fitted_rows). Every verb that takes data rows calls this.
  void require_rows(const DataView& view) const;
  // Throws unsupported with the family's reason unless capabilities() has every bit of cap.
  void require_capability(uint32_t cap, const char* verb) const;

 protected:
  // Why a verb is missing, e.g. "bernoulli has no latent space". Families override.
  virtual std::string unsupported_why(const char* verb) const;
  [[noreturn]] void unsupported(const char* verb) const;

  DataShape shape_;
};

// The one check of caller rows against a model's DataShape (so the C ABI, the command line
// and every binding refuse the same things): the width must equal fitted.d, and rows that
// carry an image layout must carry the model's, when the model has one. Flat rows of the
// right width are accepted — a layout is a claim about the data, and a (4, 16) image read
// by an (8, 8) model is a silent wrong answer, while plain rows make no claim to break.
// Throws invalid_data naming both sides.
void require_fitted_rows(const DataShape& fitted, const DataView& view, const char* kind);

// Looks up a tensor by name in a loaded file; throws corrupt_file if it is missing or its
// dtype or shape differ from what the configuration implies.
const TensorRef& find_tensor(const std::vector<TensorRef>& tensors, const std::string& name,
                             DType dtype, const std::vector<int64_t>& shape);

}  // namespace gm
