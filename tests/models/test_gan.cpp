// GAN family: the new losses against central differences, configuration per kind, a
// discriminator step lowers L_D and a generator step lowers L_G, shapes and ranges of every
// verb, conditions and codes, persistence and determinism, the unsupported verbs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "exact_helpers.hpp"
#include "io/safetensors.hpp"
#include "legacy_file.hpp"
#include "models/gan/gan.hpp"
#include "models/gan/gan_losses.hpp"
#include "models/model_file.hpp"

using namespace gm;
using namespace gm_test;

namespace {

// n images 1×8×8 in [0, 1]: a bright square whose position depends on the class (r mod 2).
struct Images {
  Rows rows;
  std::vector<int32_t> labels;
  DataView view(bool with_labels = false) const {
    DataView v = rows.view();
    if (with_labels) {
      v.labels = labels.data();
      v.num_classes = 2;
    }
    return v;
  }
};

Images squares(int64_t n, uint64_t seed) {
  Images im;
  im.rows = Rows{std::vector<float>(static_cast<std::size_t>(n * 64)), n, 64, {1, 8, 8}};
  Rng rng(seed, 0);
  for (int64_t r = 0; r < n; ++r) {
    const int32_t cls = static_cast<int32_t>(r % 2);
    im.labels.push_back(cls);
    for (int64_t i = 0; i < 64; ++i) {
      const int64_t y = i / 8, x = i % 8;
      const bool on = cls == 0 ? (y < 4 && x < 4) : (y >= 4 && x >= 4);
      im.rows.x[static_cast<std::size_t>(r * 64 + i)] = on ? 0.8f + 0.2f * rng.uniform_f() : 0.1f * rng.uniform_f();
    }
  }
  return im;
}

FitOptions options(int64_t epochs, int64_t batch, uint64_t seed = 1) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.seed = seed;
  o.threads = 1;
  return o;
}

const Json kSmallConv{{"ngf", 4}, {"ndf", 4}, {"latent", 8}};
const Json kSmallMlp{{"g_hidden", Json::array({16})}, {"d_hidden", Json::array({16})}, {"latent", 4}};

// The spread of n samples of d pixels (row-major): the standard deviation of each pixel over
// the samples, averaged over the pixels.
double pixel_spread(const std::vector<float>& x, int64_t n, int64_t d) {
  double total = 0;
  for (int64_t i = 0; i < d; ++i) {
    double mean = 0, sq = 0;
    for (int64_t r = 0; r < n; ++r) {
      const double v = x[static_cast<std::size_t>(r * d + i)];
      mean += v;
      sq += v * v;
    }
    mean /= static_cast<double>(n);
    total += std::sqrt(std::max(0.0, sq / static_cast<double>(n) - mean * mean));
  }
  return total / static_cast<double>(d);
}

double central(const std::function<double()>& f, float& p, float eps = 1e-3f) {
  const float saved = p;
  p = saved + eps;
  const double up = f();
  p = saved - eps;
  const double down = f();
  p = saved;
  return (up - down) / (2.0 * eps);
}

}  // namespace

TEST_CASE("gan losses: gradients match central differences") {
  std::vector<float> l = {-2.0f, -0.3f, 0.0f, 0.7f, 3.0f}, dl(5);
  for (float t : {0.0f, 1.0f}) {
    gan::bce_logit_const(l.data(), 5, t, 0.5f, dl.data());
    for (std::size_t i = 0; i < l.size(); ++i) {
      const double num = central([&] { return 0.5 * gan::bce_logit_const(l.data(), 5, t, 0.5f, nullptr) / 5.0; }, l[i]);
      CHECK(dl[i] == doctest::Approx(num).epsilon(1e-3));
    }
  }
  CHECK(gan::bce_logit_const(l.data() + 2, 1, 1.0f, 1.0f, nullptr) == doctest::Approx(std::log(2.0)));
  // info loss: a categorical group of 3 and 2 continuous codes, 2 rows.
  const int64_t sizes[] = {3};
  std::vector<float> q = {0.2f, -1.0f, 0.5f, 0.3f, -0.4f, 1.5f, 0.1f, -0.2f, -0.9f, 0.8f};
  const std::vector<float> c = {0, 0, 1, 0.5f, -0.5f, 1, 0, 0, -0.1f, 0.9f};
  std::vector<float> dq(q.size());
  const double total = gan::info_loss(q.data(), c.data(), 2, sizes, 1, 2, 2.0f, dq.data());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const double num =
        central([&] { return 2.0 * gan::info_loss(q.data(), c.data(), 2, sizes, 1, 2, 2.0f, nullptr) / 2.0; }, q[i]);
    CHECK(dq[i] == doctest::Approx(num).epsilon(1e-3));
  }
  // Hand value of row 0: −log softmax([0.2, −1, 0.5])[2] + ½(0.3 − 0.5)² + ½(−0.4 + 0.5)².
  const double z = std::exp(0.2) + std::exp(-1.0) + std::exp(0.5);
  const double row0 = -(0.5 - std::log(z)) + 0.5 * 0.04 + 0.5 * 0.01;
  CHECK(total > row0);
}

TEST_CASE("gan losses: the sentence-class matching loss, hand value and central differences") {
  // 2 rows of 3 class scores, classes 2 and 0.
  std::vector<float> l = {0.2f, -1.0f, 0.5f, 1.5f, 0.1f, -0.3f}, dl(6);
  const int32_t y[] = {2, 0};
  const double total = gan::class_match_loss(l.data(), y, 2, 3, 3.0f, dl.data());
  const double z0 = std::exp(0.2) + std::exp(-1.0) + std::exp(0.5), z1 = std::exp(1.5) + std::exp(0.1) + std::exp(-0.3);
  CHECK(total == doctest::Approx((std::log(z0) - 0.5) + (std::log(z1) - 1.5)));
  CHECK(dl[2] == doctest::Approx(3.0 * (std::exp(0.5) / z0 - 1.0) / 2.0));  // weight · (p − 1) / B
  for (std::size_t i = 0; i < l.size(); ++i) {
    const double num =
        central([&] { return 3.0 * gan::class_match_loss(l.data(), y, 2, 3, 3.0f, nullptr) / 2.0; }, l[i]);
    CHECK(dl[i] == doctest::Approx(num).epsilon(1e-3));
  }
  // Each row's gradient sums to 0 (softmax minus one-hot).
  CHECK(std::fabs(dl[0] + dl[1] + dl[2]) < 1e-6);
}

