// StarGAN: configuration, fit, translate and persistence. The training iteration is in
// stargan_step.cpp; the maths in stargan.hpp.
#include "models/stargan/stargan.hpp"
#include "models/gan/fit_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "models/stargan/stargan_nets.hpp"
#include "models/stargan/stargan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

namespace {
constexpr uint64_t kInitStream = 0x57A6'0000'0001ull;
constexpr int64_t kChunk = 64;  // rows per translate pass
}  // namespace

StarGanModel::StarGanModel(const Json& config) : cfg_(stargan::read_config(config, config_)) {}

StarGanModel::~StarGanModel() = default;
StarGanModel::StarGanModel(StarGanModel&&) noexcept = default;
StarGanModel& StarGanModel::operator=(StarGanModel&&) noexcept = default;

std::string StarGanModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "sample") == 0)
    return "stargan translates given images to another domain; it has no noise prior to sample from (use translate)";
  if (std::strcmp(verb, "log_prob") == 0) return "stargan is an implicit model: it has no likelihood to evaluate";
  if (std::strcmp(verb, "encode") == 0 || std::strcmp(verb, "decode") == 0)
    return fmt::format("stargan cannot {}: it has no latent space (its generator maps images to images)", verb);
  if (std::strcmp(verb, "complete") == 0)
    return "stargan cannot complete: it has no conditional p(x_missing | x_observed)";
  return GenerativeModel::unsupported_why(verb);
}

std::vector<std::string> StarGanModel::do_domain_names() const {
  if (!cfg_.domain_names.empty()) return cfg_.domain_names;
  std::vector<std::string> names;
  for (int64_t k = 0; k < cfg_.domains; ++k) names.push_back(std::to_string(k));
  return names;
}

// ---------------------------------------------------------------- fit

void StarGanModel::check_fit_data(const DataView& data) {
  if (data.n < 2) fail(Status::invalid_data, "stargan fit needs at least two rows");
  stargan::check_shape(DataShape{data.d, data.image}, Status::invalid_data);
  for (int64_t i = 0; i < data.n * data.d; ++i) {
    const float v = data.x[i];
    if (!(v >= 0.0f && v <= 1.0f))
      fail(Status::invalid_data, "stargan needs values in [0, 1]; row {} column {} is {}: scale the data to [0, 1]",
           i / data.d, i % data.d, v);
  }
  if (!data.labels)
    fail(Status::invalid_data,
         "stargan needs each row's domain in gm_data.labels (the command line: --data with labels, or --domains)");
  int64_t top = 0;
  for (int64_t r = 0; r < data.n; ++r) top = std::max<int64_t>(top, data.labels[r]);
  const int64_t found = std::max(data.num_classes, top + 1);
  if (cfg_.domains == 0 && found < 2)
    fail(Status::invalid_data, "stargan needs at least 2 domains; the data's labels give {}", found);
  if (cfg_.domains == 0) cfg_.domains = found;
  if (found > cfg_.domains)
    fail(Status::invalid_data, "stargan: the data has {} domains (labels up to {}), the model {}", found, top,
         cfg_.domains);
  if (found > stargan::kMaxDomains)
    fail(Status::invalid_data, "stargan: {} domains are more than the {} it takes", found, stargan::kMaxDomains);
  config_["domains"] = cfg_.domains;
}

void StarGanModel::do_fit(const DataView& data, const FitOptions& options) {
  check_fit_data(data);  // may fill in cfg_.domains: GenerativeModel::fit undoes it on failure
  const DataShape shape{data.d, data.image};
  threads_ = resolve_threads(options.threads);
  if (!options.warm_start) {  // a warm start continues the networks restored into *this
    nets_ = std::make_unique<stargan::Nets>(cfg_, shape, Status::invalid_data);
    Rng init(options.seed, kInitStream);
    nets_->init(init);
  }
  scratch_ = std::make_unique<stargan::Scratch>();
  shape_ = shape;
  const nn::AdamOptions o = gan::fit_adam_options(cfg_.lr, cfg_.beta1, cfg_.beta2, options);
  optimisers_ = std::make_unique<stargan::Optimisers>(
      stargan::Optimisers{nn::Adam(nets_->d_span(), o), nn::Adam(nets_->g_span(), o)});
  sum_d_ = sum_g_ = 0;
  rows_d_ = rows_g_ = 0;
  const gan::ReleaseAtEnd<stargan::Optimisers> end{optimisers_};  // the fit's optimisers are not part of the model
  report_ = nn::train(static_cast<nn::SteppedTrainable&>(*this), data, options, kind());
  scratch_ = std::make_unique<stargan::Scratch>();  // release the training buffers
}

std::vector<nn::Adam*> StarGanModel::optimisers() { return {&optimisers_->d, &optimisers_->g}; }

void StarGanModel::end_epoch(nn::EpochReport& r) {
  epoch_d_ = rows_d_ > 0 ? sum_d_ / static_cast<double>(rows_d_) : 0;
  epoch_g_ = rows_g_ > 0 ? sum_g_ / static_cast<double>(rows_g_) : 0;
  sum_d_ = sum_g_ = 0;
  rows_d_ = rows_g_ = 0;
  r.discriminator_loss = epoch_d_;
  r.generator_loss = epoch_g_;
}

nn::ParameterStore& StarGanModel::parameter_store() {
  require_fitted("parameter_store");
  return nets_->store;
}
nn::ParamSpan StarGanModel::discriminator_span() {
  require_fitted("discriminator_span");
  return nets_->d_span();
}
nn::ParamSpan StarGanModel::generator_span() {
  require_fitted("generator_span");
  return nets_->g_span();
}

// ---------------------------------------------------------------- translate

void StarGanModel::do_translate(const DataView& x, const int32_t* target, const TranslateOptions&, float* out) const {
  const stargan::Nets& nets = *nets_;
  const int64_t D = nets.pixels(), HW = nets.S * nets.S, rows = std::min(x.n, kChunk);
  std::vector<float> xs(static_cast<std::size_t>(rows * D)), gin(static_cast<std::size_t>(rows * nets.g_in()));
  nn::SequentialWork work;
  for (int64_t begin = 0; begin < x.n; begin += kChunk) {
    const int64_t count = std::min(kChunk, x.n - begin);
    const float* in = x.row(begin);
    for (int64_t i = 0; i < count * D; ++i) xs[static_cast<std::size_t>(i)] = 2.0f * in[i] - 1.0f;
    stargan::generator_input(xs.data(), target + begin, count, nets.C, HW, nets.K, gin.data());
    const float* y = nets.g.forward_infer(gin.data(), count, work);
    float* o = out + begin * D;
    for (int64_t i = 0; i < count * D; ++i) o[i] = std::clamp(0.5f * (y[i] + 1.0f), 0.0f, 1.0f);
  }
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> StarGanModel::do_tensors() const { return nets_->store.tensors(); }

void StarGanModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  if (cfg_.domains < 2) fail(Status::corrupt_file, "stargan model file lacks its fitted \"domains\"");
  // Every tensor is checked against the configuration before anything is allocated.
  const auto expected = stargan::planned_tensors(cfg_, shape);
  const std::vector<const TensorRef*> found = find_planned(tensors, expected);
  auto nets = std::make_unique<stargan::Nets>(cfg_, shape, Status::corrupt_file);
  copy_planned(nets->store, expected, found, kind());
  nets_ = std::move(nets);
  scratch_ = std::make_unique<stargan::Scratch>();
  shape_ = shape;
}

}  // namespace gm
