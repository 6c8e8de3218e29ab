// GAN family: configuration, fit, the inference verbs and persistence. The training
// iteration itself is in gan_step.cpp.
#include "models/gan/gan.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "models/gan/gan_losses.hpp"
#include "models/gan/gan_nets.hpp"
#include "models/gan/gan_scratch.hpp"
#include "nn/optim.hpp"

namespace gm {

namespace {
constexpr uint64_t kInitStream = 0x6A40'0000'0001ull;
constexpr int64_t kChunk = 256;  // rows per inference pass
}  // namespace

uint32_t GanModel::capability_bits(gan::Flavor flavor) {
  uint32_t bits = cap_fit | cap_sample | cap_decode;
  if (flavor == gan::Flavor::cgan) bits |= cap_conditional;
  if (flavor == gan::Flavor::infogan) bits |= cap_encode;
  return bits;
}

GanModel::GanModel(gan::Flavor flavor, const Json& config) : cfg_(gan::read_config(flavor, config, config_)) {}

GanModel::~GanModel() = default;
GanModel::GanModel(GanModel&&) noexcept = default;
GanModel& GanModel::operator=(GanModel&&) noexcept = default;

std::string GanModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "log_prob") == 0)
    return fmt::format(
        "{} is an implicit model: it has no likelihood to evaluate; judge it with `genmodels eval` "
        "(feature Frechet distance and, for conditional models, classifier accuracy)",
        kind());
  if (std::strcmp(verb, "encode") == 0)
    return fmt::format(
        "{} has no encoder (latent inversion is not implemented); infogan encodes its codes, vae "
        "its posterior",
        kind());
  if (std::strcmp(verb, "complete") == 0)
    return fmt::format("{} cannot complete: it has no conditional p(x_missing | x_observed)", kind());
  return GenerativeModel::unsupported_why(verb);
}

int64_t GanModel::do_latent_dim() const {
  // text_augment: the latent is [z | ε], ε the conditioning augmentation's noise (embed).
  return cfg_.latent + (cfg_.flavor == gan::Flavor::infogan ? cfg_.code_width() : 0) +
         (cfg_.augment() ? cfg_.embed : 0);
}

// ---------------------------------------------------------------- fit

void GanModel::check_fit_data(const DataView& data) {
  if (data.n < 2) fail(Status::invalid_data, "{} fit needs at least two rows (batch statistics)", kind());
  for (int64_t i = 0; i < data.n * data.d; ++i) {
    const float v = data.x[i];
    if (!(v >= 0.0f && v <= 1.0f))
      fail(Status::invalid_data, "{} needs values in [0, 1]; row {} column {} is {}: scale the data to [0, 1]", kind(),
           i / data.d, i % data.d, v);
  }
  switch (cfg_.condition) {
    case gan::Condition::label: {
      if (!data.labels)
        fail(Status::invalid_data, "cgan with \"condition\": \"label\" needs labels with the data (gm_data.labels)");
      int64_t top = 0;
      for (int64_t r = 0; r < data.n; ++r) top = std::max<int64_t>(top, data.labels[r]);
      const int64_t classes = std::max({data.num_classes, top + 1, int64_t{2}});
      if (cfg_.classes == 0) cfg_.classes = classes;
      if (top >= cfg_.classes)
        fail(Status::invalid_data, "cgan: label {} is outside the configured \"classes\": {}", top, cfg_.classes);
      config_["classes"] = cfg_.classes;
      break;
    }
    case gan::Condition::vector:
    case gan::Condition::text:
      if (!data.conditions || data.condition_dim < 1)
        fail(Status::invalid_data,
             "cgan with \"condition\": \"{}\" needs a condition vector per row (gm_data.conditions)",
             cfg_.condition == gan::Condition::text ? "text" : "vector");
      if (cfg_.condition_dim != 0 && cfg_.condition_dim != data.condition_dim)
        fail(Status::invalid_data, "cgan: the data's conditions have {} values, the configuration says {}",
             data.condition_dim, cfg_.condition_dim);
      cfg_.condition_dim = data.condition_dim;
      config_["condition_dim"] = cfg_.condition_dim;
      if (cfg_.needs_classes()) {  // the class of every sentence, for the matching losses
        const char* key = cfg_.class_match() ? "text_match" : "image_match";
        if (!data.labels)
          fail(Status::invalid_data,
               "cgan with \"{}\" > 0 scores each sentence or image against its class: it needs labels with "
               "the data (gm_data.labels; fashion-mnist:train carries them), or \"{}\": 0",
               key, key);
        int64_t top = 0;
        for (int64_t r = 0; r < data.n; ++r) {
          if (data.labels[r] < 0)
            fail(Status::invalid_data, "cgan \"{}\": label {} of row {} is negative", key, data.labels[r], r);
          top = std::max<int64_t>(top, data.labels[r]);
        }
        if (cfg_.classes == 0) cfg_.classes = std::max({data.num_classes, top + 1, int64_t{2}});
        if (top >= cfg_.classes)
          fail(Status::invalid_data, "cgan: label {} is outside the configured \"classes\": {}", top, cfg_.classes);
        config_["classes"] = cfg_.classes;
      }
      break;
    case gan::Condition::none: break;
  }
}

