// Training a user can stop and resume (issue 13), for every gradient-trained kind: a warm
// start of 1 + 1 epochs equals 2 epochs bit for bit; a fit stopped after a checkpoint and
// resumed from the file equals the uninterrupted fit bit for bit (with and without a
// validation split and early stopping); the epoch callback reports every epoch; checkpoints
// load as models and refuse damage.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "contract_kinds.hpp"
#include "core/error.hpp"
#include "data/helpers.hpp"
#include "models/registry.hpp"

using namespace gm;
using namespace gm_test;

namespace {

const ContractData& data() {
  static const ContractData d = contract_data(48, 11);
  return d;
}

std::vector<std::string> epoch_kinds() {
  std::vector<std::string> out;
  for (const KindInfo& k : all_kinds())
    if (create_model(k.name, small_config(k.name))->trains_in_epochs()) out.push_back(k.name);
  return out;
}

FitOptions options(int64_t epochs, uint64_t seed = 7) {
  FitOptions o = contract_fit(seed);
  o.epochs = epochs;
  o.batch_size = 16;
  return o;
}

std::unique_ptr<GenerativeModel> fitted(const std::string& kind, const FitOptions& o) {
  auto m = create_model(kind, small_config(kind));
  m->fit(data().view(), o);
  return m;
}

// An epoch callback that appends every report to seen and never cancels.
nn::EpochFn recorder(std::vector<nn::EpochReport>& seen) {
  return [&seen](const nn::EpochReport& r) {
    seen.push_back(r);
    return false;
  };
}

std::string temp_path(const std::string& name) { return scratch_dir("training_state") + "/" + name; }

}  // namespace

TEST_CASE("warm start: 1 + 1 epochs equal 2 epochs bit for bit, for every gradient-trained kind") {
  const std::vector<std::string> kinds = epoch_kinds();
  CHECK(kinds.size() >= 6);  // fvsbn, nade, vae, gan, dcgan, cgan, infogan
  for (const std::string& kind : kinds) {
    CAPTURE(kind);
    const Observed whole = observe(*fitted(kind, options(2)), data());
    auto m = fitted(kind, options(1));
    FitOptions more = options(1);
    more.warm_start = true;
    m->fit(data().view(), more);
    CHECK(observe(*m, data()) == whole);
    REQUIRE(m->training_state() != nullptr);
    CHECK(m->training_state()->epochs_done == 2);
    CHECK(m->training_state()->epochs_planned == 2);
    // Without warm_start a refit starts again: it equals a fresh fit.
    m->fit(data().view(), options(2));
    CHECK(observe(*m, data()) == whole);
  }
}

TEST_CASE("a fit stopped after a checkpoint and resumed from the file equals the uninterrupted fit") {
  for (const std::string& kind : epoch_kinds()) {
    for (const bool validated : {false, true}) {
      if (validated && !(create_model(kind, small_config(kind))->capabilities() & cap_log_prob)) continue;
      CAPTURE(kind);
      CAPTURE(validated);
      FitOptions o = options(5);
      if (validated) {
        o.validation_fraction = 0.25;
        o.patience = 2;
      }
      const Observed whole = observe(*fitted(kind, o), data());

      // The "kill": the epoch callback cancels after epoch 3, after the checkpoint of epoch 2
      // was written (every 2 epochs); nothing of the cancelled process is used again.
      const std::string ckpt = temp_path(kind + (validated ? "-v" : "") + ".ckpt");
      std::remove(ckpt.c_str());
      FitOptions killed = o;
      killed.checkpoint_every = 2;
      killed.checkpoint_path = ckpt;
      killed.epoch_report = [](const nn::EpochReport& r) { return r.epoch == 3; };
      auto m = create_model(kind, small_config(kind));
      try {
        m->fit(data().view(), killed);
        FAIL("not cancelled");
      } catch (const Error& e) {
        CHECK_MESSAGE(e.status() == Status::cancelled, std::string(e.what()));
      }

      auto resumed = load_model_file(ckpt);
      REQUIRE(resumed->training_state() != nullptr);
      const nn::TrainingState& st = *resumed->training_state();
      CHECK(st.epochs_done == 2);
      CHECK(st.epochs_planned == 5);
      FitOptions rest = o;
      rest.epochs = st.epochs_planned - st.epochs_done;
      rest.warm_start = true;
      resumed->fit(data().view(), rest);
      CHECK(observe(*resumed, data()) == whole);
    }
  }
}

