#include "models/pixelcnn.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/common_keys.hpp"

namespace gm {

namespace {

constexpr uint64_t kInitStream = 0x9C22'0000'0001ull;
constexpr uint64_t kLabelStream = uint64_t{1} << 62;  // + row: the label drawn for a row
constexpr int64_t kEvalRows = 32;                     // rows per forward in log_prob
constexpr int64_t kSampleRows = 32;                   // rows per autoregressive pass
constexpr int64_t kMaxLevels = 256;

// Draws m with probability softmax(z)_m, z = M logits strided by `stride`, from one uniform.
int64_t draw(const float* z, int64_t M, int64_t stride, Rng& rng) {
  float top = z[0];
  for (int64_t m = 1; m < M; ++m) top = std::max(top, z[m * stride]);
  double p[kMaxLevels], total = 0;
  for (int64_t m = 0; m < M; ++m) total += (p[m] = std::exp(double(z[m * stride]) - top));
  double u = rng.uniform() * total;
  for (int64_t m = 0; m < M; ++m)
    if ((u -= p[m]) < 0) return m;
  return M - 1;
}

// log softmax(z)[m] in double.
double log_softmax_at(const float* z, int64_t M, int64_t stride, int64_t m) {
  float top = z[0];
  for (int64_t k = 1; k < M; ++k) top = std::max(top, z[k * stride]);
  double total = 0;
  for (int64_t k = 0; k < M; ++k) total += std::exp(double(z[k * stride]) - top);
  return double(z[m * stride]) - top - std::log(total);
}

}  // namespace

const Schema& PixelCnnModel::config_schema() {
  static const Schema schema{{
      integer_key("channels", 64, 1, 1024, "F, feature maps of each stack (split into C groups for C channels)"),
      integer_key("layers", 7, 1, 64, "L, gated layers (the first with mask A, the rest mask B and residual)"),
      integer_key("kernel", 3, 3, 15, "K, odd: the gated layers' kernel (vertical (K/2+1)xK, horizontal 1x(K/2+1))"),
      integer_key("first_kernel", 7, 3, 15, "K0, odd: the first (mask A) layer's kernel"),
      number_key("learning_rate", 1e-3, 1e-6, 1.0, "Adam's step size (fit's learning_rate overrides it)"),
      keys::weight_decay(),
      boolean_key("conditional", false, "learn a per-class bias of the gates from the data's labels"),
      integer_key("classes", 0, 0, 100000, "classes with \"conditional\" (0: from the data's labels)"),
      integer_key("complete_samples", 16, 1, int64_t{1} << 16,
                  "candidates per row for complete when the observed values are not a prefix"),
  }};
  return schema;
}

PixelCnnModel::PixelCnnModel(const Json& config) {
  ConfigReader reader(config, config_schema());
  channels_ = reader.integer("channels");
  layers_ = reader.integer("layers");
  kernel_ = reader.integer("kernel");
  first_kernel_ = reader.integer("first_kernel");
  learning_rate_ = reader.number("learning_rate");
  weight_decay_ = reader.number("weight_decay");
  conditional_ = reader.boolean("conditional");
  classes_ = reader.integer("classes");
  complete_samples_ = reader.integer("complete_samples");
  reader.finish();
  config_ = reader.effective();
  if (kernel_ % 2 == 0 || first_kernel_ % 2 == 0)
    fail(Status::invalid_config, "pixelcnn: \"kernel\" and \"first_kernel\" must be odd (got {} and {})", kernel_,
         first_kernel_);
  if (classes_ > 0 && !conditional_) fail(Status::invalid_config, "pixelcnn: \"classes\" needs \"conditional\": true");
}

PixelCnnModel::~PixelCnnModel() = default;
PixelCnnModel::PixelCnnModel(PixelCnnModel&&) noexcept = default;
PixelCnnModel& PixelCnnModel::operator=(PixelCnnModel&&) noexcept = default;

std::string PixelCnnModel::unsupported_why(const char* verb) const {
  const std::string v(verb);
  if (v == "encode" || v == "decode")
    return "pixelcnn has no latent variables: it models p(x) directly (use log_prob, sample or complete)";
  return GenerativeModel::unsupported_why(verb);
}

pixelcnn::Dims PixelCnnModel::dims_for(const ImageShape& image, int64_t levels) const {
  pixelcnn::Dims d;
  d.C = image.channels;
  d.H = image.height;
  d.W = image.width;
  d.F = channels_;
  d.L = layers_;
  d.K = kernel_;
  d.K0 = first_kernel_;
  d.M = levels;
  d.classes = conditional_ ? classes_ : 0;
  return d;
}

void PixelCnnModel::check_labels(const int32_t* labels, int64_t n, const char* verb) const {
  if (!conditional_ || labels == nullptr) return;
  for (int64_t r = 0; r < n; ++r)
    if (labels[r] < 0 || labels[r] >= classes_)
      fail(Status::invalid_argument, "pixelcnn {}: label {} of row {} is outside [0, {})", verb, labels[r], r,
           classes_);
}

const int32_t* PixelCnnModel::row_labels(const int32_t* given, int64_t r0, int64_t n, uint64_t seed,
                                         std::vector<int32_t>& buffer) const {
  if (!conditional_) return nullptr;
  if (given) return given + r0;
  buffer.resize(static_cast<std::size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(seed, kLabelStream + static_cast<uint64_t>(r0 + r));
    buffer[static_cast<std::size_t>(r)] = static_cast<int32_t>(rng.below(static_cast<uint64_t>(classes_)));
  }
  return buffer.data();
}

// ---------------------------------------------------------------- fit

void PixelCnnModel::do_fit(const DataView& data, const FitOptions& options) {
  if (!data.image.is_image())
    fail(Status::invalid_data,
         "pixelcnn models images: give the rows their channels/height/width layout (gm_data.channels, height, "
         "width; --shape C,H,W on the command line)");
  const int64_t M = data.levels ? data.levels : 2;
  if (M < 2 || M > kMaxLevels) fail(Status::invalid_data, "pixelcnn takes 2 to {} levels, not {}", kMaxLevels, M);
  if (channels_ < data.image.channels)
    fail(Status::invalid_data, "pixelcnn with {} image channels needs \"channels\" >= {} (got {})", data.image.channels,
         data.image.channels, channels_);
  if (conditional_) {
    if (!data.labels)
      fail(Status::invalid_data, "pixelcnn with \"conditional\": true needs labels with the data (gm_data.labels)");
    int64_t top = 0;
    for (int64_t r = 0; r < data.n; ++r) top = std::max<int64_t>(top, data.labels[r]);
    if (classes_ == 0) classes_ = std::max({data.num_classes, top + 1, int64_t{2}});
    if (top >= classes_)
      fail(Status::invalid_data, "pixelcnn: label {} is outside the configured \"classes\": {}", top, classes_);
    config_["classes"] = classes_;
  }
  if (!options.warm_start) {
    net_ = std::make_unique<pixelcnn::Net>(dims_for(data.image, M));
    Rng init(options.seed, kInitStream);
    net_->init(init);
  }
  shape_ = DataShape{data.d, data.image, M};
  nn::TrainerSettings settings;
  settings.fit = options;
  settings.adam.lr = static_cast<float>(learning_rate_);
  settings.adam.weight_decay = static_cast<float>(weight_decay_);
  settings.kind = kind();
  report_ = nn::train(*this, data, settings);
}

double PixelCnnModel::train_step(const DataView& batch, Rng&) {
  const int32_t* labels = conditional_ ? batch.labels : nullptr;
  net_->forward(batch.x, labels, batch.n, ws_);
  row_loss_.resize(static_cast<std::size_t>(batch.n));
  const double loss = net_->nll_and_grad(batch.x, ws_, row_loss_.data());
  net_->backward(labels, ws_);
  return loss;
}

double PixelCnnModel::evaluate(const DataView& batch, Rng&) {
  std::vector<double> lp(static_cast<std::size_t>(batch.n));
  EvalOptions o;
  do_log_prob(batch, o, lp.data());
  double nll = 0;
  for (double v : lp) nll -= v;
  return nll;
}

// ---------------------------------------------------------------- log_prob

void PixelCnnModel::do_log_prob(const DataView& data, const EvalOptions&, double* out) const {
  check_labels(data.labels, data.n, "log_prob");
  const pixelcnn::Dims& d = net_->dims();
  pixelcnn::Workspace ws;
  std::vector<int32_t> same;
  std::vector<double> part;
  for (int64_t r0 = 0; r0 < data.n; r0 += kEvalRows) {
    const int64_t nr = std::min(kEvalRows, data.n - r0);
    const float* x = data.row(r0);
    if (!conditional_ || data.labels) {
      net_->forward(x, conditional_ ? data.labels + r0 : nullptr, nr, ws);
      net_->row_log_probs(x, ws, out + r0);
      continue;
    }
    // No labels: log Σ_y p(x | y) / classes, the labels sample draws uniformly.
    std::vector<double> lps(static_cast<std::size_t>(nr * d.classes));
    part.resize(static_cast<std::size_t>(nr));
    for (int64_t y = 0; y < d.classes; ++y) {
      same.assign(static_cast<std::size_t>(nr), static_cast<int32_t>(y));
      net_->forward(x, same.data(), nr, ws);
      net_->row_log_probs(x, ws, part.data());
      for (int64_t r = 0; r < nr; ++r) lps[static_cast<std::size_t>(r * d.classes + y)] = part[r];
    }
    for (int64_t r = 0; r < nr; ++r) {
      const double* l = &lps[static_cast<std::size_t>(r * d.classes)];
      const double top = *std::max_element(l, l + d.classes);
      double sum = 0;
      for (int64_t y = 0; y < d.classes; ++y) sum += std::exp(l[y] - top);
      out[r0 + r] = top + std::log(sum) - std::log(static_cast<double>(d.classes));
    }
  }
}

// ---------------------------------------------------------------- sample and complete

void PixelCnnModel::do_sample(int64_t n, const SampleOptions& options, float* out) const {
  check_labels(options.labels, n, "sample");
  const pixelcnn::Dims& d = net_->dims();
  const int64_t S = d.plane(), C = d.C, M = d.M, CM = C * M, D = shape_.d;
  std::vector<int32_t> label_buffer;
  std::vector<Rng> rngs;
  for (int64_t r0 = 0; r0 < n; r0 += kSampleRows) {
    const int64_t nr = std::min(kSampleRows, n - r0);
    float* x = out + r0 * D;
    std::fill(x, x + nr * D, 0.0f);
    rngs.assign(static_cast<std::size_t>(nr), Rng(0, 0));
    for (int64_t r = 0; r < nr; ++r)
      rngs[static_cast<std::size_t>(r)] = Rng(options.seed, static_cast<uint64_t>(r0 + r));
    const int32_t* labels = row_labels(options.labels, r0, nr, options.seed, label_buffer);
    net_->autoregress(x, labels, nr, [&](int64_t c, int64_t i, int64_t j, const float* logits) {
      for (int64_t b = 0; b < nr; ++b)
        x[b * D + c * S + i * d.W + j] =
            static_cast<float>(draw(logits + b * CM + c * M, M, 1, rngs[static_cast<std::size_t>(b)]));
    });
  }
}

void PixelCnnModel::sample_full_network(int64_t n, const SampleOptions& options, float* out) const {
  require_fitted("sample");
  const pixelcnn::Dims& d = net_->dims();
  const int64_t S = d.plane(), M = d.M, D = shape_.d;
  std::vector<int32_t> label_buffer;
  pixelcnn::Workspace ws;
  for (int64_t r0 = 0; r0 < n; r0 += kSampleRows) {
    const int64_t nr = std::min(kSampleRows, n - r0);
    float* x = out + r0 * D;
    std::fill(x, x + nr * D, 0.0f);
    std::vector<Rng> rngs;
    for (int64_t r = 0; r < nr; ++r) rngs.emplace_back(options.seed, static_cast<uint64_t>(r0 + r));
    const int32_t* labels = row_labels(options.labels, r0, nr, options.seed, label_buffer);
    for (int64_t s = 0; s < S; ++s)
      for (int64_t c = 0; c < d.C; ++c) {
        net_->forward(x, labels, nr, ws);
        for (int64_t b = 0; b < nr; ++b)
          x[b * D + c * S + s] =
              static_cast<float>(draw(&ws.logits[static_cast<std::size_t>(((b * d.C + c) * M) * S + s)], M, S,
                                      rngs[static_cast<std::size_t>(b)]));
      }
  }
}

void PixelCnnModel::do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                                float* out) const {
  check_labels(options.labels, data.n, "complete");
  const pixelcnn::Dims& d = net_->dims();
  const int64_t S = d.plane(), C = d.C, M = d.M, CM = C * M, D = shape_.d;
  // Position of value k = c·S + s in the model's order: pixel s, then channel c.
  auto position = [&](int64_t k) { return (k % S) * C + k / S; };
  std::vector<float> x;
  std::vector<double> log_w;
  std::vector<int32_t> label_buffer, labels;
  std::vector<Rng> rngs;
  for (int64_t r = 0; r < data.n; ++r) {
    const float* row = data.row(r);
    const uint8_t* obs = observed + r * D;
    int64_t first_unobserved = D, last_observed = -1;
    for (int64_t k = 0; k < D; ++k) {
      if (obs[k])
        last_observed = std::max(last_observed, position(k));
      else
        first_unobserved = std::min(first_unobserved, position(k));
    }
    // A prefix needs no weights: one candidate is an exact draw from p(x_u | x_o).
    const int64_t K = last_observed < first_unobserved ? 1 : complete_samples_;
    x.assign(static_cast<std::size_t>(K * D), 0.0f);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t e = 0; e < D; ++e)
        if (obs[e]) x[static_cast<std::size_t>(k * D + e)] = row[e];
    log_w.assign(static_cast<std::size_t>(K), 0.0);
    rngs.clear();
    for (int64_t k = 0; k < K; ++k) rngs.emplace_back(options.seed, static_cast<uint64_t>(r * K + k));
    const int32_t* label = nullptr;
    if (conditional_) {  // the row's label, or one drawn per candidate
      const int32_t* drawn =
          row_labels(options.labels, options.labels ? r : r * K, options.labels ? 1 : K, options.seed, label_buffer);
      labels.assign(static_cast<std::size_t>(K), drawn[0]);
      if (!options.labels) labels.assign(drawn, drawn + K);
      label = labels.data();
    }
    net_->autoregress(x.data(), label, K, [&](int64_t c, int64_t i, int64_t j, const float* logits) {
      const int64_t e = c * S + i * d.W + j;
      const bool weigh = obs[e] && position(e) > first_unobserved;
      for (int64_t k = 0; k < K; ++k) {
        const float* z = logits + k * CM + c * M;
        float& v = x[static_cast<std::size_t>(k * D + e)];
        if (!obs[e])
          v = static_cast<float>(draw(z, M, 1, rngs[static_cast<std::size_t>(k)]));
        else if (weigh)
          log_w[static_cast<std::size_t>(k)] += log_softmax_at(z, M, 1, static_cast<int64_t>(v));
      }
    });
    int64_t chosen = 0;
    if (K > 1) {
      const double top = *std::max_element(log_w.begin(), log_w.end());
      double total = 0;
      for (double& w : log_w) total += (w = std::exp(w - top));
      Rng pick(options.seed, ~static_cast<uint64_t>(r));
      double u = pick.uniform() * total;
      chosen = K - 1;
      for (int64_t k = 0; k < K; ++k)
        if ((u -= log_w[static_cast<std::size_t>(k)]) < 0) {
          chosen = k;
          break;
        }
    }
    std::memcpy(out + r * D, &x[static_cast<std::size_t>(chosen * D)], static_cast<std::size_t>(D) * sizeof(float));
  }
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> PixelCnnModel::do_tensors() const { return net_->store().tensors(); }

void PixelCnnModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  if (!shape.image.is_image() || shape.image.size() != shape.d)
    fail(Status::corrupt_file, "pixelcnn model file has no image layout matching its {} values per row", shape.d);
  if (shape.levels < 2 || shape.levels > kMaxLevels || shape.image.channels > channels_)
    fail(Status::corrupt_file, "pixelcnn model file has {} levels and {} channels for {} feature maps", shape.levels,
         shape.image.channels, channels_);
  if (conditional_ && classes_ < 1)
    fail(Status::corrupt_file, "pixelcnn model file is conditional but its configuration has no \"classes\"");
  auto net = std::make_unique<pixelcnn::Net>(dims_for(shape.image, shape.levels));
  nn::ParameterStore& st = net->store();
  for (int32_t id = 0; id < st.count(); ++id) {
    const nn::ParamId p{id};
    const auto& e = st.entry(p);
    const TensorRef& t = find_tensor(tensors, e.name, DType::f32, e.shape);
    float* dst = st.value(p);
    std::memcpy(dst, t.data, t.bytes());
    for (int64_t j = 0; j < e.size; ++j)
      if (!std::isfinite(dst[j]))
        fail(Status::corrupt_file, "pixelcnn tensor {} entry {} is {}: parameters must be finite", e.name, j, dst[j]);
  }
  net->enforce_masks();
  net_ = std::move(net);
  shape_ = shape;
}

}  // namespace gm