TEST_CASE("gan losses: conditioning augmentation, hand value and central differences") {
  // 2 rows, E = 2: [μ | log σ²] per row, ε, and an upstream gradient dc of c = μ + σ·ε.
  std::vector<float> ml = {0.3f, -1.2f, 0.4f, -0.7f, 1.1f, 0.2f, -0.5f, 0.9f}, dml(8);
  const std::vector<float> eps = {0.5f, -1.5f, 2.0f, 0.1f}, dc = {0.7f, -0.2f, 0.3f, 1.4f};
  std::vector<float> c(4);
  gan::augment_condition(ml.data(), eps.data(), 2, 2, c.data());
  CHECK(c[1] == doctest::Approx(-1.2 + std::exp(-0.35) * -1.5));
  const double total = gan::augment_kl(ml.data(), eps.data(), dc.data(), 2, 2, 3.0f, dml.data());
  auto kl = [](double mu, double lv) { return 0.5 * (mu * mu + std::exp(lv) - 1.0 - lv); };
  CHECK(total == doctest::Approx(kl(0.3, 0.4) + kl(-1.2, -0.7) + kl(1.1, -0.5) + kl(0.2, 0.9)));
  // The whole: Σ dc·c + weight · KL / B, whose gradient augment_kl gives.
  auto whole = [&] {
    std::vector<float> cc(4);
    gan::augment_condition(ml.data(), eps.data(), 2, 2, cc.data());
    double v = 0;
    for (int i = 0; i < 4; ++i)
      v += static_cast<double>(dc[static_cast<std::size_t>(i)]) * cc[static_cast<std::size_t>(i)];
    return v + 3.0 * gan::augment_kl(ml.data(), eps.data(), nullptr, 2, 2, 3.0f, nullptr) / 2.0;
  };
  for (std::size_t i = 0; i < ml.size(); ++i) {
    CAPTURE(i);
    CHECK(dml[i] == doctest::Approx(central(whole, ml[i])).epsilon(1e-3));
  }
  // KL alone at μ = 0, log σ² = 0 is 0 with a zero gradient.
  std::vector<float> zero(8, 0.0f), dz(8, 1.0f);
  CHECK(gan::augment_kl(zero.data(), eps.data(), nullptr, 2, 2, 1.0f, dz.data()) == 0.0);
  CHECK(std::all_of(dz.begin(), dz.end(), [](float v) { return v == 0.0f; }));
}

TEST_CASE("gan losses: the mode-seeking term, hand value and central differences") {
  // 2 rows of 3 pixels from two draws; noises of 2 values per row, 3 apart (as in G's input).
  std::vector<float> a = {0.5f, -0.2f, 0.9f, 0.1f, 0.3f, -0.7f}, b = {0.1f, 0.4f, 0.8f, -0.6f, 0.3f, 0.2f};
  const std::vector<float> za = {1.0f, -0.5f, 9.0f, 0.2f, 0.4f, 9.0f}, zb = {-1.0f, 0.5f, -9.0f, 0.7f, -0.2f, -9.0f};
  std::vector<float> da(6), db(6);
  const double total =
      gan::mode_seeking_loss(a.data(), b.data(), za.data(), zb.data(), 2, 3, 2, 3, 0.5f, da.data(), db.data());
  // mean |a − b| = (0.4 + 0.6 + 0.1 + 0.7 + 0 + 0.9) / 6; mean |za − zb| = (2 + 1 + 0.5 + 0.6) / 4.
  const double image = 2.7 / 6.0, noise = 4.1 / 4.0;
  CHECK(total == doctest::Approx(1.0 / (image / noise + 1e-5)));
  auto whole = [&] {
    return 0.5 * gan::mode_seeking_loss(a.data(), b.data(), za.data(), zb.data(), 2, 3, 2, 3, 0.5f, nullptr, nullptr);
  };
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    if (i == 4) {  // a tie: the subgradient 0 (PyTorch's sign(0))
      CHECK(da[i] == 0.0f);
      continue;
    }
    CHECK(da[i] == doctest::Approx(central(whole, a[i], 1e-3f)).epsilon(1e-3));
    CHECK(db[i] == doctest::Approx(central(whole, b[i], 1e-3f)).epsilon(1e-3));
    CHECK(da[i] == -db[i]);
  }
  // Further apart images lower the term: a descent step moves a away from b.
  CHECK(da[0] < 0.0f);
}

TEST_CASE("gan losses: layer normalisation of sentence embeddings, values and central differences") {
  std::vector<float> s = {0.5f, -1.0f, 2.0f, 0.1f, 3.0f, 3.0f, -2.0f, 0.4f}, inv(2);
  const std::vector<float> given = s, dy = {0.3f, -0.7f, 1.1f, 0.2f, -0.4f, 0.9f, 0.05f, -1.3f};
  gan::normalise_rows(s.data(), 2, 4, inv.data());
  for (int r = 0; r < 2; ++r) {
    double mean = 0, var = 0;
    for (int j = 0; j < 4; ++j) mean += s[static_cast<std::size_t>(r * 4 + j)];
    for (int j = 0; j < 4; ++j) var += s[static_cast<std::size_t>(r * 4 + j)] * s[static_cast<std::size_t>(r * 4 + j)];
    CHECK(std::fabs(mean / 4) < 1e-6);
    CHECK(var / 4 == doctest::Approx(1.0).epsilon(1e-4));
  }
  // Row 0 by hand: mean 0.4, variance (0.01 + 1.96 + 2.56 + 0.09) / 4 = 1.155.
  CHECK(s[2] == doctest::Approx(1.6 / std::sqrt(1.155 + 1e-5)));
  std::vector<float> dx = dy;
  gan::normalise_rows_backward(s.data(), inv.data(), dx.data(), 2, 4);
  std::vector<float> x = given;
  auto whole = [&] {  // Σ dy · normalise(x)
    std::vector<float> y = x;
    gan::normalise_rows(y.data(), 2, 4, nullptr);
    double v = 0;
    for (std::size_t i = 0; i < 8; ++i) v += static_cast<double>(dy[i]) * y[i];
    return v;
  };
  for (std::size_t i = 0; i < 8; ++i) {
    CAPTURE(i);
    CHECK(dx[i] == doctest::Approx(central(whole, x[i])).epsilon(2e-3));
  }
}

TEST_CASE("gan losses: least squares and L1, hand values and central differences") {
  // LSGAN over 2 rows of 3 patch scores.
  std::vector<float> d = {0.9f, 0.2f, -0.4f, 1.5f, 0.0f, 0.6f}, dd(6);
  for (float t : {0.0f, 1.0f}) {
    const double total = gan::lsgan_loss(d.data(), 2, 3, t, 2.0f, dd.data());
    double hand = 0;
    for (int r = 0; r < 2; ++r) {
      double row = 0;
      for (int p = 0; p < 3; ++p) row += (d[r * 3 + p] - t) * (d[r * 3 + p] - t);
      hand += 0.5 * row / 3.0;
    }
    CHECK(total == doctest::Approx(hand));
    for (std::size_t i = 0; i < d.size(); ++i) {
      const double num = central([&] { return 2.0 * gan::lsgan_loss(d.data(), 2, 3, t, 2.0f, nullptr) / 2.0; }, d[i]);
      CHECK(dd[i] == doctest::Approx(num).epsilon(1e-3));
      CHECK(dd[i] == doctest::Approx(2.0 * (d[i] - t) / 6.0));  // weight · (d − t) / (P·B)
    }
  }
  // One score per image is the plain discriminator: ½ (d − t)² per row.
  CHECK(gan::lsgan_loss(d.data(), 1, 1, 1.0f, 1.0f, nullptr) == doctest::Approx(0.5 * 0.01));

  // L1 over 2 rows of 3; a_1 = b_1 exactly: subgradient 0 (and the central difference agrees).
  std::vector<float> a = {0.5f, 0.25f, -1.0f, 0.0f, 2.0f, 0.3f}, da(6);
  const std::vector<float> b = {0.1f, 0.25f, 1.0f, -0.5f, 2.5f, 0.2f};
  const double total = gan::l1_loss(a.data(), b.data(), 2, 3, 10.0f, da.data());
  CHECK(total == doctest::Approx((0.4 + 0.0 + 2.0) / 3.0 + (0.5 + 0.5 + 0.1) / 3.0));
  CHECK(da[1] == 0.0f);
  CHECK(da[0] == doctest::Approx(10.0 / 6.0));
  CHECK(da[2] == doctest::Approx(-10.0 / 6.0));
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double num =
        central([&] { return 10.0 * gan::l1_loss(a.data(), b.data(), 2, 3, 10.0f, nullptr) / 2.0; }, a[i]);
    CHECK(da[i] == doctest::Approx(num).epsilon(1e-3));
  }
}