TEST_CASE("the epoch callback reports each epoch; early stopping says which epoch it keeps") {
  std::vector<nn::EpochReport> seen;
  FitOptions o = options(4);
  o.epoch_report = recorder(seen);
  auto nade = create_model("nade", small_config("nade"));
  nade->fit(data().view(), o);
  REQUIRE(seen.size() == 4);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].epoch == static_cast<int64_t>(i + 1));
    CHECK(seen[i].last_epoch == 4);
    CHECK(std::isfinite(seen[i].train_loss));
    CHECK(seen[i].train_loss > 0);
    CHECK(std::isnan(seen[i].validation_loss));
    CHECK(std::isnan(seen[i].discriminator_loss));
    CHECK(seen[i].images_per_second > 0);
    CHECK(seen[i].eta_seconds >= 0);
    CHECK_FALSE(seen[i].stopping);
  }
  CHECK(seen.back().eta_seconds == 0);

  // Warm start continues the numbering.
  seen.clear();
  o.epochs = 2;
  o.warm_start = true;
  nade->fit(data().view(), o);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].epoch == 5);
  CHECK(seen[1].last_epoch == 6);

  // GAN: both losses, and train_loss is their sum.
  seen.clear();
  o = options(2);
  o.epoch_report = recorder(seen);
  fitted("gan", o);
  REQUIRE(seen.size() == 2);
  CHECK(std::isfinite(seen[1].discriminator_loss));
  CHECK(std::isfinite(seen[1].generator_loss));

  // Early stopping: a learning rate this small cannot improve much; patience 1 stops at the
  // first epoch without improvement and keeps the best one's parameters.
  seen.clear();
  o = options(50);
  o.learning_rate = 10.0;  // large steps: the validation loss gets worse soon
  o.validation_fraction = 0.25;
  o.patience = 1;
  o.epoch_report = recorder(seen);
  auto stopped = create_model("nade", small_config("nade"));
  const Status s = status_of([&] { stopped->fit(data().view(), o); });
  if (s == Status::ok) {
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().stopping);
    CHECK(seen.back().best_epoch == seen.back().epoch - 1);
    CHECK(seen.size() < 50);
  } else {
    CHECK(s == Status::diverged);
  }

  // Closed-form kinds report their one pass.
  seen.clear();
  o = options(3);
  o.epoch_report = recorder(seen);
  fitted("bernoulli", o);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].epoch == 1);
  CHECK(seen[0].train_loss > 0);
}

TEST_CASE("checkpoints: closed-form kinds have none, plain files carry no state, damage is refused") {
  auto bern = fitted("bernoulli", options(1));
  CHECK(status_of([&] { save_checkpoint_bytes(*bern); }) == Status::unsupported);
  auto nade = fitted("nade", options(2));
  const std::vector<uint8_t> plain = save_model_bytes(*nade);
  auto loaded = load_model_bytes(plain.data(), plain.size());
  CHECK(loaded->training_state() == nullptr);
  CHECK(status_of([&] { save_checkpoint_bytes(*loaded); }) == Status::not_fitted);
  // A warm start from a plain file continues the parameters (fresh optimiser).
  FitOptions more = options(1);
  more.warm_start = true;
  loaded->fit(data().view(), more);
  CHECK(loaded->training_state()->epochs_done == 1);

  const std::vector<uint8_t> ckpt = save_checkpoint_bytes(*nade);
  CHECK(ckpt.size() > plain.size());
  auto back = load_model_bytes(ckpt.data(), ckpt.size());
  CHECK(save_model_bytes(*back) == plain);
  CHECK(save_checkpoint_bytes(*back) == ckpt);
  // Every truncation is refused; flipped bytes never crash.
  for (std::size_t cut = 0; cut < ckpt.size(); cut += 1 + ckpt.size() / 97)
    CHECK(status_of([&] { load_model_bytes(ckpt.data(), cut); }) != Status::ok);
  for (std::size_t at = 8; at < ckpt.size(); at += 1 + ckpt.size() / 301) {
    std::vector<uint8_t> bad = ckpt;
    bad[at] ^= 0x5A;
    (void)status_of([&] { load_model_bytes(bad.data(), bad.size()); });
  }
}
