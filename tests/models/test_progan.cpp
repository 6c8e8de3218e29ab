// progan: the growth schedule, the stage geometry, the fade-in inside G, the minibatch
// stddev's tangent and second-order term, both objectives' gradients and the gradient
// penalty's exact parameter gradient against central differences at every kind of phase,
// persistence with the growth state, sampling at a stage, refusals, and short fits.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "exact_helpers.hpp"
#include "gradient_check.hpp"
#include "models/model_file.hpp"
#include "models/progan/progan.hpp"
#include "models/progan/progan_nets.hpp"
#include "models/progan/progan_schedule.hpp"
#include "models/progan/progan_tangent.hpp"
#include "models/registry.hpp"
#include "nn/compute.hpp"
#include "nn/minibatch_std.hpp"
#include "nn/resample.hpp"

using namespace gm;
using namespace gm_test;
using progan::Phase;

namespace {

// n images C×S×S in [0, 1]: a bright square at a random place on a dark, noisy background.
Rows images(int64_t n, int64_t S, uint64_t seed, int64_t C = 1) {
  Rows r{{}, n, C * S * S, ImageShape{C, S, S}};
  Rng rng(seed, 0);
  const int64_t side = std::max<int64_t>(2, S / 3);
  for (int64_t b = 0; b < n; ++b) {
    const int64_t y0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(S - side + 1)));
    const int64_t x0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(S - side + 1)));
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < S; ++y)
        for (int64_t x = 0; x < S; ++x) {
          const bool on = y >= y0 && y < y0 + side && x >= x0 && x < x0 + side;
          r.x.push_back(on ? 0.8f + 0.2f * rng.uniform_f() : 0.2f * rng.uniform_f());
        }
  }
  return r;
}

FitOptions options(int64_t epochs, int64_t batch, uint64_t seed = 1) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.seed = seed;
  o.threads = 1;
  return o;
}

const Json kTiny{{"latent", 4}, {"fmap_base", 8}, {"fmap_max", 4}, {"fade_images", 64}, {"stable_images", 32}};

Phase at(int64_t stage, float alpha) {
  Phase p;
  p.stage = stage;
  p.alpha = alpha;
  return p;
}

}  // namespace

TEST_CASE("progan: the schedule's stage and alpha after n images") {
  // 3 stages, fade 100, stable 50: stage 0 on [0, 50); stage 1 fades on [50, 150), stable on
  // [150, 200); stage 2 fades on [200, 300), then stays.
  auto p = [](int64_t n) { return progan::phase_at(n, 3, 100, 50); };
  CHECK(p(0).stage == 0);
  CHECK(p(0).alpha == 1.0f);
  CHECK(p(49).stage == 0);
  CHECK(p(50).stage == 1);
  CHECK(p(50).alpha == 0.0f);
  CHECK(p(75).alpha == 0.25f);
  CHECK(p(149).alpha == 0.99f);
  CHECK(p(150).stage == 1);
  CHECK(p(150).alpha == 1.0f);
  CHECK(p(199).stage == 1);
  CHECK(p(200).stage == 2);
  CHECK(p(200).alpha == 0.0f);
  CHECK(p(250).alpha == 0.5f);
  CHECK(p(300).stage == 2);
  CHECK(p(300).alpha == 1.0f);
  CHECK(p(1000000).stage == 2);
  CHECK(p(1000000).alpha == 1.0f);
  CHECK_FALSE(p(1000000).fading());
  // One stage never fades.
  CHECK(progan::phase_at(500, 1, 100, 50).stage == 0);
  CHECK(progan::phase_at(500, 1, 100, 50).alpha == 1.0f);
}

TEST_CASE("progan: stages of 28x28, 32x32, 64x64 and 8x8 images, and the planned tensors") {
  ProGanModel m(kTiny);
  for (const auto& [S, base, stages] :
       {std::tuple{28, 7, 3}, std::tuple{32, 4, 4}, std::tuple{64, 4, 5}, std::tuple{8, 4, 2}, std::tuple{6, 6, 1}}) {
    CAPTURE(S);
    const DataShape shape{3 * S * S, ImageShape{3, S, S}};
    progan::Nets nets(m.settings(), shape, Status::invalid_data);
    CHECK(nets.geo.base == base);
    CHECK(nets.geo.stages == stages);
    CHECK(nets.geo.side(stages - 1) == S);
    CHECK(static_cast<int64_t>(nets.g_blocks.size()) == stages);
    CHECK(nets.d_last.out_size() == 1);
    CHECK(nets.to_rgb.back().out_size() == 3 * S * S);
    CHECK(progan::planned_tensors(m.settings(), shape).size() == static_cast<std::size_t>(nets.store.count()));
  }
  // Widths: min(fmap_base >> k, fmap_max), at least 1.
  progan::Config c;
  CHECK(c.width(0) == 64);
  CHECK(c.width(1) == 64);
  CHECK(c.width(2) == 32);
  CHECK(c.width(4) == 8);
  CHECK(c.width(20) == 1);
}

