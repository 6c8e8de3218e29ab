// cyclegan: configuration, fit, translate and persistence. The training iteration is in
// cyclegan_step.cpp.
#include "models/cyclegan/cyclegan.hpp"
#include "models/gan/fit_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "models/cyclegan/cyclegan_nets.hpp"
#include "models/cyclegan/cyclegan_scratch.hpp"

namespace gm {

namespace {
constexpr uint64_t kInitStream = 0xC7C1'0000'0001ull;
constexpr int64_t kChunk = 64;  // rows per inference pass
}  // namespace

const Schema& CycleGanModel::config_schema() { return cyclegan::schema(); }

CycleGanModel::CycleGanModel(const Json& config) : cfg_(cyclegan::read_config(config, config_)) {}
CycleGanModel::~CycleGanModel() = default;
CycleGanModel::CycleGanModel(CycleGanModel&&) noexcept = default;
CycleGanModel& CycleGanModel::operator=(CycleGanModel&&) noexcept = default;

std::string CycleGanModel::unsupported_why(const char* verb) const {
  if (std::strcmp(verb, "log_prob") == 0) return "cyclegan is an implicit model: it has no likelihood to evaluate";
  if (std::strcmp(verb, "sample") == 0 || std::strcmp(verb, "decode") == 0)
    return fmt::format(
        "cyclegan maps given images from one domain to the other and has no noise to {} from: use translate", verb);
  if (std::strcmp(verb, "encode") == 0) return "cyclegan has no latent code; translate maps an image to an image";
  if (std::strcmp(verb, "complete") == 0)
    return "cyclegan cannot complete: it has no conditional p(x_missing | x_observed)";
  return GenerativeModel::unsupported_why(verb);
}

// ---------------------------------------------------------------- fit

void CycleGanModel::check_fit_data(const DataView& data) const {
  if (!data.labels)
    fail(Status::invalid_data,
         "cyclegan needs each row's domain in gm_data.labels: 0 for domain a, 1 for domain b (the command line's "
         "`fit cyclegan --data A --data-b B` sets them)");
  if (data.num_classes > 2)
    fail(Status::invalid_data, "cyclegan translates between two domains; the data has {} classes", data.num_classes);
  int64_t count[2] = {0, 0};
  for (int64_t r = 0; r < data.n; ++r) {
    if (data.labels[r] != 0 && data.labels[r] != 1)
      fail(Status::invalid_data, "cyclegan: row {} has domain label {}; the domains are 0 (a) and 1 (b)", r,
           data.labels[r]);
    ++count[data.labels[r]];
  }
  if (count[0] == 0 || count[1] == 0)
    fail(Status::invalid_data, "cyclegan needs rows of both domains; domain {} has none", count[0] == 0 ? "a" : "b");
  for (int64_t i = 0; i < data.n * data.d; ++i) {
    const float v = data.x[i];
    if (!(v >= 0.0f && v <= 1.0f))
      fail(Status::invalid_data, "cyclegan needs values in [0, 1]; row {} column {} is {}: scale the data to [0, 1]",
           i / data.d, i % data.d, v);
  }
}

void CycleGanModel::do_fit(const DataView& data, const FitOptions& options) {
  check_fit_data(data);
  const DataShape shape{data.d, data.image};
  threads_ = resolve_threads(options.threads);
  if (!options.warm_start) {  // a warm start continues the networks restored into *this
    nets_ = std::make_unique<cyclegan::Nets>(cfg_, shape, Status::invalid_data);
    Rng init(options.seed, kInitStream);
    nets_->init(init);
  }
  scratch_ = std::make_unique<cyclegan::Scratch>();
  pool_a_ = std::make_unique<cyclegan::ImagePool>(cfg_.pool_size, shape.d);
  pool_b_ = std::make_unique<cyclegan::ImagePool>(cfg_.pool_size, shape.d);
  shape_ = shape;
  const nn::AdamOptions o = gan::fit_adam_options(cfg_.lr, cfg_.beta1, cfg_.beta2, options);
  optimisers_ = std::make_unique<cyclegan::Optimisers>(
      cyclegan::Optimisers{nn::Adam(nets_->discriminator_span(), o), nn::Adam(nets_->generator_span(), o)});
  sum_d_ = sum_g_ = 0;
  rows_ = 0;
  // The optimisers and training buffers are not part of the model. Released, not replaced: a
  // destructor that allocates terminates the process when the allocation fails (the
  // allocation-failure suite found it); whatever needs a scratch again makes one.
  struct EndOfFit {
    CycleGanModel& m;
    ~EndOfFit() {
      m.optimisers_.reset();
      m.scratch_.reset();
      m.fit_labels_ = nullptr;
    }
  } end{*this};
  fit_labels_ = data.labels;
  nn::train(static_cast<nn::SteppedTrainable&>(*this), data, options, kind());
}

std::vector<nn::Adam*> CycleGanModel::optimisers() { return {&optimisers_->d, &optimisers_->g}; }

void CycleGanModel::end_epoch(nn::EpochReport& r) {
  epoch_d_ = rows_ > 0 ? sum_d_ / static_cast<double>(rows_) : 0;
  epoch_g_ = rows_ > 0 ? sum_g_ / static_cast<double>(rows_) : 0;
  sum_d_ = sum_g_ = 0;
  rows_ = 0;
  r.discriminator_loss = epoch_d_;
  r.generator_loss = epoch_g_;
}

void cyclegan::interleave_domains(std::vector<int64_t>& order, const int32_t* labels, Rng& rng) {
  std::vector<int64_t> side[2];
  for (int64_t r : order) side[labels[r] == 1].push_back(r);
  nn::shuffle_rows(side[0], rng);
  nn::shuffle_rows(side[1], rng);
  std::size_t at = 0, i = 0;
  for (; i < std::min(side[0].size(), side[1].size()); ++i) {
    order[at++] = side[0][i];
    order[at++] = side[1][i];
  }
  for (int k = 0; k < 2; ++k)
    for (std::size_t j = i; j < side[k].size(); ++j) order[at++] = side[k][j];
}

void CycleGanModel::shuffle_epoch(std::vector<int64_t>& order, Rng& rng) {
  cyclegan::interleave_domains(order, fit_labels_, rng);
}

void CycleGanModel::save_extra_state(std::vector<float>& into) {
  into.clear();
  pool_a_->save(into);
  pool_b_->save(into);
}

void CycleGanModel::load_extra_state(const std::vector<float>& from) {
  std::size_t at = 0;
  pool_a_->load(from, at);
  pool_b_->load(from, at);
  if (at != from.size())
    fail(Status::corrupt_file, "cyclegan training state: {} values after the history buffers", from.size() - at);
}

const cyclegan::ImagePool* CycleGanModel::pool(int domain) const { return domain == 0 ? pool_a_.get() : pool_b_.get(); }

nn::ParameterStore& CycleGanModel::parameter_store() {
  require_fitted("parameter_store");
  return nets_->store;
}
nn::ParamSpan CycleGanModel::generator_span() {
  require_fitted("generator_span");
  return nets_->generator_span();
}
nn::ParamSpan CycleGanModel::discriminator_span() {
  require_fitted("discriminator_span");
  return nets_->discriminator_span();
}

// ---------------------------------------------------------------- translate

void CycleGanModel::do_translate(const DataView& x, const int32_t* target, const TranslateOptions&, float* out) const {
  const int64_t D = shape_.d;
  std::vector<float> in(static_cast<std::size_t>(std::min(x.n, kChunk) * D));
  std::vector<int64_t> rows;
  nn::SequentialWork work;
  for (int32_t domain : {0, 1}) {
    const nn::Sequential& net = domain == 1 ? nets_->g : nets_->f;  // to b: G; to a: F
    for (int64_t begin = 0; begin < x.n;) {
      rows.clear();
      for (; begin < x.n && static_cast<int64_t>(rows.size()) < kChunk; ++begin)
        if (target[begin] == domain) rows.push_back(begin);
      if (rows.empty()) continue;
      const auto count = static_cast<int64_t>(rows.size());
      for (int64_t i = 0; i < count; ++i) {
        const float* src = x.row(rows[static_cast<std::size_t>(i)]);
        float* dst = in.data() + i * D;
        for (int64_t j = 0; j < D; ++j) dst[j] = 2.0f * src[j] - 1.0f;
      }
      const float* y = net.forward_infer(in.data(), count, work);
      for (int64_t i = 0; i < count; ++i) {
        float* o = out + rows[static_cast<std::size_t>(i)] * D;
        for (int64_t j = 0; j < D; ++j) o[j] = 0.5f * (y[i * D + j] + 1.0f);
      }
    }
  }
}

// ---------------------------------------------------------------- persistence

std::vector<TensorRef> CycleGanModel::do_tensors() const { return nets_->store.tensors(); }

void CycleGanModel::do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) {
  // Every tensor is checked against the configuration before anything is allocated.
  const auto expected = cyclegan::planned_tensors(cfg_, shape);
  const std::vector<const TensorRef*> found = find_planned(tensors, expected);
  auto nets = std::make_unique<cyclegan::Nets>(cfg_, shape, Status::corrupt_file);
  copy_planned(nets->store, expected, found, kind());
  nets_ = std::move(nets);
  scratch_ = std::make_unique<cyclegan::Scratch>();
  shape_ = shape;
}

}  // namespace gm
