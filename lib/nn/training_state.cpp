#include "nn/training_state.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace gm::nn {

namespace {

// FNV-1a's constants, applied to 8-byte words rather than bytes (8x fewer multiplies).
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

uint64_t mix_bytes(uint64_t h, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * kFnvPrime;
  }
  for (; i < bytes; ++i) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

std::string name(const char* part) { return std::string(kTrainingTensorPrefix) + part; }

const TensorRef* find(const std::vector<TensorRef>& tensors, const std::string& n) {
  for (const TensorRef& t : tensors)
    if (t.name == n) return &t;
  return nullptr;
}

// A rank-1 tensor named n of dtype and exactly `count` elements, or corrupt_file.
const TensorRef& require_vector(const std::vector<TensorRef>& tensors, const std::string& n, DType dtype,
                                int64_t count) {
  const TensorRef* t = find(tensors, n);
  if (t == nullptr) fail(Status::corrupt_file, "checkpoint lacks tensor '{}'", n);
  if (t->dtype != dtype || t->shape.size() != 1 || t->shape[0] != count)
    fail(Status::corrupt_file, "checkpoint tensor '{}' must be {} of {} elements", n, dtype_name(dtype), count);
  return *t;
}

template <typename T>
std::vector<T> copy_out(const TensorRef& t) {
  std::vector<T> v(static_cast<std::size_t>(t.elements()));
  if (!v.empty()) std::memcpy(v.data(), t.data, v.size() * sizeof(T));  // the view may be unaligned
  return v;
}

int64_t get_int(const Json& j, const char* key, int64_t lo, int64_t hi) {
  if (!j.contains(key) || !j[key].is_number_integer())
    fail(Status::corrupt_file, "checkpoint training state lacks the integer \"{}\"", key);
  const int64_t v = j[key].get<int64_t>();
  if (v < lo || v > hi) fail(Status::corrupt_file, "checkpoint \"{}\" = {} is outside [{}, {}]", key, v, lo, hi);
  return v;
}

double get_double(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) fail(Status::corrupt_file, "checkpoint lacks the number \"{}\"", key);
  return j[key].get<double>();
}

}  // namespace

uint64_t data_fingerprint(const DataView& data) {
  uint64_t h = kFnvOffset;
  h = mix_bytes(h, &data.n, sizeof data.n);
  h = mix_bytes(h, &data.d, sizeof data.d);
  if (data.n > 0) h = mix_bytes(h, data.x, static_cast<std::size_t>(data.n * data.d) * sizeof(float));
  if (data.labels) h = mix_bytes(h, data.labels, static_cast<std::size_t>(data.n) * sizeof(int32_t));
  if (data.conditions)
    h = mix_bytes(h, data.conditions, static_cast<std::size_t>(data.n * data.condition_dim) * sizeof(float));
  return h;
}

bool TrainingState::same_run(const DataView& data, uint64_t s, int64_t b, double lr, double vf, int64_t p) const {
  return !empty() && seed == s && batch_size == b && learning_rate == lr && validation_fraction == vf &&
         patience == p && rows == data.n && data_hash == data_fingerprint(data);
}

Json TrainingState::to_json() const {
  // The hash and the seed are 64-bit unsigned: JSON numbers above 2^53 lose bits in many
  // readers, so both are written as hex strings.
  return Json{{"epochs_done", epochs_done},
              {"steps_done", steps_done},
              {"epochs_planned", epochs_planned},
              {"seed", fmt::format("{:016x}", seed)},
              {"batch_size", batch_size},
              {"learning_rate", learning_rate},
              {"validation_fraction", validation_fraction},
              {"patience", patience},
              {"rows", rows},
              {"data_hash", fmt::format("{:016x}", data_hash)},
              {"best_loss", std::isfinite(best_loss) ? Json(best_loss) : Json(nullptr)},
              {"best_epoch", best_epoch},
              {"epochs_without_improvement", epochs_without_improvement},
              {"optimisers", static_cast<int64_t>(optimisers.size())}};
}

std::vector<TensorRef> TrainingState::tensors() const {
  std::vector<TensorRef> out;
  out.push_back({name("order"), DType::i64, {static_cast<int64_t>(order.size())}, order.data()});
  if (!best.empty()) out.push_back({name("best"), DType::f32, {static_cast<int64_t>(best.size())}, best.data()});
  if (!extra.empty()) out.push_back({name("extra"), DType::f32, {static_cast<int64_t>(extra.size())}, extra.data()});
  for (std::size_t k = 0; k < optimisers.size(); ++k) {
    const OptimiserState& o = optimisers[k];
    const auto n = static_cast<int64_t>(o.m.size());
    out.push_back({name(fmt::format("optimiser{}.m", k).c_str()), DType::f32, {n}, o.m.data()});
    out.push_back({name(fmt::format("optimiser{}.v", k).c_str()), DType::f32, {n}, o.v.data()});
    out.push_back({name(fmt::format("optimiser{}.steps", k).c_str()), DType::i64, {1}, &o.steps});
  }
  return out;
}