TEST_CASE("progan: inside G, the fade-in is exactly alpha * new + (1 - alpha) * upsampled old") {
  const Rows data = images(8, 16, 3);
  ProGanModel m(kTiny);
  m.fit(data.view(), options(1, 8));
  nn::ComputeScope one_thread(1);
  const int64_t n = 3, Z = 4;
  std::vector<float> z(static_cast<std::size_t>(n * Z));
  Rng rng(5, 0);
  for (float& v : z) v = static_cast<float>(rng.normal());
  for (int64_t s = 1; s <= 2; ++s) {
    CAPTURE(s);
    const int64_t lo = 4 << (s - 1);
    const std::vector<float> fresh = m.generate(z.data(), n, at(s, 1.0f));    // to_rgb_s(h_s)
    const std::vector<float> old = m.generate(z.data(), n, at(s - 1, 1.0f));  // to_rgb_{s-1}(h_{s-1})
    std::vector<float> up(fresh.size());
    nn::upsample_nearest2x_forward(old.data(), up.data(), n, 1, lo, lo);
    for (const float alpha : {0.0f, 0.3f, 0.75f}) {
      CAPTURE(alpha);
      const std::vector<float> blended = m.generate(z.data(), n, at(s, alpha));
      std::vector<float> want(fresh.size());
      for (std::size_t i = 0; i < want.size(); ++i) want[i] = alpha * fresh[i] + (1.0f - alpha) * up[i];
      CHECK(blended == want);
    }
    CHECK(fresh != up);  // the two paths differ, so the check above says something
  }
}

TEST_CASE("progan: the minibatch stddev's tangent and second-order term against central differences") {
  // B = 6 in groups of 4: M = 2 groups {0, 2, 4} and {1, 3, 5}; C = 3, S = 2.
  const int64_t B = 6, C = 3, S = 2, N = C * S, G = 4;
  Rng rng(9, 0);
  std::vector<double> x(B * N), t(B * N), gt(B * (N + S));
  for (double& v : x) v = rng.normal();
  for (double& v : t) v = rng.normal();
  for (double& v : gt) v = rng.normal();
  auto f32 = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  const std::vector<float> xf = f32(x), tf = f32(t), gf = f32(gt);
  // Tangent: mbstd(x + h t) − mbstd(x − h t) over 2h.
  std::vector<float> tan(B * (N + S)), up(B * (N + S)), down(B * (N + S));
  progan::mbstd_tangent_forward(xf.data(), tf.data(), tan.data(), B, C, S, G);
  const float h = 1e-2f;
  std::vector<float> xp(xf), xm(xf);
  for (int64_t i = 0; i < B * N; ++i) {
    xp[i] += h * tf[i];
    xm[i] -= h * tf[i];
  }
  nn::minibatch_std_forward(xp.data(), up.data(), B, C, S, G);
  nn::minibatch_std_forward(xm.data(), down.data(), B, C, S, G);
  for (int64_t i = 0; i < B * (N + S); ++i) CHECK(tan[i] == doctest::Approx((up[i] - down[i]) / (2 * h)).epsilon(2e-3));
  // Second order: the gradient in x of φ(x) = ⟨gt, tangent(x; t)⟩.
  std::vector<float> dx(B * N);
  progan::mbstd_second_order(xf.data(), tf.data(), gf.data(), dx.data(), B, C, S, G);
  auto phi = [&](const std::vector<float>& at_x) {
    std::vector<float> out(B * (N + S));
    progan::mbstd_tangent_forward(at_x.data(), tf.data(), out.data(), B, C, S, G);
    double s = 0;
    for (int64_t i = 0; i < B * (N + S); ++i) s += static_cast<double>(gf[i]) * out[i];
    return s;
  };
  double scale = 0;
  for (float v : dx) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  CHECK(scale > 1e-2);
  for (int64_t i = 0; i < B * N; ++i) {
    std::vector<float> a(xf), b(xf);
    a[i] += h;
    b[i] -= h;
    CHECK(dx[i] == doctest::Approx((phi(a) - phi(b)) / (2 * h)).epsilon(1e-2).scale(scale));
  }
}