TEST_CASE("gan: both objectives' gradients match central differences (every flavour's loss as a whole)") {
  Images data = squares(12, 9);
  std::vector<float> cond(12 * 3, 0.0f);
  for (int64_t r = 0; r < 12; ++r) cond[static_cast<std::size_t>(r * 3 + r % 3)] = 0.7f;
  const Json mlp{{"architecture", "mlp"}, {"g_hidden", 6}, {"d_hidden", 5}, {"latent", 3}};
  // subword-ids-v3: two word slots of 32 ids (ids 1..16384): the learned sentence encoder.
  std::vector<float> ids(12 * 64, 0.0f);
  for (int64_t r = 0; r < 12; ++r) {
    ids[static_cast<std::size_t>(r * 64)] = static_cast<float>(1 + r % 3);
    ids[static_cast<std::size_t>(r * 64 + 1)] = 5.0f;
    ids[static_cast<std::size_t>(r * 64 + 32)] = static_cast<float>(7 + r % 2);
    if (r % 4 == 0) ids[static_cast<std::size_t>(r * 64 + 33)] = 16384.0f;
  }
  struct Case {
    gan::Flavor flavor;
    Json cfg;
    bool labels, conditions;
  };
  Json text = mlp, label = mlp, info = mlp, conv{{"ngf", 2}, {"ndf", 2}, {"latent", 3}, {"condition", "label"}};
  text["condition"] = "text";
  text["embed"] = 4;
  Json encoder = text;
  encoder["text_features"] = "subword-ids-v3";
  // text_match: the sentence–class matching loss (prototypes g.match, d.match) through the
  // linear embedding and through the learned encoder.
  Json text_match = text, encoder_match = encoder;
  text_match["text_match"] = 0.7;
  encoder_match["text_match"] = 1.3;
  // text_augment: conditioning augmentation (g.augment, c = μ + σ·ε, the KL term) through the
  // linear embedding, and through the encoder with the matching loss beside it.
  Json text_aug = text, encoder_aug = encoder_match;
  text_aug["text_augment"] = 0.8;
  encoder_aug["text_augment"] = 1.7;
  // mode_seeking: G's second draw G(z₂, c) and the term over both, with a label, and through
  // the encoder with the matching loss and conditioning augmentation (the condition's gradient
  // from both draws).
  Json label_mode = mlp, encoder_mode = encoder_aug;
  label_mode["condition"] = "label";
  label_mode["mode_seeking"] = 0.9;
  encoder_mode["mode_seeking"] = 1.1;
  // text_norm: G's sentence embedding layer-normalised, through the linear embedding and
  // through the encoder with the matching loss and mode seeking.
  Json text_norm = text, encoder_norm = encoder_match;
  text_norm["text_norm"] = true;
  encoder_norm["text_norm"] = true;
  encoder_norm["mode_seeking"] = 0.6;
  // image_match: D's class head on its features, trained on real images in the D step, held
  // in the G step — through the linear embedding, and with everything else of issue 17.
  Json text_image = text, encoder_image = encoder_norm;
  text_image["image_match"] = 0.8;
  encoder_image["image_match"] = 1.4;
  label["condition"] = "label";
  info["categorical"] = Json::array({3});
  info["continuous"] = 1;
  info["noise_std"] = 1.0;  // the state the step size below was chosen for (BN over 12 rows is kinky)
  Json plain = mlp;
  plain.erase("architecture");
  const Case cases[] = {{gan::Flavor::gan, plain, false, false},      {gan::Flavor::cgan, label, true, false},
                        {gan::Flavor::cgan, text, false, true},       {gan::Flavor::cgan, encoder, false, true},
                        {gan::Flavor::infogan, info, false, false},   {gan::Flavor::cgan, conv, true, false},
                        {gan::Flavor::cgan, text_match, true, true},  {gan::Flavor::cgan, encoder_match, true, true},
                        {gan::Flavor::cgan, text_aug, false, true},   {gan::Flavor::cgan, encoder_aug, true, true},
                        {gan::Flavor::cgan, label_mode, true, false}, {gan::Flavor::cgan, encoder_mode, true, true},
                        {gan::Flavor::cgan, text_norm, false, true},  {gan::Flavor::cgan, encoder_norm, true, true},
                        {gan::Flavor::cgan, text_image, true, true},  {gan::Flavor::cgan, encoder_image, true, true}};
  for (const Case& k : cases) {
    CAPTURE(k.cfg.dump());
    GanModel m(k.flavor, k.cfg);
    DataView v = data.view(k.labels);
    if (k.conditions) {
      const bool ids_in = k.cfg.contains("text_features");
      v.conditions = ids_in ? ids.data() : cond.data();
      v.condition_dim = ids_in ? 64 : 3;
    }
    m.fit(v, options(1, 12));
    for (const bool discriminator : {true, false}) {
      CAPTURE(discriminator);
      const nn::ParamSpan span = discriminator ? m.discriminator_span() : m.generator_span();
      auto objective = [&](bool backward) {
        return discriminator ? m.discriminator_objective(v, 42, backward) : m.generator_objective(v, 42, backward);
      };
      objective(true);
      const std::vector<float> analytic(span.grad, span.grad + span.count);
      // Central differences with a small step (leaky ReLU kinks and batch norm over 12 rows
      // make the truncation error grow fast with it), judged as the largest error against the
      // largest gradient: f32 noise stays below a few per cent, while a wrong sign or a missing
      // term is O(1).
      double err = 0, scale = 0;
      // The encoder's word-piece table (16 384 rows): only the rows of the ids above are
      // reachable; the others are skipped (their gradient is 0 by construction, and checking
      // them would cost 2 × 65 536 objective evaluations).
      const float* table = nullptr;
      if (k.cfg.contains("text_features"))
        table = m.parameter_store().value(m.parameter_store().find(discriminator ? "d.text.table" : "g.text.table"));
      auto reachable = [&](int64_t i) {
        const std::ptrdiff_t at = span.value + i - table;
        if (!table || at < 0 || at >= 16384 * 4) return true;
        const std::ptrdiff_t row = at / 4;  // embed = 4
        return row < 8 || row == 16383;
      };
      for (int64_t i = 0; i < span.count; ++i) {
        if (!reachable(i)) continue;
        const float saved = span.value[i];
        span.value[i] = saved + 5e-4f;
        const double up = objective(false) / 12.0;
        span.value[i] = saved - 5e-4f;
        const double down = objective(false) / 12.0;
        span.value[i] = saved;
        const double num = (up - down) / 1e-3;
        err = std::max(err, std::fabs(num - analytic[static_cast<std::size_t>(i)]));
        scale = std::max(scale, std::fabs(num));
      }
      CHECK(scale > 0);
      CHECK(err / scale < 0.1);
    }
  }
}

