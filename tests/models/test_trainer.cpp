// The shared training loop on a model with a known optimum: 1/2 ||θ − x||² averaged over
// rows is minimised at the row mean.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "exact_helpers.hpp"
#include "nn/trainer.hpp"

using namespace gm;
using namespace gm::nn;
using gm_test::status_of;

namespace {

class Quadratic : public Trainable {
 public:
  explicit Quadratic(int64_t d) : d_(d) { theta_ = store_.add("theta", {d}); }
  nn::ParameterStore& parameter_store() override { return store_; }
  double train_step(const DataView& batch, Rng&) override {
    ++steps_;
    if (steps_ == nan_at_step) return NAN;
    double loss = 0;
    float* g = store_.grad(theta_);
    const float* t = store_.value(theta_);
    for (int64_t r = 0; r < batch.n; ++r)
      for (int64_t j = 0; j < d_; ++j) {
        const double diff = t[j] - batch.row(r)[j];
        loss += 0.5 * diff * diff;
        g[j] += static_cast<float>(diff / batch.n);
      }
    return loss;
  }
  double evaluate(const DataView& batch, Rng&) override {
    double loss = 0;
    for (int64_t r = 0; r < batch.n; ++r)
      for (int64_t j = 0; j < d_; ++j) loss += 0.5 * std::pow(store_.value(theta_)[j] - batch.row(r)[j], 2);
    return loss;
  }
  std::vector<float> theta() const { return {store_.value(theta_), store_.value(theta_) + d_}; }
  int64_t nan_at_step = -1;

 private:
  int64_t d_;
  int64_t steps_ = 0;
  nn::ParameterStore store_;
  nn::ParamId theta_;
};

struct Data {
  std::vector<float> x = {1, 2, 3, 3, 0, -1, 2, 4, 1, -2, 2, 1};  // (4, 3), mean (1, 2, 1)
  DataView view() const {
    DataView v;
    v.x = x.data();
    v.n = 4;
    v.d = 3;
    return v;
  }
};

}  // namespace

TEST_CASE("trainer: Adam reaches the known optimum") {
  Quadratic q(3);
  TrainerSettings s;
  s.fit.epochs = 600;
  s.fit.batch_size = 4;
  s.adam.lr = 0.05f;
  const TrainReport r = train(q, Data{}.view(), s);
  CHECK(r.steps == 600);
  const std::vector<float> t = q.theta();
  CHECK(t[0] == doctest::Approx(1.0).epsilon(1e-3));
  CHECK(t[1] == doctest::Approx(2.0).epsilon(1e-3));
  CHECK(t[2] == doctest::Approx(1.0).epsilon(1e-3));
  // mean loss at the optimum: 1/2 of the summed per-coordinate variances
  CHECK(r.epochs.back().train_loss == doctest::Approx(0.5 * (3.5 + 2.0 + 2.0)).epsilon(1e-3));
}

TEST_CASE("trainer: a non-finite loss stops with diverged and the last good parameters") {
  Quadratic q(3);
  q.nan_at_step = 7;
  TrainerSettings s;
  s.fit.epochs = 10;
  s.fit.batch_size = 2;
  s.adam.lr = 0.1f;
  std::vector<float> last_good;
  s.fit.progress = [&](int64_t, int64_t, double) {
    last_good = q.theta();
    return false;
  };
  CHECK(status_of([&] { train(q, Data{}.view(), s); }) == Status::diverged);
  CHECK(q.theta() == last_good);  // the parameters after step 6, untouched by step 7
}

TEST_CASE("trainer: progress counts steps and cancel stops within one batch") {
  Quadratic q(3);
  TrainerSettings s;
  s.fit.epochs = 3;
  s.fit.batch_size = 3;  // 4 rows: batches of 3 and 1
  int64_t last_step = 0, total = 0;
  s.fit.progress = [&](int64_t step, int64_t t, double) {
    last_step = step;
    total = t;
    return step == 5;
  };
  CHECK(status_of([&] { train(q, Data{}.view(), s); }) == Status::cancelled);
  CHECK(last_step == 5);
  CHECK(total == 6);
}

TEST_CASE("trainer: the same seed gives the same parameters; a validation split needs rows") {
  auto run = [](uint64_t seed) {
    Quadratic q(3);
    TrainerSettings s;
    s.fit.epochs = 5;
    s.fit.batch_size = 1;
    s.fit.seed = seed;
    train(q, Data{}.view(), s);
    return q.theta();
  };
  CHECK(run(3) == run(3));
  CHECK(run(3) != run(4));
  Quadratic q(3);
  TrainerSettings s;
  s.fit.validation_fraction = 0.1;  // 0.4 of a row
  CHECK(status_of([&] { train(q, Data{}.view(), s); }) == Status::invalid_argument);
}

TEST_CASE("trainer: lr_schedule sets each step's rate and shuffle replaces the epoch order") {
  Quadratic q(3);
  TrainerSettings s;
  s.fit.epochs = 3;
  s.fit.batch_size = 2;  // 2 steps an epoch, 6 in all
  std::vector<std::pair<int64_t, int64_t>> asked;
  s.lr_schedule = [&](int64_t step, int64_t total) {
    asked.emplace_back(step, total);
    return 0.0f;  // a zero rate leaves θ where it starts
  };
  std::vector<int64_t> epochs;
  s.shuffle = [&](std::vector<int64_t>& order, int64_t epoch) {
    CHECK(order.size() == 4);
    epochs.push_back(epoch);
    std::reverse(order.begin(), order.end());
  };
  const std::vector<float> before = q.theta();
  train(q, Data{}.view(), s);
  CHECK(asked == std::vector<std::pair<int64_t, int64_t>>{{0, 6}, {1, 6}, {2, 6}, {3, 6}, {4, 6}, {5, 6}});
  CHECK(epochs == std::vector<int64_t>{1, 2, 3});
  CHECK(q.theta() == before);
}
