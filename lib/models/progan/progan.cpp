// ProGAN: configuration, fit, sample and persistence. The training iteration is in
// progan_step.cpp; the maths in progan.hpp.
#include "models/progan/progan.hpp"
#include "models/gan/fit_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "models/progan/progan_nets.hpp"
#include "models/progan/progan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

namespace {
constexpr uint64_t kInitStream = 0x960A'0000'0001ull;
constexpr int64_t kChunk = 64;  // rows per sampling pass
const char* const kImagesTensor = "progress.images";
}  // namespace

ProGanModel::ProGanModel(const Json& config) : cfg_(progan::read_config(config, config_)) {}

ProGanModel::~ProGanModel() = default;
ProGanModel::ProGanModel(ProGanModel&&) noexcept = default;
ProGanModel& ProGanModel::operator=(ProGanModel&&) noexcept = default;

std::string ProGanModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "log_prob") == 0) return "progan is an implicit model: it has no likelihood to evaluate";
  if (std::strcmp(verb, "encode") == 0)
    return "progan cannot encode: its generator maps noise to images and nothing maps images back";
  if (std::strcmp(verb, "complete") == 0)
    return "progan cannot complete: it has no conditional p(x_missing | x_observed)";
  if (std::strcmp(verb, "translate") == 0)
    return "progan cannot translate: it generates from noise and has no domains (use sample)";
  return GenerativeModel::unsupported_why(verb);
}

int64_t ProGanModel::stages() const {
  require_fitted("stages");
  return nets_->geo.stages;
}

int64_t ProGanModel::images_seen() const { return nets_ ? nets_->images : 0; }

progan::Phase ProGanModel::phase() const {
  require_fitted("phase");
  return progan::phase_at(nets_->images, nets_->geo.stages, cfg_.fade_images, cfg_.stable_images);
}

Json ProGanModel::growth() const {
  if (!nets_) return nullptr;
  const progan::Phase ph = phase();
  return Json{{"stage", ph.stage + 1},
              {"stages", nets_->geo.stages},
              {"side", nets_->geo.side(ph.stage)},
              {"alpha", ph.alpha},
              {"images_seen", nets_->images}};
}

// ---------------------------------------------------------------- fit

void ProGanModel::check_fit_data(const DataView& data) const {
  progan::geometry_of(DataShape{data.d, data.image}, Status::invalid_data);
  for (int64_t i = 0; i < data.n * data.d; ++i) {
    const float v = data.x[i];
    if (!(v >= 0.0f && v <= 1.0f))
      fail(Status::invalid_data, "progan needs values in [0, 1]; row {} column {} is {}: scale the data to [0, 1]",
           i / data.d, i % data.d, v);
  }
}

void ProGanModel::do_fit(const DataView& data, const FitOptions& options) {
  check_fit_data(data);
  const DataShape shape{data.d, data.image};
  threads_ = resolve_threads(options.threads);
  if (!options.warm_start) {  // a warm start continues the networks and their images count restored into *this
    nets_ = std::make_unique<progan::Nets>(cfg_, shape, Status::invalid_data);
    Rng init(options.seed, kInitStream);
    nets_->init(init);
  }
  scratch_ = std::make_unique<progan::Scratch>();
  shape_ = shape;
  const nn::AdamOptions o = gan::fit_adam_options(cfg_.lr, cfg_.beta1, cfg_.beta2, options);
  optimisers_ = std::make_unique<progan::Optimisers>(
      progan::Optimisers{nn::Adam(nets_->d_span(), o), nn::Adam(nets_->g_span(), o)});
  sum_d_ = sum_g_ = 0;
  rows_d_ = rows_g_ = 0;
  const gan::ReleaseAtEnd<progan::Optimisers> end{optimisers_};  // the fit's optimisers are not part of the model
  report_ = nn::train(static_cast<nn::SteppedTrainable&>(*this), data, options, kind());
  scratch_ = std::make_unique<progan::Scratch>();  // release the training buffers
}

std::vector<nn::Adam*> ProGanModel::optimisers() { return {&optimisers_->d, &optimisers_->g}; }

void ProGanModel::end_epoch(nn::EpochReport& r) {
  epoch_d_ = rows_d_ > 0 ? sum_d_ / static_cast<double>(rows_d_) : 0;
  epoch_g_ = rows_g_ > 0 ? sum_g_ / static_cast<double>(rows_g_) : 0;
  sum_d_ = sum_g_ = 0;
  rows_d_ = rows_g_ = 0;
  r.discriminator_loss = epoch_d_;
  r.generator_loss = epoch_g_;
}

