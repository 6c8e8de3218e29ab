// vae: configuration, fit (the negative ELBO and its gradient), persistence. The inference
// verbs (log_prob, encode, decode, sample) are in vae_infer.cpp.
#include "models/vae.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include <fmt/ranges.h>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "models/common_keys.hpp"
#include "models/vae_net.hpp"
#include "nn/bce_row.hpp"
#include "nn/compute.hpp"
#include "nn/init.hpp"
#include "nn/loss.hpp"

namespace gm {

namespace {

constexpr float kDefaultLr = 1e-3f;
constexpr uint64_t kInitStream = 0x7AE0'0000'0001ull;
constexpr int64_t kMaxWidth = int64_t{1} << 16;
// The step's elementwise loops go parallel only above these sizes: below, one thread finishes
// before a sleeping OpenMP team would wake (nn::SerialScope has the figures). Normal draws
// cost ~50 ns each, the other loops a few ns an element.
constexpr int64_t kParallelDraws = int64_t{1} << 14;
constexpr int64_t kParallelElements = int64_t{1} << 18;

// A key that does not apply keeps the schema's default in Config (it is not in the
// effective configuration, and a caller who gives it gets invalid_config from finish()).
template <typename T>
T schema_default(const char* key) {
  return VaeModel::config_schema().find(key)->fallback.get<T>();
}

vae::Config read_config(const Json& config, Json& effective) {
  ConfigReader r(config, VaeModel::config_schema());
  vae::Config c;
  c.conv = r.text("architecture") == "conv";
  c.latent = r.integer("latent");
  c.gaussian = r.text("decoder") == "gaussian";
  c.iwae_samples = r.integer("iwae_samples");
  c.sample_mean = r.boolean("sample_mean");
  c.weight_decay = r.number("weight_decay");
  c.learn_variance = (c.gaussian ? r.text("variance") : schema_default<std::string>("variance")) == "learned";
  c.logvar = static_cast<float>(c.gaussian ? r.number("logvar") : schema_default<double>("logvar"));
  c.min_logvar = static_cast<float>(c.gaussian && c.learn_variance ? r.number("min_logvar")
                                                                   : schema_default<double>("min_logvar"));
  if (c.gaussian && c.learn_variance && c.logvar < c.min_logvar)
    fail(Status::invalid_config, "\"logvar\" {} is below \"min_logvar\" {}", c.logvar, c.min_logvar);
  c.hidden = r.integers("hidden");
  c.conv_channels = c.conv ? r.integers("conv_channels") : schema_default<std::vector<int64_t>>("conv_channels");
  r.finish();  // keys the choices above rule out (conv_channels for an MLP, ...) fail here
  effective = r.effective();
  return c;
}

}  // namespace

struct VaeModel::Scratch {
  nn::SequentialWork enc, dec;
  nn::Buffer mu, lv, sd, eps, z, dz, dmu, dlv, dhead, dout, pixel_lv, lv_full, dlv_full;
  std::vector<double> rec, kl;