TEST_CASE("progan: both objectives' gradients match central differences at every kind of phase") {
  const Rows data8 = images(10, 8, 5);
  const Rows data16 = images(6, 16, 6);
  nn::ComputeScope one_thread(1);  // the hooks run outside a verb's scope
  struct Case {
    const Rows* data;
    Phase phase;
    const char* what;
  };
  for (const Case& c : {Case{&data8, at(0, 1.0f), "8x8, stage 0"}, Case{&data8, at(1, 0.35f), "8x8, stage 1 fading"},
                        Case{&data8, at(1, 1.0f), "8x8, stage 1 stable"},
                        Case{&data16, at(2, 0.6f), "16x16, stage 2 fading: two blocks below the fade"}}) {
    INFO(std::string(c.what));
    ProGanModel m(kTiny);
    m.fit(c.data->view(), options(1, c.data->n));  // one step: parameters away from their initial values
    const DataView v = c.data->view();
    {
      INFO("L_D, penalty and drift included");
      require_good(check_gradient(
          m.discriminator_span(), [&](bool b) { return m.discriminator_objective(v, c.phase, 42, b); }, 150));
    }
    {
      INFO("lambda L_gp alone: the tangent pass, the minibatch stddev's second-order term included");
      require_good(check_gradient(
          m.discriminator_span(), [&](bool b) { return m.gradient_penalty(v, c.phase, 42, b); }, 200));
    }
    INFO("L_G");
    require_good(check_gradient(
        m.generator_span(), [&](bool b) { return m.generator_objective(v, c.phase, 42, b); }, 150));
  }
}

TEST_CASE("progan: fit follows the schedule; save and load keep the weights of every stage and the growth state") {
  const Rows data = images(48, 8, 7);
  ProGanModel m(kTiny);  // stable 32, fade 64
  m.fit(data.view(), options(1, 16));
  CHECK(m.images_seen() == 48);
  CHECK(m.phase().stage == 1);
  CHECK(m.phase().alpha == 0.25f);  // (48 − 32) / 64
  FitOptions more = options(1, 16);
  more.warm_start = true;
  m.fit(data.view(), more);
  CHECK(m.images_seen() == 96);
  CHECK(m.phase().alpha == 1.0f);  // (96 − 32) / 64
  CHECK(m.phase().stage == 1);

  const std::vector<uint8_t> bytes = save_model_bytes(m);
  auto back = load_model_bytes(bytes.data(), bytes.size());
  CHECK(save_model_bytes(*back) == bytes);
  auto& loaded = dynamic_cast<ProGanModel&>(*back);
  CHECK(loaded.images_seen() == 96);
  std::vector<float> a(5 * 64), b(5 * 64);
  for (const int64_t stage : {0, 1, 2}) {
    SampleOptions so;
    so.seed = 4;
    so.stage = stage;
    m.sample(5, so, a.data());
    back->sample(5, so, b.data());
    CHECK(a == b);
  }
}

TEST_CASE("progan: a mid-fade checkpoint resumes at the same stage and alpha, and the resumed fit equals the whole") {
  // stable 32, fade 64, 48 rows in batches of 16: the checkpoint after epoch 1 (48 images) is
  // in stage 1's fade at alpha 0.25, between two batches of the fade.
  const Rows data = images(48, 8, 8);
  auto whole = create_model("progan", kTiny);
  whole->fit(data.view(), options(4, 16));
  const std::string ckpt = "progan_mid_fade.ckpt";
  std::remove(ckpt.c_str());
  FitOptions killed = options(4, 16);
  killed.checkpoint_every = 1;
  killed.checkpoint_path = ckpt;
  killed.epoch_report = [](const nn::EpochReport& r) { return r.epoch == 1; };  // after epoch 1's checkpoint
  auto m = create_model("progan", kTiny);
  CHECK(status_of([&] { m->fit(data.view(), killed); }) == Status::cancelled);
  auto resumed = load_model_file(ckpt);
  auto& pg = dynamic_cast<ProGanModel&>(*resumed);
  REQUIRE(resumed->training_state() != nullptr);
  CHECK(resumed->training_state()->epochs_done == 1);
  CHECK(pg.images_seen() == 48);
  CHECK(pg.phase().stage == 1);
  CHECK(pg.phase().alpha == 0.25f);
  FitOptions rest = options(3, 16);
  rest.warm_start = true;
  resumed->fit(data.view(), rest);
  CHECK(pg.images_seen() == 192);
  CHECK(save_model_bytes(*resumed) == save_model_bytes(*whole));
  std::remove(ckpt.c_str());
}

