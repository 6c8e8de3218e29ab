// Puzzle-GAN: configuration, fit, complete_from_parts and persistence. The training iteration is
// in puzzlegan_step.cpp; the maths in puzzlegan.hpp.
#include "models/puzzlegan/puzzlegan.hpp"
#include "models/gan/fit_support.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "models/puzzlegan/puzzlegan_nets.hpp"
#include "models/puzzlegan/puzzlegan_parts.hpp"
#include "models/puzzlegan/puzzlegan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

namespace {
constexpr uint64_t kInitStream = 0x9022'1E00'0001ull;
constexpr int64_t kChunk = 64;  // images per complete_from_parts pass
}  // namespace

PuzzleGanModel::PuzzleGanModel(const Json& config) : cfg_(puzzlegan::read_config(config, config_)) {}

PuzzleGanModel::~PuzzleGanModel() = default;
PuzzleGanModel::PuzzleGanModel(PuzzleGanModel&&) noexcept = default;
PuzzleGanModel& PuzzleGanModel::operator=(PuzzleGanModel&&) noexcept = default;

std::string PuzzleGanModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "sample") == 0)
    return "puzzlegan generates an image from key patches; it has no prior over patches to sample from (use "
           "complete_from_parts, or `genmodels complete MODEL --patches K`)";
  if (std::strcmp(verb, "log_prob") == 0) return "puzzlegan is an implicit model: it has no likelihood to evaluate";
  if (std::strcmp(verb, "encode") == 0 || std::strcmp(verb, "decode") == 0)
    return fmt::format("puzzlegan cannot {}: its code is made from patches, not a latent vector a caller gives", verb);
  if (std::strcmp(verb, "complete") == 0)
    return "puzzlegan completes from key patches and their positions (complete_from_parts), not from a mask of "
           "observed pixels";
  if (std::strcmp(verb, "translate") == 0) return "puzzlegan has no domains to translate between";
  return GenerativeModel::unsupported_why(verb);
}

// ---------------------------------------------------------------- fit

void PuzzleGanModel::check_fit_data(const DataView& data) const {
  if (data.n < 2) fail(Status::invalid_data, "puzzlegan fit needs at least two rows");
  puzzlegan::check_shape(cfg_, DataShape{data.d, data.image}, Status::invalid_data);
  for (int64_t i = 0; i < data.n * data.d; ++i) {
    const float v = data.x[i];
    if (!(v >= 0.0f && v <= 1.0f))
      fail(Status::invalid_data, "puzzlegan needs values in [0, 1]; row {} column {} is {}: scale the data to [0, 1]",
           i / data.d, i % data.d, v);
  }
}

void PuzzleGanModel::do_fit(const DataView& data, const FitOptions& options) {
  check_fit_data(data);
  const DataShape shape{data.d, data.image};
  threads_ = resolve_threads(options.threads);
  if (!options.warm_start) {  // a warm start continues the networks restored into *this
    nets_ = std::make_unique<puzzlegan::Nets>(cfg_, shape, Status::invalid_data);
    Rng init(options.seed, kInitStream);
    nets_->init(init);
  }
  scratch_ = std::make_unique<puzzlegan::Scratch>();
  shape_ = shape;
  const nn::AdamOptions o = gan::fit_adam_options(cfg_.lr, cfg_.beta1, cfg_.beta2, options);
  optimisers_ = std::make_unique<puzzlegan::Optimisers>(
      puzzlegan::Optimisers{nn::Adam(nets_->g_span(), o), nn::Adam(nets_->d_span(), o)});
  sum_d_ = sum_g_ = 0;
  rows_ = 0;
  const gan::ReleaseAtEnd<puzzlegan::Optimisers> end{optimisers_};  // the fit's optimisers are not part of the model
  report_ = nn::train(static_cast<nn::SteppedTrainable&>(*this), data, options, kind());
  scratch_ = std::make_unique<puzzlegan::Scratch>();  // release the training buffers
}

std::vector<nn::Adam*> PuzzleGanModel::optimisers() { return {&optimisers_->g, &optimisers_->d}; }