TEST_CASE("gan: configuration per kind") {
  CHECK(GanModel(gan::Flavor::dcgan, Json::object()).config()["ngf"] == 64);
  CHECK(GanModel(gan::Flavor::gan, Json::object()).config()["latent"] == 64);
  CHECK(status_of([] { GanModel(gan::Flavor::dcgan, Json{{"condition", "label"}}); }) == Status::invalid_config);
  CHECK(status_of([] { GanModel(gan::Flavor::gan, Json{{"ngf", 3}}); }) == Status::invalid_config);
  CHECK(status_of([] { GanModel(gan::Flavor::cgan, Json{{"condition", "sound"}}); }) == Status::invalid_config);
  CHECK(status_of([] {
          GanModel(gan::Flavor::infogan, Json{{"categorical", Json::array()}, {"continuous", 0}});
        }) == Status::invalid_config);
  CHECK(status_of([] { GanModel(gan::Flavor::gan, Json{{"g_hidden", Json::array({0})}}); }) == Status::invalid_config);
  CHECK(message_of([] { GanModel(gan::Flavor::dcgan, Json{{"laten", 3}}); }).find("laten") != std::string::npos);
}

TEST_CASE("gan: a discriminator step lowers L_D; a generator step against a fixed D lowers L_G") {
  const Images data = squares(32, 1);
  for (const Json& base : {kSmallMlp, kSmallConv}) {
    const gan::Flavor flavor = base.contains("ngf") ? gan::Flavor::dcgan : gan::Flavor::gan;
    CAPTURE(base.dump());
    {  // D only: G never steps (d_steps larger than the run).
      Json cfg = base;
      cfg["d_steps"] = 100;
      cfg["learning_rate"] = 5e-3;
      GanModel m(flavor, cfg);
      std::vector<double> d;
      FitOptions o = options(20, 32);
      o.progress = [&](int64_t, int64_t, double) {
        d.push_back(m.step_d_loss());
        return false;
      };
      m.fit(data.view(), o);
      REQUIRE(d.size() == 20);
      CHECK(d.front() == doctest::Approx(2 * std::log(2.0)).epsilon(0.2));  // D(x) ≈ ½ at the start
      CHECK((d[17] + d[18] + d[19]) / 3 < 0.8 * d.front());
    }
    {  // G against an (almost) frozen D.
      Json cfg = base;
      cfg["d_learning_rate"] = 1e-8;
      cfg["learning_rate"] = 2e-3;
      GanModel m(flavor, cfg);
      std::vector<double> g;
      FitOptions o = options(20, 32);
      o.progress = [&](int64_t, int64_t, double) {
        g.push_back(m.step_g_loss());
        return false;
      };
      m.fit(data.view(), o);
      CHECK((g[17] + g[18] + g[19]) / 3 < g.front());
    }
  }
}

TEST_CASE("gan: verbs, shapes and ranges; unsupported verbs say why") {
  const Images data = squares(64, 2);
  GanModel m(gan::Flavor::dcgan, kSmallConv);
  m.fit(data.view(), options(2, 32));
  std::vector<float> s(10 * 64);
  SampleOptions so;
  so.seed = 3;
  m.sample(10, so, s.data());
  CHECK(*std::min_element(s.begin(), s.end()) >= 0.0f);
  CHECK(*std::max_element(s.begin(), s.end()) <= 1.0f);
  CHECK(m.latent_dim() == 8);
  std::vector<float> z(3 * 8, 0.1f), out(3 * 64);
  DataView codes;
  codes.x = z.data();
  codes.n = 3;
  codes.d = 8;
  m.decode(codes, so, out.data());
  CHECK(out[0] == out[64]);  // the same code gives the same image
  std::vector<double> lp(64);
  CHECK(status_of([&] { m.log_prob(data.view(), EvalOptions{}, lp.data()); }) == Status::unsupported);
  CHECK(message_of([&] { m.log_prob(data.view(), EvalOptions{}, lp.data()); }).find("genmodels eval") !=
        std::string::npos);
  CHECK(status_of([&] { m.encode(data.view(), EvalOptions{}, s.data()); }) == Status::unsupported);
  codes.d = 7;  // the wrong width: invalid_data, as for rows (GenerativeModel::decode; the C ABI agreed)
  CHECK(status_of([&] { m.decode(codes, so, out.data()); }) == Status::invalid_data);

  SUBCASE("bad data") {
    GanModel n(gan::Flavor::dcgan, kSmallConv);
    Images bad = squares(8, 3);
    bad.rows.x[5] = 1.5f;
    CHECK(status_of([&] { n.fit(bad.view(), options(1, 8)); }) == Status::invalid_data);
    Rows flat = random_binary(8, 64, 1);  // no image shape
    CHECK(status_of([&] { n.fit(flat.view(), options(1, 8)); }) == Status::invalid_data);
    CHECK(!n.fitted());
  }
}