  void reserve(int64_t B, int64_t D, int64_t Z, bool gaussian) {
    for (nn::Buffer* b : {&mu, &lv, &sd, &eps, &z, &dz, &dmu, &dlv})
      if (b->size() < B * Z) b->resize(B * Z);
    if (dhead.size() < 2 * B * Z) dhead.resize(2 * B * Z);
    if (dout.size() < B * D) dout.resize(B * D);
    if (gaussian) {
      pixel_lv.resize(D);
      for (nn::Buffer* b : {&lv_full, &dlv_full})
        if (b->size() < B * D) b->resize(B * D);
    }
    rec.resize(static_cast<std::size_t>(B));
    kl.resize(static_cast<std::size_t>(B));
  }
};

const Schema& VaeModel::config_schema() {
  static const Schema schema{{
      text_key("architecture", "mlp", {"mlp", "conv"}, "MLP encoder/decoder, or conv layers (image data) before them"),
      integers_key("hidden", {400}, 0, 16, 1, kMaxWidth, "widths of the ReLU hidden layers, mirrored in the decoder"),
      integers_key("conv_channels", {32, 64}, 1, 6, 1, kMaxWidth,
                   "channels of the stride-2 conv layers (only with architecture \"conv\")"),
      integer_key("latent", 20, 1, 4096, "Z, the size of the latent code"),
      text_key("decoder", "bernoulli", {"bernoulli", "gaussian"},
               "p(x | z): Bernoulli pixels (binary data) or Gaussian"),
      text_key("variance", "learned", {"learned", "fixed"},
               "Gaussian decoder's per-pixel variance (only with decoder \"gaussian\")"),
      number_key("logvar", 0.0, -20.0, 20.0,
                 "fixed log-variance, or the initial one when learned (only with decoder \"gaussian\")"),
      number_key("min_logvar", -8.0, -20.0, 20.0,
                 "floor of the learned log-variance (only with decoder \"gaussian\" and variance \"learned\"; "
                 "logvar >= min_logvar)"),
      integer_key("iwae_samples", 100, 1, limits::kMaxImportanceSamples,
                  "k of log_prob's importance-weighted bound when the caller gives none (1: the ELBO)"),
      boolean_key("sample_mean", false, "sample returns the decoder mean instead of drawing pixels"),
      keys::weight_decay(),
  }};
  return schema;
}

VaeModel::VaeModel(const Json& config) : cfg_(read_config(config, config_)) {}

VaeModel::~VaeModel() = default;
VaeModel::VaeModel(VaeModel&&) noexcept = default;
VaeModel& VaeModel::operator=(VaeModel&&) noexcept = default;

uint32_t VaeModel::capabilities() const { return cfg_.gaussian ? capability_bits & ~cap_binary_data : capability_bits; }

std::string VaeModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "complete") == 0)
    return "vae cannot complete: p(x_missing | x_observed) has no tractable form in a VAE and this library "
           "implements no approximate inpainting for it; use fvsbn, nade or markov";
  return GenerativeModel::unsupported_why(verb);
}

nn::ParameterStore& VaeModel::parameter_store() {
  require_fitted("parameter_store");
  return net_->store;
}

void VaeModel::check_data(const DataView& data, int threads) const {
  if (cfg_.gaussian)
    require_finite(data);
  else
    require_binary(data, kind(), threads);
}

void VaeModel::fill_pixel_logvar(float* v) const {
  const int64_t D = shape_.d;
  if (!cfg_.learn_variance) {
    std::fill(v, v + D, cfg_.logvar);
    return;
  }
  const float* raw = net_->store.value(net_->logvar);
  for (int64_t j = 0; j < D; ++j) v[j] = std::max(raw[j], cfg_.min_logvar);
}

std::vector<float> VaeModel::pixel_logvar() const {
  if (!cfg_.gaussian || !net_) return {};
  std::vector<float> v(static_cast<std::size_t>(shape_.d));
  fill_pixel_logvar(v.data());
  return v;
}

// ---------------------------------------------------------------- fit

void VaeModel::do_fit(const DataView& data, const FitOptions& options) {
  check_data(data, options.threads);
  const DataShape shape{data.d, data.image};
  const std::vector<vae::LayerPlan> plan = vae::plan_layers(cfg_, shape, Status::invalid_data);
  if (!options.warm_start) {  // a warm start continues the restored network
    net_ = std::make_unique<vae::VaeNet>(cfg_, shape, plan);
    Rng init(options.seed, kInitStream);
    net_->init(init);
    if (net_->logvar.valid()) nn::init_constant(net_->store.value(net_->logvar), data.d, cfg_.logvar);
  }
  scratch_ = std::make_unique<Scratch>();
  shape_ = shape;

  nn::TrainerSettings settings;
  settings.fit = options;
  settings.adam.lr = kDefaultLr;
  settings.adam.weight_decay = static_cast<float>(cfg_.weight_decay);
  settings.kind = kind();
  report_ = nn::train(*this, data, settings);
}