void PuzzleGanModel::end_epoch(nn::EpochReport& r) {
  r.discriminator_loss = rows_ > 0 ? sum_d_ / static_cast<double>(rows_) : 0;
  r.generator_loss = rows_ > 0 ? sum_g_ / static_cast<double>(rows_) : 0;
  sum_d_ = sum_g_ = 0;
  rows_ = 0;
}

nn::ParameterStore& PuzzleGanModel::parameter_store() {
  require_fitted("parameter_store");
  return nets_->store;
}
nn::ParamSpan PuzzleGanModel::discriminator_span() {
  require_fitted("discriminator_span");
  return nets_->d_span();
}
nn::ParamSpan PuzzleGanModel::generator_span() {
  require_fitted("generator_span");
  return nets_->g_span();
}

// ---------------------------------------------------------------- complete_from_parts

void PuzzleGanModel::do_complete_from_parts(const DataView& patches, const int64_t* positions, int64_t k,
                                            const SampleOptions& options, float* out) const {
  const puzzlegan::Nets& nets = *nets_;
  for (int64_t i = 0; i < patches.n * patches.d; ++i)
    if (!(patches.x[i] >= 0.0f && patches.x[i] <= 1.0f))
      fail(Status::invalid_data, "puzzlegan: patch values must be in [0, 1]; patch {} value {} is {}", i / patches.d,
           i % patches.d, patches.x[i]);
  const int64_t n = patches.n / k, C = nets.C, S = nets.S, P = nets.P, D = nets.pixels(), Q = nets.scores();
  const int64_t code = nets.code(), rows = std::min(n, kChunk);
  std::vector<float> scaled(static_cast<std::size_t>(C * P * P)),
      canvases(static_cast<std::size_t>(rows * k * nets.canvas()));
  std::vector<float> h(static_cast<std::size_t>(rows * code)), z(static_cast<std::size_t>(rows * nets.N));
  std::vector<float> gin(static_cast<std::size_t>(rows * nets.g_in()));
  nn::SequentialWork ework, gwork;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    for (int64_t j = 0; j < count * k; ++j) {
      const int64_t part = begin * k + j;
      const float* p = patches.row(part);
      for (int64_t i = 0; i < C * P * P; ++i) scaled[static_cast<std::size_t>(i)] = 2.0f * p[i] - 1.0f;
      puzzlegan::place_on_canvas(scaled.data(), C, S, P, positions[2 * part], positions[2 * part + 1],
                                 canvases.data() + j * nets.canvas());
    }
    const float* codes = nets.e.forward_infer(canvases.data(), count * k, ework);
    std::fill(h.begin(), h.end(), 0.0f);
    const float share = 1.0f / static_cast<float>(k);
    for (int64_t b = 0; b < count; ++b)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t i = 0; i < code; ++i)
          h[static_cast<std::size_t>(b * code + i)] += share * codes[(b * k + j) * code + i];
    for (int64_t b = 0; b < count; ++b) {
      Rng noise(options.seed, static_cast<uint64_t>(begin + b));
      for (int64_t i = 0; i < nets.N; ++i)
        z[static_cast<std::size_t>(b * nets.N + i)] = static_cast<float>(noise.latent_normal(options.truncation));
    }
    puzzlegan::generator_input(h.data(), z.data(), count, nets.F, nets.N, Q, gin.data());
    const float* y = nets.g.forward_infer(gin.data(), count, gwork);
    float* o = out + begin * D;
    for (int64_t i = 0; i < count * D; ++i) o[i] = std::clamp(0.5f * (y[i] + 1.0f), 0.0f, 1.0f);
  }
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> PuzzleGanModel::do_tensors() const { return nets_->store.tensors(); }

void PuzzleGanModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  // Every tensor is checked against the configuration before anything is allocated.
  const auto expected = puzzlegan::planned_tensors(cfg_, shape);
  const std::vector<const TensorRef*> found = find_planned(tensors, expected);
  auto nets = std::make_unique<puzzlegan::Nets>(cfg_, shape, Status::corrupt_file);
  copy_planned(nets->store, expected, found, kind());
  nets_ = std::move(nets);
  scratch_ = std::make_unique<puzzlegan::Scratch>();
  shape_ = shape;
}

}  // namespace gm
