#include "models/generative_model.hpp"

#include <fmt/ranges.h>

#include "core/error.hpp"

namespace gm {

std::string GenerativeModel::unsupported_why(const char* verb) const {
  return fmt::format("{} has no {} verb", kind(), verb);
}

void GenerativeModel::unsupported(const char* verb) const {
  throw Error(Status::unsupported, unsupported_why(verb));
}

void GenerativeModel::require_fitted(const char* verb) const {
  if (!fitted()) fail(Status::not_fitted, "{}: the {} model must be fitted or loaded first", verb, kind());
}

void GenerativeModel::require_capability(uint32_t cap, const char* verb) const {
  if ((capabilities() & cap) != cap) unsupported(verb);
}

void GenerativeModel::require_rows(const DataView& view) const {
  validate_view(view);
  require_fitted_rows(shape_, view, kind());
}

void require_fitted_rows(const DataShape& fitted, const DataView& view, const char* kind) {
  if (view.d != fitted.d)
    fail(Status::invalid_data, "rows have d = {} values but the {} model was fitted on d = {}", view.d, kind,
         fitted.d);
  const ImageShape& a = view.image;
  const ImageShape& b = fitted.image;
  if (a.is_image() && b.is_image() && (a.channels != b.channels || a.height != b.height || a.width != b.width))
    fail(Status::invalid_data,
         "the data's image layout is {}x{}x{} (channels x height x width) but the {} model was fitted on {}x{}x{}; "
         "give data of the model's layout, or flat rows of d = {} values",
         a.channels, a.height, a.width, kind, b.channels, b.height, b.width, fitted.d);
}

void GenerativeModel::sample(int64_t, const SampleOptions&, float*) const { unsupported("sample"); }
void GenerativeModel::log_prob(const DataView&, const EvalOptions&, double*) const {
  unsupported("log_prob");
}
int64_t GenerativeModel::encode_dim() const { unsupported("encode"); }
void GenerativeModel::encode(const DataView&, const EvalOptions&, float*) const { unsupported("encode"); }
int64_t GenerativeModel::latent_dim() const { unsupported("decode"); }
void GenerativeModel::decode(const DataView&, const SampleOptions&, float*) const { unsupported("decode"); }
void GenerativeModel::complete(const DataView&, const uint8_t*, const SampleOptions&, float*) const {
  unsupported("complete");
}

const TensorRef& find_tensor(const std::vector<TensorRef>& tensors, const std::string& name,
                             DType dtype, const std::vector<int64_t>& shape) {
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