double VaeModel::train_step(const DataView& batch, Rng& rng) { return elbo_pass(batch, rng, true, nullptr, nullptr); }

double VaeModel::evaluate(const DataView& batch, Rng& rng) { return elbo_pass(batch, rng, false, nullptr, nullptr); }

double VaeModel::negative_elbo(const DataView& batch, Rng& rng, double* rec, double* kl) {
  require_fitted("negative_elbo");
  require_rows(batch);
  nn::ComputeScope scope(0);
  return elbo_pass(batch, rng, false, rec, kl);
}

// One reparameterised sample per row:
//   loss_r = −log p(x_r | z_r) + KL(q(z | x_r) ‖ p(z)),  z_r = μ_r + σ_r ⊙ ε_r
//   ∂/∂μ = ∂rec/∂z + μ/B,  ∂/∂λ = ∂rec/∂z ⊙ ε ⊙ σ/2 + (e^λ − 1)/(2B)   (σ = e^{λ/2})
double VaeModel::elbo_pass(const DataView& batch, Rng& rng, bool backward, double* rec_out, double* kl_out) {
  require_fitted(backward ? "train_step" : "evaluate");
  if (batch.d != shape_.d || batch.n < 1)
    fail(Status::invalid_data, "vae: a batch of {} rows of {} values, the model has d = {}", batch.n, batch.d,
         shape_.d);
  vae::VaeNet& net = *net_;
  Scratch& s = *scratch_;
  const int64_t B = batch.n, D = shape_.d, Z = cfg_.latent;
  s.reserve(B, D, Z, cfg_.gaussian);
  float *mu = s.mu.data(), *lv = s.lv.data(), *sd = s.sd.data(), *eps = s.eps.data(), *z = s.z.data();

  // (B, 2Z) = [μ | λ]; no batch norm, so both passes compute the same values.
  const float* head =
      backward ? net.encoder.forward_train(batch.x, B, s.enc) : net.encoder.forward_infer(batch.x, B, s.enc);
  // One draw from the step's stream keys a stream per row, so rows draw in parallel and the
  // noise depends only on rng's state (not on the thread count).
  const uint64_t key = rng.next_u64();
#pragma omp parallel for schedule(static) if (B * Z >= kParallelDraws)
  for (int64_t r = 0; r < B; ++r) {
    Rng row_rng(key, static_cast<uint64_t>(batch.first_row + r));  // a distributed fit's block: its rows' streams
    for (int64_t j = 0; j < Z; ++j) eps[r * Z + j] = static_cast<float>(row_rng.normal());
    for (int64_t j = 0; j < Z; ++j) {
      const int64_t i = r * Z + j;
      mu[i] = head[2 * r * Z + j];
      lv[i] = head[2 * r * Z + Z + j];
      sd[i] = std::exp(0.5f * lv[i]);
      z[i] = mu[i] + sd[i] * eps[i];
    }
  }
  const float* out =
      backward ? net.decoder.forward_train(z, B, s.dec) : net.decoder.forward_infer(z, B, s.dec);  // (B, D)

  const float scale = 1.0f / static_cast<float>(B);
  float* dout = backward ? s.dout.data() : nullptr;
  double rec;
  if (!cfg_.gaussian) {
    // nn::bce_with_logits's maths in vectorised loops (nn/bce_row.hpp: it was 20% of a step).
    double* per_row = s.rec.data();
#pragma omp parallel for schedule(static) if (B * D >= kParallelElements)
    for (int64_t r = 0; r < B; ++r)
      per_row[r] = nn::bce_row(out + r * D, batch.x + r * D, D, dout ? dout + r * D : nullptr, scale);
    rec = 0.0;
    for (int64_t r = 0; r < B; ++r) rec += per_row[r];
  } else {
    // The per-pixel log-variance, broadcast over rows for gaussian_nll.
    float* v = s.pixel_lv.data();
    fill_pixel_logvar(v);
    float* lv_full = s.lv_full.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B; ++r) std::memcpy(lv_full + r * D, v, static_cast<std::size_t>(D) * sizeof(float));
    float* dlv_full = backward && cfg_.learn_variance ? s.dlv_full.data() : nullptr;
    rec = nn::gaussian_nll(batch.x, out, lv_full, B, D, s.rec.data(), dout, dlv_full, scale);
    if (dlv_full) {
      // Column sum in row order; no gradient where the clamp at min_logvar is active.
      const float* raw = net.store.value(net.logvar);
      float* g = net.store.grad(net.logvar);
      for (int64_t r = 0; r < B; ++r)
        for (int64_t j = 0; j < D; ++j) g[j] += raw[j] >= cfg_.min_logvar ? dlv_full[r * D + j] : 0.0f;
    }
  }
  const double kl = nn::kl_std_normal(mu, lv, B, Z, s.kl.data(), backward ? s.dmu.data() : nullptr,
                                      backward ? s.dlv.data() : nullptr, scale);
  if (backward) {
    float *dz = s.dz.data(), *dmu = s.dmu.data(), *dlv = s.dlv.data(), *dhead = s.dhead.data();
    net.decoder.backward(z, dout, dz, B, s.dec);
#pragma omp parallel for schedule(static) if (B * Z >= kParallelElements)
    for (int64_t r = 0; r < B; ++r)
      for (int64_t j = 0; j < Z; ++j) {
        const int64_t i = r * Z + j;
        dhead[2 * r * Z + j] = dz[i] + dmu[i];
        dhead[2 * r * Z + Z + j] = 0.5f * dz[i] * eps[i] * sd[i] + dlv[i];
      }
    net.encoder.backward(batch.x, dhead, nullptr, B, s.enc);
  }
  if (rec_out) std::copy(s.rec.begin(), s.rec.begin() + B, rec_out);
  if (kl_out) std::copy(s.kl.begin(), s.kl.begin() + B, kl_out);
  return rec + kl;
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> VaeModel::do_tensors() const { return net_->store.tensors(); }

void VaeModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  // Every tensor is checked against the configuration before anything is allocated, so a
  // hostile configuration cannot ask for more memory than the file itself holds.
  const std::vector<vae::LayerPlan> plan = vae::plan_layers(cfg_, shape, Status::corrupt_file);
  const std::vector<vae::TensorShape> expected = vae::plan_tensors(cfg_, shape, plan);
  std::vector<const TensorRef*> found;
  for (const vae::TensorShape& t : expected) found.push_back(&find_tensor(tensors, t.name, DType::f32, t.shape));

  auto net = std::make_unique<vae::VaeNet>(cfg_, shape, plan);
  nn::ParameterStore& store = net->store;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const nn::ParamId id = store.find(expected[i].name);
    if (store.entry(id).shape != expected[i].shape)
      fail(Status::internal, "vae: tensor {} registered with an unexpected shape", expected[i].name);
    float* dst = store.value(id);
    std::memcpy(dst, found[i]->data, found[i]->bytes());  // the file's bytes may be unaligned
    for (int64_t k = 0; k < store.size(id); ++k)
      if (!std::isfinite(dst[k]))
        fail(Status::corrupt_file, "vae tensor \"{}\" has a non-finite value at index {}", expected[i].name, k);
  }
  if (store.count() != static_cast<int32_t>(expected.size()))
    fail(Status::internal, "vae: {} tensors registered, {} planned", store.count(), expected.size());
  net_ = std::move(net);
  scratch_ = std::make_unique<Scratch>();
  shape_ = shape;
}

}  // namespace gm