// The truncation trick (SampleOptions::truncation): row i's code is row i's stream drawn by
// Rng::latent_normal(t), scaled by noise_std — so sample equals decode of those codes, every
// code lies within t · noise_std, a tiny t gives G(0) for every row, and a smaller t narrows
// the samples' spread.
TEST_CASE("gan: truncation draws the latent within the bound; refused where nothing is drawn") {
  const Images data = squares(64, 2);
  const Json cfg = [] {
    Json c = kSmallConv;
    c["noise_std"] = 2.0;
    return c;
  }();
  GanModel m(gan::Flavor::dcgan, cfg);
  m.fit(data.view(), options(2, 32));
  const int64_t n = 200, L = 8, D = 64;
  auto sample_with = [&](double t) {
    SampleOptions so;
    so.seed = 3;
    so.truncation = t;
    std::vector<float> s(static_cast<std::size_t>(n * D));
    m.sample(n, so, s.data());
    return s;
  };
  auto decode_codes = [&](const std::vector<float>& z) {
    DataView codes;
    codes.x = z.data();
    codes.n = static_cast<int64_t>(z.size()) / L;
    codes.d = L;
    std::vector<float> out(static_cast<std::size_t>(codes.n * D));
    m.decode(codes, SampleOptions{}, out.data());
    return out;
  };
  const double t = 0.5;
  std::vector<float> z(static_cast<std::size_t>(n * L));
  float largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    Rng row(3, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < L; ++j) z[i * L + j] = static_cast<float>(2.0 * row.latent_normal(t));
  }
  for (float v : z) largest = std::max(largest, std::fabs(v));
  CHECK(largest <= 2.0 * t + 1e-6);
  const std::vector<float> truncated = sample_with(t);
  CHECK(truncated == decode_codes(z));
  CHECK(truncated == sample_with(t));
  CHECK(truncated != sample_with(0.0));
  CHECK(pixel_spread(truncated, n, D) < 0.8 * pixel_spread(sample_with(0.0), n, D));
  const std::vector<float> mode = decode_codes(std::vector<float>(static_cast<std::size_t>(L), 0.0f));
  const std::vector<float> tiny = sample_with(1e-7);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < D; ++d) REQUIRE(tiny[i * D + d] == doctest::Approx(mode[d]).epsilon(1e-4));

  std::vector<float> out(static_cast<std::size_t>(n * D));
  for (const double bad : {-1.0, std::nan(""), double(INFINITY)}) {
    SampleOptions so;
    so.truncation = bad;
    CHECK(status_of([&] { m.sample(4, so, out.data()); }) == Status::invalid_argument);
    CHECK(message_of([&] { m.sample(4, so, out.data()); }).find("truncation must be finite and > 0") !=
          std::string::npos);
  }
  SampleOptions so;
  so.truncation = 1.0;
  DataView codes;
  codes.x = z.data();
  codes.n = 2;
  codes.d = L;
  CHECK(status_of([&] { m.decode(codes, so, out.data()); }) == Status::invalid_argument);
  CHECK(message_of([&] { m.decode(codes, so, out.data()); }).find("option of sample") != std::string::npos);
}

TEST_CASE("gan: save → load gives bit-identical samples; the same seed gives the same fit") {
  const Images data = squares(64, 4);
  for (const Json& cfg : {kSmallMlp, kSmallConv}) {
    const gan::Flavor flavor = cfg.contains("ngf") ? gan::Flavor::dcgan : gan::Flavor::gan;
    GanModel a(flavor, cfg), b(flavor, cfg);
    a.fit(data.view(), options(2, 16, 7));
    b.fit(data.view(), options(2, 16, 7));
    CHECK(save_model_bytes(a) == save_model_bytes(b));
    const std::vector<uint8_t> bytes = save_model_bytes(a);
    auto loaded = load_model_bytes(bytes.data(), bytes.size());
    CHECK(sample_rows(a, 20, 5, 1) == sample_rows(*loaded, 20, 5, 1));
    CHECK(sample_rows(a, 300, 5, 1) == sample_rows(a, 300, 5, 2));  // thread count does not matter
    CHECK(save_model_bytes(*loaded) == bytes);
    SavedTensors saved = save_unaligned(a);
    std::vector<TensorRef> refs = saved.refs;
    refs[0].shape = {1, 2};
    GanModel target(flavor, cfg);
    CHECK(status_of([&] { target.restore(a.data_shape(), refs); }) == Status::corrupt_file);
  }
}

TEST_CASE("cgan: labels condition the generator; conditions are checked") {
  const Images data = squares(64, 5);
  GanModel m(gan::Flavor::cgan, Json{{"ngf", 4}, {"ndf", 4}, {"latent", 8}});
  CHECK(status_of([&] { m.fit(data.view(false), options(1, 32)); }) == Status::invalid_data);
  m.fit(data.view(true), options(2, 32));
  CHECK(m.config()["classes"] == 2);
  CHECK((m.capabilities() & cap_conditional) != 0);
  std::vector<int32_t> labels = {0, 1, 1, 0};
  SampleOptions so;
  so.labels = labels.data();
  std::vector<float> s(4 * 64);
  m.sample(4, so, s.data());
  labels[1] = 2;
  CHECK(status_of([&] { m.sample(4, so, s.data()); }) == Status::invalid_argument);
  // decode without labels is refused; sample without labels draws them.
  std::vector<float> z(8, 0.0f), out(64);
  DataView codes;
  codes.x = z.data();
  codes.n = 1;
  codes.d = 8;
  CHECK(status_of([&] { m.decode(codes, SampleOptions{}, out.data()); }) == Status::invalid_argument);
  m.sample(4, SampleOptions{}, s.data());
  const std::vector<uint8_t> bytes = save_model_bytes(m);
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(sample_rows(m, 8, 1, 1) == sample_rows(*loaded, 8, 1, 1));
}

TEST_CASE("cgan: vector and text conditions") {
  Images data = squares(32, 6);
  std::vector<float> cond(32 * 3, 0.0f);
  for (int64_t r = 0; r < 32; ++r)
    cond[static_cast<std::size_t>(r * 3 + data.labels[static_cast<std::size_t>(r)])] = 1.0f;
  for (const char* kind : {"vector", "text"}) {
    CAPTURE(kind);
    Json cfg{{"architecture", "mlp"}, {"condition", kind}, {"g_hidden", 16}, {"d_hidden", 16}, {"latent", 4}};
    if (std::string(kind) == "text") cfg["embed"] = 5;
    GanModel m(gan::Flavor::cgan, cfg);
    DataView v = data.view();
    v.conditions = cond.data();
    v.condition_dim = 3;
    m.fit(v, options(2, 16));
    std::vector<float> s(32 * 64);
    SampleOptions so;
    CHECK(status_of([&] { m.sample(32, so, s.data()); }) == Status::invalid_argument);
    so.conditions = cond.data();
    so.condition_dim = 3;
    m.sample(32, so, s.data());
    so.condition_dim = 2;
    CHECK(status_of([&] { m.sample(32, so, s.data()); }) == Status::invalid_argument);
    const std::vector<uint8_t> bytes = save_model_bytes(m);
    auto loaded = load_model_bytes(bytes.data(), bytes.size());
    CHECK(save_model_bytes(*loaded) == bytes);
  }
}

TEST_CASE("cgan text: the feature version is configured, saved, and a file without it is words-v1") {
  Json cfg{{"architecture", "mlp"}, {"condition", "text"}, {"g_hidden", 8},
           {"d_hidden", 8},         {"latent", 3},         {"embed", 4}};
  CHECK(GanModel(gan::Flavor::cgan, cfg).config()["text_features"] == "subword-v2");  // the new default
  Json old = cfg;
  old["text_features"] = "words-v1";
  CHECK(GanModel(gan::Flavor::cgan, old).settings().text_features == "words-v1");
  Json bad = cfg;
  bad["text_features"] = "chars";
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, bad); }) == Status::invalid_config);
  Json label{{"architecture", "mlp"}, {"condition", "label"}, {"text_features", "words-v1"}};
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, label); }) == Status::invalid_config);  // text only

  Images data = squares(16, 3);
  std::vector<float> cond(16 * 4, 0.25f);
  GanModel m(gan::Flavor::cgan, cfg);
  DataView v = data.view();
  v.conditions = cond.data();
  v.condition_dim = 4;
  m.fit(v, options(1, 8));
  const std::vector<uint8_t> bytes = save_model_bytes(m);
  CHECK(load_model_bytes(bytes.data(), bytes.size())->config()["text_features"] == "subword-v2");
  // The same file as a genmodels before issue 17 wrote it: no "text_features".
  const SafetensorsContents c = decode_safetensors(bytes.data(), bytes.size());
  Metadata meta = c.metadata;
  Json written = Json::parse(meta.at("config"));
  written.erase("text_features");
  meta["config"] = written.dump();
  const std::vector<uint8_t> legacy = encode_safetensors(c.tensors, meta);
  auto loaded = load_model_bytes(legacy.data(), legacy.size());
  CHECK(loaded->config()["text_features"] == "words-v1");
  // It samples exactly as the original: the networks are the same, only the name differs.
  std::vector<float> a(4 * 64), b(4 * 64);
  SampleOptions so;
  so.conditions = cond.data();
  so.condition_dim = 4;
  m.sample(4, so, a.data());
  loaded->sample(4, so, b.data());
  CHECK(a == b);
}