void GanModel::do_fit(const DataView& data, const FitOptions& options) {
  check_fit_data(data);  // may fill in cfg_.classes / condition_dim: GenerativeModel::fit undoes it on failure
  const DataShape shape{data.d, data.image};
  threads_ = resolve_threads(options.threads);
  if (!options.warm_start) {  // a warm start continues the networks restored into *this
    nets_ = std::make_unique<gan::Nets>(cfg_, shape, Status::invalid_data);
    Rng init(options.seed, kInitStream);
    nets_->init(cfg_, init);
  }
  scratch_ = std::make_unique<gan::Scratch>();
  shape_ = shape;
  const float configured_lr = cfg_.lr;
  if (options.learning_rate > 0) cfg_.lr = static_cast<float>(options.learning_rate);
  nn::AdamOptions o;
  o.lr = cfg_.lr;
  o.beta1 = cfg_.beta1;
  o.beta2 = cfg_.beta2;
  nn::AdamOptions od = o;
  if (cfg_.d_lr > 0) od.lr = cfg_.d_lr;
  optimisers_ =
      std::make_unique<GanOptimisers>(GanOptimisers{nn::Adam(nets_->d_span(), od), nn::Adam(nets_->g_span(), o)});
  sum_d_ = sum_g_ = 0;
  rows_d_ = rows_g_ = 0;
  // The fit's learning rate and optimisers are not part of the model (the training state
  // keeps the optimisers' moments): drop them however the loop ends (a cancel keeps this model).
  struct EndOfFit {
    GanModel& m;
    float lr;
    ~EndOfFit() {
      m.optimisers_.reset();
      m.cfg_.lr = lr;
    }
  } end{*this, configured_lr};
  report_ = nn::train(static_cast<nn::SteppedTrainable&>(*this), data, options, kind());
  scratch_ = std::make_unique<gan::Scratch>();  // release the training buffers
}

std::vector<nn::Adam*> GanModel::optimisers() { return {&optimisers_->d, &optimisers_->g}; }

void GanModel::end_epoch(nn::EpochReport& r) {
  epoch_d_ = rows_d_ > 0 ? sum_d_ / static_cast<double>(rows_d_) : 0;
  epoch_g_ = rows_g_ > 0 ? sum_g_ / static_cast<double>(rows_g_) : 0;
  sum_d_ = sum_g_ = 0;
  rows_d_ = rows_g_ = 0;
  r.discriminator_loss = epoch_d_;
  r.generator_loss = epoch_g_;
}

nn::ParameterStore& GanModel::parameter_store() {
  require_fitted("parameter_store");
  return nets_->store;
}
nn::ParamSpan GanModel::discriminator_span() {
  require_fitted("discriminator_span");
  return nets_->d_span();
}
nn::ParamSpan GanModel::generator_span() {
  require_fitted("generator_span");
  return nets_->g_span();
}

// ---------------------------------------------------------------- inference

void GanModel::generator_input(int64_t n, const float* z, const int32_t* labels, const float* conditions,
                               const float* codes, const float* eps, float* gin) const {
  const int64_t Z = cfg_.latent, CG = cfg_.g_condition_width(), G_IN = Z + CG;
  for (int64_t r = 0; r < n; ++r) std::memcpy(gin + r * G_IN, z + r * Z, static_cast<std::size_t>(Z) * sizeof(float));
  if (CG == 0) return;
  std::vector<float> block(static_cast<std::size_t>(n * CG), 0.0f);
  switch (cfg_.condition) {
    case gan::Condition::label:
      for (int64_t r = 0; r < n; ++r) block[static_cast<std::size_t>(r * CG + labels[r])] = 1.0f;
      break;
    case gan::Condition::vector: std::copy(conditions, conditions + n * CG, block.begin()); break;
    case gan::Condition::text: {
      nn::TextEncoderWork work;
      nets_->sentence(true, conditions, block.data(), n, work);
      if (cfg_.text_norm) gan::normalise_rows(block.data(), n, CG, nullptr);
      if (cfg_.augment()) {  // c = μ + σ·ε
        std::vector<float> ml(static_cast<std::size_t>(n * 2 * CG));
        nets_->g_augment->forward(block.data(), ml.data(), n);
        gan::augment_condition(ml.data(), eps, n, CG, block.data());
      }
      break;
    }
    case gan::Condition::none: std::copy(codes, codes + n * CG, block.begin()); break;
  }
  for (int64_t r = 0; r < n; ++r)
    std::memcpy(gin + r * G_IN + Z, &block[static_cast<std::size_t>(r * CG)],
                static_cast<std::size_t>(CG) * sizeof(float));
}