nn::ParameterStore& ProGanModel::parameter_store() {
  require_fitted("parameter_store");
  return nets_->store;
}
nn::ParamSpan ProGanModel::discriminator_span() {
  require_fitted("discriminator_span");
  return nets_->d_span();
}
nn::ParamSpan ProGanModel::generator_span() {
  require_fitted("generator_span");
  return nets_->g_span();
}

// ---------------------------------------------------------------- sample

// stage 0: the current phase; k ≥ 1: stage k − 1, at the current α if it is the current
// stage, else at α = 1 (a stage passed is complete).
progan::Phase ProGanModel::sample_phase(int64_t stage) const {
  const progan::Phase now = phase();
  if (stage == 0) return now;
  const int64_t K = nets_->geo.stages;
  if (stage > K)
    fail(Status::invalid_argument, "progan: stage {} does not exist; this model has stages 1 to {} (sides {} to {})",
         stage, K, nets_->geo.side(0), nets_->geo.side(K - 1));
  if (stage - 1 > now.stage)
    fail(Status::invalid_argument,
         "progan: stage {} ({}x{}) is not trained yet; the model has reached stage {} ({}x{}): fit longer or ask "
         "for a stage up to {}",
         stage, nets_->geo.side(stage - 1), nets_->geo.side(stage - 1), now.stage + 1, nets_->geo.side(now.stage),
         nets_->geo.side(now.stage), now.stage + 1);
  if (stage - 1 == now.stage) return now;
  progan::Phase p;
  p.stage = stage - 1;
  return p;
}

// z (n, Z) → out (n, C·S·S) in [0, 1], a lower stage's images upsampled (nearest) to side S.
void ProGanModel::generate_rows(const float* z, int64_t n, progan::Phase ph, float* out) const {
  const progan::Nets& nets = *nets_;
  const progan::Geometry& g = nets.geo;
  const int64_t side = g.side(ph.stage), shift = g.stages - 1 - ph.stage, D = g.pixels(g.stages - 1);
  progan::GPass pass;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    const float* y = nets.g_forward(z + begin * nets.Z, count, ph, pass);
    for (int64_t r = 0; r < count; ++r)
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t i = 0; i < g.S; ++i)
          for (int64_t j = 0; j < g.S; ++j) {
            const float v = y[((r * g.C + c) * side + (i >> shift)) * side + (j >> shift)];
            out[(begin + r) * D + (c * g.S + i) * g.S + j] = std::clamp(0.5f * (v + 1.0f), 0.0f, 1.0f);
          }
  }
}

void ProGanModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  const progan::Phase ph = sample_phase(options.stage);
  const int64_t Z = cfg_.latent;
  std::vector<float> z(static_cast<std::size_t>(n * Z));
  for (int64_t r = 0; r < n; ++r) {
    Rng row(options.seed, static_cast<uint64_t>(r));
    for (int64_t j = 0; j < Z; ++j) z[static_cast<std::size_t>(r * Z + j)] = static_cast<float>(row.normal());
  }
  generate_rows(z.data(), n, ph, out);
}

void ProGanModel::do_decode(const DataView& codes, const SampleOptions& options, float* out) const {
  generate_rows(codes.x, codes.n, sample_phase(options.stage), out);
}

std::vector<float> ProGanModel::generate(const float* z, int64_t n, progan::Phase ph) {
  require_fitted("generate");
  progan::GPass pass;
  const float* y = static_cast<const progan::Nets&>(*nets_).g_forward(z, n, ph, pass);
  return std::vector<float>(y, y + n * nets_->geo.pixels(ph.stage));
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> ProGanModel::do_tensors() const {
  std::vector<TensorRef> out = nets_->store.tensors();
  out.push_back({kImagesTensor, DType::i64, {1}, &nets_->images});
  return out;
}

void ProGanModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  // Every tensor is checked against the configuration before anything is allocated.
  const auto expected = progan::planned_tensors(cfg_, shape);
  const std::vector<const TensorRef*> found = find_planned(tensors, expected);
  const TensorRef& seen = find_tensor(tensors, kImagesTensor, DType::i64, {1});
  int64_t images = 0;
  std::memcpy(&images, seen.data, sizeof images);  // views may be unaligned
  if (images < 0) fail(Status::corrupt_file, "progan model file: '{}' is {}, not a count", kImagesTensor, images);
  auto nets = std::make_unique<progan::Nets>(cfg_, shape, Status::corrupt_file);
  copy_planned(nets->store, expected, found, kind());
  nets->images = images;
  nets_ = std::move(nets);
  scratch_ = std::make_unique<progan::Scratch>();
  shape_ = shape;
}

}  // namespace gm