namespace {
// Two-class sentences as word-piece ids (subword-ids-v3 rows of 4 slots × 32): slot 0 the
// class word (id 1 or 2), slots 1–3 filler words drawn from 30 ids shared by both classes.
std::vector<float> class_sentences(const std::vector<int32_t>& labels, uint64_t seed) {
  std::vector<float> ids(labels.size() * 128, 0.0f);
  Rng rng(seed, 0);
  for (std::size_t r = 0; r < labels.size(); ++r) {
    ids[r * 128] = static_cast<float>(1 + labels[r]);
    for (int64_t t = 1; t < 4; ++t)
      ids[r * 128 + static_cast<std::size_t>(t) * 32] = static_cast<float>(10 + rng.below(30));
  }
  return ids;
}

// Separation of two classes' embeddings e (n, E): the squared distance between the class
// means over the mean squared distance of a row to its class mean.
double separation(const std::vector<float>& e, const std::vector<int32_t>& labels, int64_t E) {
  std::vector<double> mean(static_cast<std::size_t>(2 * E), 0.0);
  double count[2] = {0, 0};
  for (std::size_t r = 0; r < labels.size(); ++r) {
    count[labels[r]] += 1;
    for (int64_t j = 0; j < E; ++j) mean[static_cast<std::size_t>(labels[r] * E + j)] += e[r * E + j];
  }
  for (int64_t j = 0; j < 2 * E; ++j) mean[static_cast<std::size_t>(j)] /= count[j / E];
  double between = 0, within = 0;
  for (int64_t j = 0; j < E; ++j) {
    const double d = mean[static_cast<std::size_t>(j)] - mean[static_cast<std::size_t>(E + j)];
    between += d * d;
  }
  for (std::size_t r = 0; r < labels.size(); ++r)
    for (int64_t j = 0; j < E; ++j) {
      const double d = e[r * E + j] - mean[static_cast<std::size_t>(labels[r] * E + j)];
      within += d * d;
    }
  return between / (within / static_cast<double>(labels.size()));
}

// The small text cgan with the learned sentence encoder the text keys' tests start from.
const Json kSmallEncoder{{"architecture", "mlp"},
                         {"condition", "text"},
                         {"g_hidden", 16},
                         {"d_hidden", 16},
                         {"latent", 4},
                         {"embed", 8},
                         {"text_features", "subword-ids-v3"}};

// A text cgan fitted on the squares with their sentences ids (128 values a row), with the
// labels or without; lr 5e-3: a few steps that move the encoders visibly.
std::unique_ptr<GanModel> fit_on_sentences(const Json& cfg, const Images& data, const std::vector<float>& ids,
                                           bool labels, int64_t epochs) {
  auto m = std::make_unique<GanModel>(gan::Flavor::cgan, cfg);
  DataView v = data.view(labels);
  v.conditions = ids.data();
  v.condition_dim = 128;
  FitOptions o = options(epochs, 16, 7);
  o.learning_rate = 5e-3;
  m->fit(v, o);
  return m;
}

// A training key's two promises about files, with the 4 sentences of so: a file written
// before `key` existed (off's file without it) loads with the key's default and samples
// exactly as off; on's file loads with `value` and samples bit-identically, and saves back to
// the same bytes.
void check_key_in_files(const GanModel& off, const GanModel& on, const std::string& key, const Json& fallback,
                        const Json& value, const SampleOptions& so) {
  std::vector<float> a(4 * 64), b(4 * 64);
  const std::vector<uint8_t> legacy = without_config_key(off, key);
  auto old = load_model_bytes(legacy.data(), legacy.size());
  CHECK(old->config()[key] == fallback);
  off.sample(4, so, a.data());
  old->sample(4, so, b.data());
  CHECK(a == b);
  const std::vector<uint8_t> bytes = save_model_bytes(on);
  auto loaded = load_model_bytes(bytes.data(), bytes.size());
  CHECK(loaded->config()[key] == value);
  CHECK(save_model_bytes(*loaded) == bytes);
  on.sample(4, so, a.data());
  loaded->sample(4, so, b.data());
  CHECK(a == b);
}
}  // namespace

TEST_CASE("cgan text_match: configured, needs labels, saved; the loss separates the classes' sentence embeddings") {
  const Json base = kSmallEncoder;
  CHECK(GanModel(gan::Flavor::cgan, base).config()["text_match"] == 0.0);
  CHECK_FALSE(GanModel(gan::Flavor::cgan, base).config().contains("classes"));  // no prototypes, no classes
  Json with_classes = base;
  with_classes["classes"] = 2;  // classes without the loss is a key this configuration does not use
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, with_classes); }) == Status::invalid_config);
  Json negative = base;
  negative["text_match"] = -1.0;
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, negative); }) == Status::invalid_config);
  Json label{{"condition", "label"}, {"text_match", 1.0}};
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, label); }) == Status::invalid_config);  // text only

  const Images data = squares(128, 4);
  const std::vector<float> ids = class_sentences(data.labels, 5);
  auto fit = [&](double weight, bool labels) {
    Json cfg = base;
    if (weight > 0) cfg["text_match"] = weight;
    return fit_on_sentences(cfg, data, ids, labels, 5);
  };
  Json matched = base;
  matched["text_match"] = 1.0;
  {
    GanModel m(gan::Flavor::cgan, matched);
    DataView v = data.view(false);
    v.conditions = ids.data();
    v.condition_dim = 128;
    CHECK(status_of([&] { m.fit(v, options(1, 16)); }) == Status::invalid_data);  // no labels: no classes
  }
  const auto off = fit(0.0, true), on = fit(5.0, true);
  CHECK(on->config()["classes"] == 2);
  CHECK(on->parameter_store().size(on->parameter_store().find("g.match.weight")) == 2 * 8);  // classes × embed
  CHECK(on->parameter_store().size(on->parameter_store().find("d.match.weight")) == 2 * 8);
  CHECK(status_of([&] { off->parameter_store().find("g.match.weight"); }) == Status::invalid_argument);
  // The loss is wired in: G's and D's embeddings of the two classes' sentences lie measurably
  // further apart (between-class over within-class) with it than GAN-CLS alone puts them.
  for (const bool generator : {true, false}) {
    CAPTURE(generator);
    std::vector<float> e_off(128 * 8), e_on(128 * 8);
    off->sentence_embedding(generator, 128, ids.data(), e_off.data());
    on->sentence_embedding(generator, 128, ids.data(), e_on.data());
    const double s_off = separation(e_off, data.labels, 8), s_on = separation(e_on, data.labels, 8);
    CAPTURE(s_off);
    CAPTURE(s_on);
    CHECK(s_on > 2.0 * s_off);
  }
  // Old files (no "text_match") load as 0; the prototypes come back from a file.
  SampleOptions so;
  so.conditions = ids.data();
  so.condition_dim = 128;
  check_key_in_files(*off, *on, "text_match", 0.0, 5.0, so);
}