void GanModel::sentence_embedding(bool generator, int64_t n, const float* conditions, float* out) const {
  require_fitted("sentence_embedding");
  if (cfg_.condition != gan::Condition::text)
    fail(Status::unsupported, "{}: sentence_embedding is for cgan with \"condition\": \"text\"", kind());
  nn::TextEncoderWork work;
  nets_->sentence(generator, conditions, out, n, work);
  if (generator && cfg_.text_norm) gan::normalise_rows(out, n, cfg_.embed, nullptr);
}

namespace {
// Checks a verb's condition source against the model: labels in range, or conditions of
// the fitted width. A label cgan may be given neither (labels are then drawn).
void check_condition(const gan::Config& cfg, const char* kind, const char* verb, int64_t n, const int32_t* labels,
                     const float* conditions, int64_t condition_dim) {
  switch (cfg.condition) {
    case gan::Condition::label:
      if (labels)
        for (int64_t r = 0; r < n; ++r)
          if (labels[r] < 0 || labels[r] >= cfg.classes)
            fail(Status::invalid_argument, "{} {}: label {} of row {} is outside [0, {})", kind, verb, labels[r], r,
                 cfg.classes);
      break;
    case gan::Condition::vector:
    case gan::Condition::text:
      if (!conditions)
        fail(Status::invalid_argument, "{} {} needs a condition per row ({} values{})", kind, verb, cfg.condition_dim,
             cfg.condition == gan::Condition::text ? "; gm_text_features_compute turns a sentence into them" : "");
      if (condition_dim != cfg.condition_dim)
        fail(Status::invalid_argument, "{} {}: conditions have {} values, the model was fitted on {}", kind, verb,
             condition_dim, cfg.condition_dim);
      break;
    case gan::Condition::none: break;
  }
}
}  // namespace

void GanModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  check_condition(cfg_, kind(), "sample", n, options.labels, options.conditions, options.condition_dim);
  const int64_t Z = cfg_.latent, CW = cfg_.code_width(), L = do_latent_dim();
  std::vector<float> codes(static_cast<std::size_t>(std::min(n, kChunk) * L));
  std::vector<int32_t> labels(static_cast<std::size_t>(std::min(n, kChunk)));
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    for (int64_t i = 0; i < count; ++i) {
      Rng row(options.seed, static_cast<uint64_t>(begin + i));
      float* c = &codes[static_cast<std::size_t>(i * L)];
      for (int64_t j = 0; j < Z; ++j) c[j] = static_cast<float>(cfg_.noise_std * row.latent_normal(options.truncation));
      if (cfg_.flavor == gan::Flavor::infogan) {
        std::fill(c + Z, c + Z + CW, 0.0f);
        int64_t at = Z;
        for (int64_t k : cfg_.categorical) {
          c[at + static_cast<int64_t>(row.below(static_cast<uint64_t>(k)))] = 1.0f;
          at += k;
        }
        for (int64_t j = 0; j < cfg_.continuous; ++j) c[at + j] = 2.0f * row.uniform_f() - 1.0f;
      }
      if (cfg_.augment())
        for (int64_t j = 0; j < cfg_.embed; ++j) c[Z + j] = static_cast<float>(row.latent_normal(options.truncation));
      if (cfg_.condition == gan::Condition::label)
        labels[static_cast<std::size_t>(i)] =
            options.labels ? options.labels[begin + i]
                           : static_cast<int32_t>(row.below(static_cast<uint64_t>(cfg_.classes)));
    }
    DataView view;
    view.x = codes.data();
    view.n = count;
    view.d = L;
    SampleOptions chunk = options;
    chunk.labels = labels.data();
    if (options.conditions) chunk.conditions = options.conditions + begin * options.condition_dim;
    do_decode(view, chunk, out + begin * shape_.d);
  }
}