TEST_CASE("progan: sample at each stage reached: finite, in [0, 1], the data's size, blockwise at lower stages") {
  const Rows data = images(32, 16, 9);
  // stable 32, fade 32: 3 stages reached after 32 + 64 + 32 = 128 images (4 epochs of 32).
  ProGanModel m(Json{{"latent", 8}, {"fmap_base", 16}, {"fmap_max", 8}, {"fade_images", 32}, {"stable_images", 32}});
  m.fit(data.view(), options(5, 8));
  CHECK(m.phase().stage == 2);
  CHECK(m.phase().alpha == 1.0f);
  const int64_t n = 4, D = 256;
  for (const int64_t stage : {1, 2, 3, 0}) {
    CAPTURE(stage);
    SampleOptions so;
    so.seed = 2;
    so.stage = stage;
    std::vector<float> out(n * D, -1.0f);
    m.sample(n, so, out.data());
    for (float v : out) CHECK((std::isfinite(v) && v >= 0.0f && v <= 1.0f));
    const int64_t block = stage == 0 ? 1 : 16 / (4 << (stage - 1));  // pixels per stage pixel
    int64_t off_block = 0;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < 16; ++i)
        for (int64_t j = 0; j < 16; ++j)
          off_block += out[r * D + i * 16 + j] != out[r * D + (i / block * block) * 16 + (j / block * block)];
    CHECK(off_block == 0);
    double spread = 0;  // not a constant image
    for (int64_t i = 1; i < D; ++i) spread += std::fabs(out[i] - out[0]);
    CHECK(spread > 0);
  }
  // Decode: the same generator at given latents.
  std::vector<float> codes(2 * 8, 0.5f), dec(2 * D);
  DataView cv;
  cv.x = codes.data();
  cv.n = 2;
  cv.d = 8;
  m.decode(cv, SampleOptions{}, dec.data());
  for (float v : dec) CHECK(std::isfinite(v));
  // No truncation: G normalises z, so truncating it would draw no nearer a mode (docs/gan.md).
  SampleOptions truncated;
  truncated.truncation = 1.0;
  std::vector<float> out(n * D);
  CHECK(status_of([&] { m.sample(n, truncated, out.data()); }) == Status::invalid_argument);
  CHECK(message_of([&] { m.sample(n, truncated, out.data()); }).find("progan normalises its z") != std::string::npos);
}

TEST_CASE("progan: refusals say what to fix") {
  auto message = [](const Rows& rows, const Json& cfg = kTiny) {
    ProGanModel m(cfg);
    try {
      m.fit(rows.view(), options(1, 8));
    } catch (const Error& e) {
      CHECK(e.status() == Status::invalid_data);
      return std::string(e.what());
    }
    return std::string("fitted");
  };
  Rows r = images(8, 8, 1);
  r.image = ImageShape{1, 4, 16};
  CHECK(message(r).find("4x16") != std::string::npos);
  r.image = ImageShape{};
  CHECK(message(r).find("plain vectors") != std::string::npos);
  const Rows tiny = images(8, 3, 1);
  CHECK(message(tiny).find("side at least 4") != std::string::npos);
  Rows bright = images(8, 8, 1);
  bright.x[7] = 1.5f;
  CHECK(message(bright).find("[0, 1]") != std::string::npos);
  for (const Json& bad : {Json{{"fade_images", 0}}, Json{{"fmap_max", 0}}, Json{{"latent", 0}}, Json{{"unknown", 1}},
                          Json{{"lambda_gp", -1}}})
    CHECK(status_of([&] { create_model("progan", bad); }) == Status::invalid_config);

  // Sampling at a stage not reached, or that does not exist.
  const Rows data = images(16, 8, 2);
  ProGanModel m(kTiny);
  m.fit(data.view(), options(1, 16));  // 16 images: stage 0 (1 of 2)
  std::vector<float> out(64);
  SampleOptions so;
  so.stage = 2;
  try {
    m.sample(1, so, out.data());
    FAIL("sampled at a stage not trained");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid_argument);
    CHECK(std::string(e.what()).find("not trained yet") != std::string::npos);
  }
  so.stage = 3;
  CHECK(status_of([&] { m.sample(1, so, out.data()); }) == Status::invalid_argument);
  so.stage = -1;
  CHECK(status_of([&] { m.sample(1, so, out.data()); }) == Status::invalid_argument);
  // A kind without stages refuses the option.
  auto dcgan = create_model("dcgan", Json{{"ngf", 4}, {"ndf", 4}, {"latent", 8}});
  Rows binary = images(16, 8, 3);
  dcgan->fit(binary.view(), options(1, 16));
  so.stage = 1;
  try {
    dcgan->sample(1, so, out.data());
    FAIL("dcgan sampled at a stage");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid_argument);
    CHECK(std::string(e.what()).find("grow in stages") != std::string::npos);
  }
  // The verbs it lacks say why.
  try {
    m.log_prob(data.view(), EvalOptions{}, nullptr);
    FAIL("log_prob worked");
  } catch (const Error& e) {
    CHECK(e.status() == Status::unsupported);
    CHECK(std::string(e.what()).find("implicit model") != std::string::npos);
  }
  CHECK(status_of([&] { m.encode(data.view(), EvalOptions{}, out.data()); }) == Status::unsupported);
  TranslateOptions to;
  to.domain = 0;
  CHECK(status_of([&] { m.translate(data.view(), to, out.data()); }) == Status::unsupported);
}