TEST_CASE("cgan text_augment: configured, saved, ε is part of the latent, the KL term pulls σ to 1") {
  const Json base = kSmallEncoder;
  CHECK(GanModel(gan::Flavor::cgan, base).config()["text_augment"] == 0.0);
  Json negative = base;
  negative["text_augment"] = -1.0;
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, negative); }) == Status::invalid_config);
  Json label{{"condition", "label"}, {"text_augment", 1.0}};
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, label); }) == Status::invalid_config);  // text only

  const Images data = squares(128, 4);
  const std::vector<float> ids = class_sentences(data.labels, 5);
  auto fit = [&](double weight) {
    Json cfg = base;
    if (weight > 0) cfg["text_augment"] = weight;
    return fit_on_sentences(cfg, data, ids, false, 5);
  };
  const auto off = fit(0.0), weak = fit(1e-3), strong = fit(30.0);
  CHECK(off->latent_dim() == 4);
  CHECK(strong->latent_dim() == 4 + 8);  // [z | ε]
  CHECK(strong->parameter_store().size(strong->parameter_store().find("g.augment.weight")) == 16 * 8);
  CHECK(status_of([&] { off->parameter_store().find("g.augment.weight"); }) == Status::invalid_argument);
  // ε reaches G: decoding one sentence with the same z and two ε gives two images.
  {
    std::vector<float> codes(2 * 12, 0.0f), out(2 * 64);
    for (int j = 0; j < 4; ++j) codes[static_cast<std::size_t>(j)] = codes[static_cast<std::size_t>(12 + j)] = 0.3f;
    for (int j = 4; j < 12; ++j) codes[static_cast<std::size_t>(12 + j)] = 1.5f;
    std::vector<float> two(ids.begin(), ids.begin() + 128);
    two.insert(two.end(), ids.begin(), ids.begin() + 128);
    Rows c{codes, 2, 12, {}};
    SampleOptions so;
    so.conditions = two.data();
    so.condition_dim = 128;
    strong->decode(c.view(), so, out.data());
    double diff = 0;
    for (int i = 0; i < 64; ++i)
      diff += std::fabs(out[static_cast<std::size_t>(i)] - out[static_cast<std::size_t>(64 + i)]);
    CHECK(diff > 1e-3);
  }
  // The KL term is wired in: with λ_KL 30 G's [μ | log σ²] = g.augment(s) lie much nearer
  // N(0, I) than with 1e-3 (KL per sentence, computed here by hand from the stored weights).
  auto mean_kl = [&](GanModel& m) {
    std::vector<float> e(128 * 8);
    m.sentence_embedding(true, 128, ids.data(), e.data());
    nn::ParameterStore& st = m.parameter_store();
    const float* W = st.value(st.find("g.augment.weight"));
    const float* b = st.value(st.find("g.augment.bias"));
    double total = 0;
    for (int r = 0; r < 128; ++r)
      for (int j = 0; j < 8; ++j) {
        double mu = b[j], lv = b[8 + j];
        for (int k = 0; k < 8; ++k) {
          mu += W[j * 8 + k] * e[static_cast<std::size_t>(r * 8 + k)];
          lv += W[(8 + j) * 8 + k] * e[static_cast<std::size_t>(r * 8 + k)];
        }
        total += 0.5 * (mu * mu + std::exp(lv) - 1.0 - lv);
      }
    return total / 128.0;
  };
  const double kl_weak = mean_kl(*weak), kl_strong = mean_kl(*strong);
  CAPTURE(kl_weak);
  CAPTURE(kl_strong);
  CHECK(kl_strong < 0.5 * kl_weak);
  SampleOptions so;
  so.conditions = ids.data();
  so.condition_dim = 128;
  check_key_in_files(*off, *strong, "text_augment", 0.0, 30.0, so);
}

TEST_CASE("cgan mode_seeking: configured, training only, and the generator's samples of one label vary more") {
  const Json base{{"condition", "label"}, {"ngf", 4}, {"ndf", 4}, {"latent", 8}};
  CHECK(GanModel(gan::Flavor::cgan, base).config()["mode_seeking"] == 0.0);
  Json negative = base;
  negative["mode_seeking"] = -1.0;
  CHECK(status_of([&] { GanModel(gan::Flavor::cgan, negative); }) == Status::invalid_config);
  CHECK(status_of([&] { GanModel(gan::Flavor::dcgan, Json{{"mode_seeking", 1.0}}); }) == Status::invalid_config);

  const Images data = squares(128, 4);
  auto fit = [&](double weight) {
    Json cfg = base;
    if (weight > 0) cfg["mode_seeking"] = weight;
    auto m = std::make_unique<GanModel>(gan::Flavor::cgan, cfg);
    FitOptions o = options(10, 16, 7);
    o.learning_rate = 5e-3;  // a few steps that move G visibly
    m->fit(data.view(true), o);
    return m;
  };
  const auto off = fit(0.0), on = fit(1.0);
  // No parameters of its own: the same tensors with and without it.
  CHECK(on->parameter_store().count() == off->parameter_store().count());
  CHECK(on->parameter_store().parameter_count() == off->parameter_store().parameter_count());
  // Pixel spread over 64 samples of label 0, averaged over the pixels.
  auto spread = [](GanModel& m) {
    std::vector<int32_t> labels(64, 0);
    SampleOptions so;
    so.labels = labels.data();
    so.seed = 3;
    std::vector<float> x(64 * 64);
    m.sample(64, so, x.data());
    return pixel_spread(x, 64, 64);
  };
  const double s_off = spread(*off), s_on = spread(*on);
  CAPTURE(s_off);
  CAPTURE(s_on);
  CHECK(s_on > 1.5 * s_off);
  // A file written before the key existed loads as 0 and samples as the model that wrote it.
  const std::vector<uint8_t> legacy = without_config_key(*on, "mode_seeking");
  auto old = load_model_bytes(legacy.data(), legacy.size());
  CHECK(old->config()["mode_seeking"] == 0.0);
  std::vector<int32_t> labels(4, 1);
  SampleOptions so;
  so.labels = labels.data();
  std::vector<float> a(4 * 64), b(4 * 64);
  on->sample(4, so, a.data());
  old->sample(4, so, b.data());
  CHECK(a == b);
}