TrainingState TrainingState::restore(const Json& j, const std::vector<TensorRef>& tensors) {
  if (!j.is_object()) fail(Status::corrupt_file, "checkpoint training state is not a JSON object");
  TrainingState s;
  constexpr int64_t kMax = int64_t{1} << 62;
  s.epochs_done = get_int(j, "epochs_done", 1, kMax);
  s.steps_done = get_int(j, "steps_done", 0, kMax);
  s.epochs_planned = get_int(j, "epochs_planned", 0, kMax);
  s.batch_size = get_int(j, "batch_size", 1, kMax);
  s.patience = get_int(j, "patience", 0, kMax);
  s.rows = get_int(j, "rows", 1, limits::kMaxRows);
  s.best_epoch = get_int(j, "best_epoch", 0, s.epochs_done);
  s.epochs_without_improvement = get_int(j, "epochs_without_improvement", 0, s.epochs_done);
  s.validation_fraction = get_double(j, "validation_fraction");
  s.learning_rate = get_double(j, "learning_rate");
  if (!(s.learning_rate >= 0) || !std::isfinite(s.learning_rate))
    fail(Status::corrupt_file, "checkpoint learning_rate {} is not a finite number >= 0", s.learning_rate);
  if (!(s.validation_fraction >= 0 && s.validation_fraction < 1))
    fail(Status::corrupt_file, "checkpoint validation_fraction {} is outside [0, 1)", s.validation_fraction);
  for (auto [key, out] : {std::pair{"seed", &s.seed}, std::pair{"data_hash", &s.data_hash}}) {
    const std::string text = j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
    char* end = nullptr;
    errno = 0;
    *out = std::strtoull(text.c_str(), &end, 16);
    if (text.empty() || text.size() > 16 || *end != '\0' || errno != 0)
      fail(Status::corrupt_file, "checkpoint \"{}\" must be a hex string of at most 16 digits", key);
  }
  if (!j.contains("best_loss")) fail(Status::corrupt_file, "checkpoint lacks \"best_loss\"");
  s.best_loss = j["best_loss"].is_null() ? INFINITY : get_double(j, "best_loss");
  const int64_t optimisers = get_int(j, "optimisers", 0, 8);

  const TensorRef* order = find(tensors, name("order"));
  if (order == nullptr || order->dtype != DType::i64 || order->shape.size() != 1 || order->shape[0] > s.rows)
    fail(Status::corrupt_file, "checkpoint tensor 'training.order' must be i64 of at most {} rows", s.rows);
  s.order = copy_out<int64_t>(*order);
  for (int64_t r : s.order)
    if (r < 0 || r >= s.rows) fail(Status::corrupt_file, "checkpoint training order holds row {} of {}", r, s.rows);
  if (const TensorRef* best = find(tensors, name("best")))
    s.best = copy_out<float>(require_vector(tensors, name("best"), DType::f32, best->elements()));
  if (const TensorRef* extra = find(tensors, name("extra")))
    s.extra = copy_out<float>(require_vector(tensors, name("extra"), DType::f32, extra->elements()));
  std::size_t expected = 1 + (s.best.empty() ? 0 : 1) + (s.extra.empty() ? 0 : 1);
  for (int64_t k = 0; k < optimisers; ++k) {
    const std::string m = name(fmt::format("optimiser{}.m", k).c_str());
    const TensorRef* mt = find(tensors, m);
    if (mt == nullptr || mt->shape.size() != 1) fail(Status::corrupt_file, "checkpoint lacks tensor '{}'", m);
    OptimiserState o;
    o.m = copy_out<float>(require_vector(tensors, m, DType::f32, mt->shape[0]));
    o.v = copy_out<float>(
        require_vector(tensors, name(fmt::format("optimiser{}.v", k).c_str()), DType::f32, mt->shape[0]));
    o.steps =
        copy_out<int64_t>(require_vector(tensors, name(fmt::format("optimiser{}.steps", k).c_str()), DType::i64, 1))[0];
    if (o.steps < 0 || o.steps > s.steps_done)
      fail(Status::corrupt_file, "checkpoint optimiser {} has {} steps of {}", k, o.steps, s.steps_done);
    for (float x : o.m)
      if (!std::isfinite(x)) fail(Status::corrupt_file, "checkpoint optimiser {} has a non-finite moment", k);
    for (float x : o.v)
      if (!(x >= 0.0f) || !std::isfinite(x))
        fail(Status::corrupt_file, "checkpoint optimiser {} has a negative or non-finite second moment", k);
    s.optimisers.push_back(std::move(o));
    expected += 3;
  }
  for (float x : s.best)
    if (!std::isfinite(x)) fail(Status::corrupt_file, "checkpoint best parameters are not all finite");
  for (float x : s.extra)
    if (!std::isfinite(x)) fail(Status::corrupt_file, "checkpoint tensor 'training.extra' is not all finite");
  std::size_t found = 0;
  for (const TensorRef& t : tensors) found += t.name.rfind(kTrainingTensorPrefix, 0) == 0;
  if (found != expected)
    fail(Status::corrupt_file, "checkpoint has {} training tensors, its state names {}", found, expected);
  return s;
}

}  // namespace gm::nn