TEST_CASE("progan: a short fit at 28x28 and 32x32 colour grows through every stage") {
  for (const auto& [S, C] : {std::pair{28, 1}, std::pair{32, 3}}) {
    CAPTURE(S);
    const Rows data = images(16, S, 10, C);
    ProGanModel m(Json{{"latent", 8}, {"fmap_base", 16}, {"fmap_max", 8}, {"fade_images", 16}, {"stable_images", 16}});
    const int64_t stages = S == 28 ? 3 : 4;
    m.fit(data.view(), options(2 * stages, 8));  // 16 + (stages − 1)·32 images reach the last stage
    CHECK(m.stages() == stages);
    CHECK(m.phase().stage == stages - 1);
    std::vector<float> out(static_cast<std::size_t>(3 * C * S * S));
    for (int64_t k = 1; k <= stages; ++k) {
      SampleOptions so;
      so.stage = k;
      m.sample(3, so, out.data());
      for (float v : out) CHECK((std::isfinite(v) && v >= 0.0f && v <= 1.0f));
    }
    CHECK(std::isfinite(m.last_d_loss()));
    CHECK(std::isfinite(m.last_g_loss()));
  }
}

TEST_CASE("progan: gp_every k puts the penalty, weighted lambda * k, on global steps 1, 1 + k, ... only") {
  // One batch an epoch, so an epoch is one step. gp_every 3, λ 10: step 1 has the penalty at
  // λ 30, steps 2 and 3 none, step 4 again λ 30.
  const Rows data = images(16, 8, 11);
  auto draw = [](const GenerativeModel& m) {
    std::vector<float> out(4 * 64);
    SampleOptions so;
    so.seed = 3;
    m.sample(4, so, out.data());
    return out;
  };
  auto with = [](Json extra) {
    Json c = kTiny;
    for (auto& [k, v] : extra.items()) c[k] = v;
    return c;
  };
  // Step 1: the same as λ·k at every step.
  ProGanModel lazy(with(Json{{"gp_every", 3}}));
  ProGanModel heavy(with(Json{{"lambda_gp", 30.0}}));
  ProGanModel none(with(Json{{"lambda_gp", 0.0}}));
  lazy.fit(data.view(), options(1, 16));
  heavy.fit(data.view(), options(1, 16));
  none.fit(data.view(), options(1, 16));
  CHECK(draw(lazy) == draw(heavy));
  CHECK(draw(lazy) != draw(none));  // the penalty did act at step 1
  // Steps 1–4 in one fit equal 1 + 3 in two fits (warm start): the rhythm follows the
  // global step, not the fit's own.
  ProGanModel whole(with(Json{{"gp_every", 3}}));
  whole.fit(data.view(), options(4, 16));
  FitOptions more = options(3, 16);
  more.warm_start = true;
  lazy.fit(data.view(), more);
  CHECK(draw(lazy) == draw(whole));
  // (Had the second fit counted its steps from 1 again, its first step would carry the
  // penalty and differ from whole's step 2.) A penalty at every step differs.
  ProGanModel every(with(Json{{"lambda_gp", 30.0}}));
  every.fit(data.view(), options(4, 16));
  CHECK(draw(every) != draw(whole));
  for (const int64_t k : {0, -1, 1025})
    CHECK(status_of([&] { create_model("progan", with(Json{{"gp_every", k}})); }) == Status::invalid_config);
}