void GanModel::do_decode(const DataView& codes, const SampleOptions& options, float* out) const {
  check_condition(cfg_, kind(), "decode", codes.n, options.labels, options.conditions, options.condition_dim);
  if (cfg_.condition == gan::Condition::label && !options.labels)
    fail(Status::invalid_argument, "cgan decode needs a label per row (SampleOptions.labels)");
  const int64_t Z = cfg_.latent, CW = cfg_.code_width(), L = do_latent_dim(), D = shape_.d;
  const int64_t G_IN = Z + cfg_.g_condition_width();
  std::vector<float> z(static_cast<std::size_t>(std::min(codes.n, kChunk) * Z));
  std::vector<float> code(static_cast<std::size_t>(std::min(codes.n, kChunk) * std::max<int64_t>(CW, 1)));
  std::vector<float> gin(static_cast<std::size_t>(std::min(codes.n, kChunk) * G_IN));
  const int64_t E = cfg_.augment() ? cfg_.embed : 0;
  std::vector<float> eps(static_cast<std::size_t>(std::min(codes.n, kChunk) * std::max<int64_t>(E, 1)));
  nn::SequentialWork work;
  for (int64_t begin = 0; begin < codes.n; begin += kChunk) {
    const int64_t count = std::min(kChunk, codes.n - begin);
    for (int64_t i = 0; i < count; ++i) {
      const float* row = codes.row(begin + i);
      std::copy(row, row + Z, &z[static_cast<std::size_t>(i * Z)]);
      if (CW > 0 && cfg_.flavor == gan::Flavor::infogan)
        std::copy(row + Z, row + L, &code[static_cast<std::size_t>(i * CW)]);
      if (E > 0) std::copy(row + Z, row + Z + E, &eps[static_cast<std::size_t>(i * E)]);
    }
    generator_input(count, z.data(), options.labels ? options.labels + begin : nullptr,
                    options.conditions ? options.conditions + begin * options.condition_dim : nullptr, code.data(),
                    eps.data(), gin.data());
    const float* y = nets_->g.forward_infer(gin.data(), count, work);
    float* o = out + begin * D;
    for (int64_t i = 0; i < count * D; ++i) o[i] = 0.5f * (y[i] + 1.0f);
  }
}

void GanModel::do_encode(const DataView& data, const EvalOptions&, float* out) const {
  require_finite(data);
  const int64_t D = shape_.d, CW = cfg_.code_width();
  std::vector<float> xs(static_cast<std::size_t>(std::min(data.n, kChunk) * D));
  nn::SequentialWork trunk, q;
  for (int64_t begin = 0; begin < data.n; begin += kChunk) {
    const int64_t count = std::min(kChunk, data.n - begin);
    const float* x = data.row(begin);
    for (int64_t i = 0; i < count * D; ++i) xs[static_cast<std::size_t>(i)] = 2.0f * x[i] - 1.0f;
    const float* f = nets_->d_trunk.forward_infer(xs.data(), count, trunk);
    const float* logits = nets_->q.forward_infer(f, count, q);
    for (int64_t r = 0; r < count; ++r) {
      const float* l = logits + r * CW;
      float* o = out + (begin + r) * CW;
      int64_t at = 0;
      for (int64_t k : cfg_.categorical) {  // softmax per categorical group
        const float top = *std::max_element(l + at, l + at + k);
        double z = 0;
        for (int64_t j = 0; j < k; ++j) z += std::exp(static_cast<double>(l[at + j] - top));
        for (int64_t j = 0; j < k; ++j)
          o[at + j] = static_cast<float>(std::exp(static_cast<double>(l[at + j] - top)) / z);
        at += k;
      }
      for (int64_t j = at; j < CW; ++j) o[j] = l[j];
    }
  }
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> GanModel::do_tensors() const { return nets_->store.tensors(); }

void GanModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  if ((cfg_.condition == gan::Condition::label && cfg_.classes < 1) ||  // fit accepts one class
      ((cfg_.condition == gan::Condition::vector || cfg_.condition == gan::Condition::text) && cfg_.condition_dim < 1))
    fail(Status::corrupt_file, "cgan model file lacks its fitted \"classes\" or \"condition_dim\"");
  // Every tensor is checked against the configuration before anything is allocated.
  const auto expected = gan::planned_tensors(cfg_, shape);
  const std::vector<const TensorRef*> found = find_planned(tensors, expected);
  auto nets = std::make_unique<gan::Nets>(cfg_, shape, Status::corrupt_file);
  copy_planned(nets->store, expected, found, kind());
  nets_ = std::move(nets);
  scratch_ = std::make_unique<gan::Scratch>();
  shape_ = shape;
}

}  // namespace gm