TEST_CASE("cgan text_norm: configured, G sees a normalised embedding, saved; old files keep theirs") {
  const Json base = kSmallEncoder;
  CHECK(GanModel(gan::Flavor::cgan, base).config()["text_norm"] == false);
  CHECK(status_of([&] {
          GanModel(gan::Flavor::cgan, Json{{"condition", "label"}, {"text_norm", true}});
        }) == Status::invalid_config);  // text only
  const Images data = squares(64, 4);
  const std::vector<float> ids = class_sentences(data.labels, 5);
  Json normed = base;
  normed["text_norm"] = true;
  const auto off = fit_on_sentences(base, data, ids, false, 2), on = fit_on_sentences(normed, data, ids, false, 2);
  // What G sees: each sentence's embedding with mean 0 and variance 1 over its 8 values (D's
  // embedding is not normalised).
  std::vector<float> e(64 * 8), d(64 * 8);
  on->sentence_embedding(true, 64, ids.data(), e.data());
  on->sentence_embedding(false, 64, ids.data(), d.data());
  double worst = 0, d_var = 0;
  for (int r = 0; r < 64; ++r) {
    double mean = 0, sq = 0, dm = 0, dsq = 0;
    for (int j = 0; j < 8; ++j) {
      const double v = e[static_cast<std::size_t>(r * 8 + j)], w = d[static_cast<std::size_t>(r * 8 + j)];
      mean += v / 8;
      sq += v * v / 8;
      dm += w / 8;
      dsq += w * w / 8;
    }
    worst = std::max({worst, std::fabs(mean), std::fabs(sq - mean * mean - 1.0)});
    d_var += (dsq - dm * dm) / 64;
  }
  CHECK(worst < 1e-3);
  CHECK(std::fabs(d_var - 1.0) > 0.01);
  SampleOptions so;
  so.conditions = ids.data();
  so.condition_dim = 128;
  check_key_in_files(*off, *on, "text_norm", false, true, so);
  std::vector<float> a(4 * 64), c(4 * 64);  // and the key changes what G draws
  on->sample(4, so, a.data());
  off->sample(4, so, c.data());
  CHECK(a != c);
}

TEST_CASE("cgan image_match: configured, needs labels, saved; D's head learns the classes of real images") {
  const Json base = kSmallEncoder;
  CHECK(GanModel(gan::Flavor::cgan, base).config()["image_match"] == 0.0);
  CHECK(status_of([&] {
          GanModel(gan::Flavor::cgan, Json{{"condition", "label"}, {"image_match", 1.0}});
        }) == Status::invalid_config);  // text only
  Json on_cfg = base;
  on_cfg["image_match"] = 1.0;
  const Images data = squares(128, 4);
  const std::vector<float> ids = class_sentences(data.labels, 5);
  {
    GanModel m(gan::Flavor::cgan, on_cfg);
    DataView v = data.view(false);
    v.conditions = ids.data();
    v.condition_dim = 128;
    CHECK(status_of([&] { m.fit(v, options(1, 16)); }) == Status::invalid_data);  // no labels: no classes
  }
  const auto off = fit_on_sentences(base, data, ids, true, 3), on = fit_on_sentences(on_cfg, data, ids, true, 3);
  CHECK(on->config()["classes"] == 2);
  nn::ParameterStore& st = on->parameter_store();
  CHECK(st.size(st.find("d.classify.weight")) == 2 * 16);  // classes × D's 16 features
  CHECK(status_of([&] { off->parameter_store().find("d.classify.weight"); }) == Status::invalid_argument);
  // The head is trained: D's loss on a batch of real images with their labels, against the
  // same batch with the labels swapped (the class term is the only one that reads labels).
  {
    DataView v = data.view(true);
    v.conditions = ids.data();
    v.condition_dim = 128;
    v.n = 32;
    const double right = on->discriminator_objective(v, 5, false);
    std::vector<int32_t> swapped(data.labels.begin(), data.labels.begin() + 32);
    for (int32_t& y : swapped) y = 1 - y;
    v.labels = swapped.data();
    const double wrong = on->discriminator_objective(v, 5, false);
    CAPTURE(right);
    CAPTURE(wrong);
    CHECK(wrong - right > 32 * 0.5);  // > 0.5 nats a row
  }
  SampleOptions so;
  so.conditions = ids.data();
  so.condition_dim = 128;
  check_key_in_files(*off, *on, "image_match", 0.0, 1.0, so);
}

TEST_CASE("infogan: codes in, codes out") {
  const Images data = squares(64, 7);
  GanModel m(gan::Flavor::infogan,
             Json{{"ngf", 4}, {"ndf", 4}, {"latent", 6}, {"categorical", Json::array({3})}, {"continuous", 2}});
  m.fit(data.view(), options(2, 32));
  CHECK(m.latent_dim() == 6 + 5);
  CHECK(m.encode_dim() == 5);
  std::vector<float> e(64 * 5);
  m.encode(data.view(), EvalOptions{}, e.data());
  for (int64_t r = 0; r < 64; ++r) {
    const float sum = e[static_cast<std::size_t>(r * 5)] + e[static_cast<std::size_t>(r * 5 + 1)] +
                      e[static_cast<std::size_t>(r * 5 + 2)];
    CHECK(sum == doctest::Approx(1.0f).epsilon(1e-5));
  }
  std::vector<float> codes(2 * 11, 0.0f), out(2 * 64);
  codes[6] = 1.0f;       // row 0: category 0
  codes[11 + 8] = 1.0f;  // row 1: category 2
  DataView v;
  v.x = codes.data();
  v.n = 2;
  v.d = 11;
  m.decode(v, SampleOptions{}, out.data());
  CHECK(out != std::vector<float>(out.size(), out[0]));
}

TEST_CASE("dcgan: 32x32 three-channel images (three stride-2 stages from 4x4)") {
  Rows data{std::vector<float>(16 * 3 * 32 * 32), 16, 3 * 32 * 32, {3, 32, 32}};
  Rng rng(3, 0);
  for (float& v : data.x) v = rng.uniform_f();
  GanModel m(gan::Flavor::dcgan, Json{{"ngf", 2}, {"ndf", 2}, {"latent", 4}});
  m.fit(data.view(), options(1, 8));
  bool found = false;
  for (const TensorRef& t : m.tensors()) {
    if (t.name == "g.0.weight") CHECK(t.shape == std::vector<int64_t>{4, 8, 4, 4});  // 1x1 → 4x4, ngf·2²
    if (t.name == "g.3.weight") CHECK(t.shape == std::vector<int64_t>{2, 3, 4, 4});  // → 3x32x32
    if (t.name == "d.head.weight") {
      CHECK(t.shape == std::vector<int64_t>{1, 8 * 4 * 4});
      found = true;
    }
  }
  CHECK(found);
  const std::vector<float> s = sample_rows(m, 5, 1, 1);
  CHECK(s.size() == 5 * 3 * 32 * 32);
  CHECK(*std::min_element(s.begin(), s.end()) >= 0.0f);
  CHECK(*std::max_element(s.begin(), s.end()) <= 1.0f);
}
