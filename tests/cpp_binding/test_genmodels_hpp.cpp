// Tests of genmodels.hpp, the header-only C++ binding: RAII, exceptions per status, views,
// progress and cancellation, files, concurrent const calls on one model, and (issue 13) epoch
// reports, warm start and checkpoints.
#include <doctest/doctest.h>

#include <genmodels/genmodels.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace gm = genmodels;

namespace {

std::string tmp_path(const std::string& name) { return std::string(GM_TEST_TMPDIR) + "/" + name; }

// All 512 binary 3x3 inputs, row k holding the bits of k.
std::vector<float> all_binary9() {
  std::vector<float> x(512 * 9);
  for (int k = 0; k < 512; ++k)
    for (int j = 0; j < 9; ++j) x[static_cast<size_t>(k * 9 + j)] = static_cast<float>((k >> j) & 1);
  return x;
}

gm::Model fitted(const std::string& kind, const std::string& config = "") {
  gm::Dataset bars("builtin:bars-and-stripes:3");
  gm::Model m(kind, config);
  gm::FitOptions o;
  o.seed = 3;
  m.fit(bars.rows(), o);
  return m;
}

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace

TEST_CASE("handles are move-only RAII types") {
  static_assert(!std::is_copy_constructible<gm::Model>::value, "Model is move-only");
  static_assert(std::is_nothrow_move_constructible<gm::Model>::value, "Model moves");
  static_assert(!std::is_copy_constructible<gm::Dataset>::value, "Dataset is move-only");
  static_assert(std::is_base_of<std::runtime_error, gm::Error>::value, "Error is a runtime_error");
  gm::Model a("bernoulli");
  gm::Model b = std::move(a);
  CHECK(a.get() == nullptr);  // NOLINT(bugprone-use-after-move): moved-from handles are empty
  CHECK(b.kind() == "bernoulli");
  CHECK(a.kind().empty());
  CHECK_THROWS_AS(a.capabilities(), gm::InvalidArgument);  // a NULL handle
}

TEST_CASE("library queries") {
  CHECK_NOTHROW(gm::check_abi());
  CHECK(gm::abi_version() == GM_ABI_VERSION);
  CHECK(gm::version().size() >= 5);
  CHECK(gm::build_info().front() == '{');
  CHECK(gm::kinds_json().find("\"bernoulli\"") != std::string::npos);
  CHECK((gm::kind_capabilities("markov") & GM_CAP_COMPLETE) != 0);
  static_assert(std::is_same<gm::EvalOptions, gm::ScoreOptions>::value, "the old name is an alias");
}

TEST_CASE("condition: none, label classes, vector width") {
  CHECK(gm::Model("bernoulli").condition().kind == GM_CONDITION_NONE);
  const gm::Condition label = gm::Model("cgan", R"({"classes": 7})").condition();
  CHECK(label.kind == GM_CONDITION_LABEL);
  CHECK(label.dim == 7);
  const gm::Condition vec = gm::Model("cgan", R"({"condition": "vector", "condition_dim": 3})").condition();
  CHECK(vec.kind == GM_CONDITION_VECTOR);
  CHECK(vec.dim == 3);
  CHECK(gm::Model("cgan", R"({"condition": "text"})").condition().kind == GM_CONDITION_TEXT);
}

TEST_CASE("fit, sample, log_prob, complete on bars and stripes") {
  for (const char* kind : {"bernoulli", "markov"}) {
    CAPTURE(kind);
    gm::Model m = fitted(kind);
    CHECK(m.is_fitted());
    CHECK(m.has(GM_CAP_LOG_PROB | GM_CAP_SAMPLE));
    CHECK(m.config_json().front() == '{');
    const gm::DataShape s = m.data_shape();
    CHECK(s.d == 9);
    CHECK(s.height == 3);

    const std::vector<float> x = all_binary9();
    const std::vector<double> lp = m.log_prob(gm::Rows(x, 9));
    REQUIRE(lp.size() == 512);
    double total = 0;
    for (double v : lp) total += std::exp(v);
    CHECK(total == doctest::Approx(1.0).epsilon(1e-9));

    gm::SampleOptions so;
    so.seed = 7;
    const std::vector<float> a = m.sample(100, so), b = m.sample(100, so);
    CHECK(a.size() == 900);
    CHECK(a == b);
    bool binary = true;
    for (float v : a) binary = binary && (v == 0.0f || v == 1.0f);
    CHECK(binary);

    std::vector<float> into(900);
    m.sample(100, into, so);  // into a caller buffer
    CHECK(into == a);
    std::vector<float> small(899);
    CHECK_THROWS_AS(m.sample(100, small, so), gm::BufferTooSmall);

    const float nan = std::nanf("");
    const std::vector<float> partial = {1, 1, 1, nan, nan, nan, nan, nan, nan};
    const std::vector<uint8_t> mask = {1, 1, 1, 0, 0, 0, 0, 0, 0};
    const std::vector<float> filled = m.complete(gm::Rows(partial, 9), mask);
    REQUIRE(filled.size() == 9);
    CHECK(filled[0] == 1.0f);
    for (float v : filled) CHECK((v == 0.0f || v == 1.0f));
  }
}

TEST_CASE("encode and decode map the closed-form kinds' GM_UNSUPPORTED") {
  gm::Model m = fitted("bernoulli");
  const std::vector<float> x(9, 0.0f);
  CHECK_THROWS_AS(m.encode(gm::Rows(x, 9)), gm::Unsupported);
  CHECK_THROWS_AS(m.decode(gm::Rows(x, 9)), gm::Unsupported);
  CHECK_THROWS_AS(m.encode_dim(), gm::Unsupported);
  std::vector<float> out(64);
  CHECK_THROWS_AS(m.encode(gm::Rows(x, 9), out), gm::Unsupported);
  try {
    m.encode(gm::Rows(x, 9));
  } catch (const gm::Error& e) {
    CHECK(e.status() == GM_UNSUPPORTED);
    CHECK(std::string(e.status_name()) == "GM_UNSUPPORTED");
    CHECK(std::string(e.what()).find("encode") != std::string::npos);
  }
}

TEST_CASE("translate maps a kind without translate to Unsupported, naming the verb") {
  gm::Model m = fitted("bernoulli");
  CHECK_FALSE(m.has(GM_CAP_TRANSLATE));
  const std::vector<float> x(9, 0.0f);
  gm::TranslateOptions by_name;
  by_name.domain_name = "b";
  CHECK(by_name.c().domain_name == by_name.domain_name.c_str());
  CHECK(gm::TranslateOptions{}.c().domain == -1);  // not given
  CHECK(message_of<gm::Unsupported>([&] { m.translate(gm::Rows(x, 9), by_name); }).find("translate") !=
        std::string::npos);
  CHECK_THROWS_AS(m.domains_json(), gm::Unsupported);
}

TEST_CASE("every status is its own exception class with the library's message") {
  CHECK(message_of<gm::UnknownKind>([] { gm::Model("markow"); }).find("markow") != std::string::npos);
  CHECK_THROWS_AS(gm::Model("markov", "{\"ordr\": 2}"), gm::InvalidConfig);
  CHECK_THROWS_AS(gm::Model("markov", "{order"), gm::InvalidConfig);
  CHECK_THROWS_AS(gm::Model("bernoulli").sample(1), gm::NotFitted);
  gm::Model m = fitted("markov", "{\"order\": 2}");
  const std::vector<float> eight(16, 0.0f);
  CHECK_THROWS_AS(m.log_prob(gm::Rows(eight, 8)), gm::InvalidData);  // wrong width
  const std::vector<float> half(9, 0.5f);
  CHECK_THROWS_AS(m.log_prob(gm::Rows(half, 9)), gm::InvalidData);  // not binary
  CHECK_THROWS_AS(gm::Rows(eight, 9), gm::InvalidArgument);         // not whole rows
  gm::ScoreOptions bad;
  bad.threads = -1;
  CHECK_THROWS_AS(m.log_prob(gm::Rows(eight, 8), bad), gm::InvalidArgument);
  CHECK_THROWS_AS(gm::Model::load(tmp_path("no-such-file.safetensors")), gm::IoError);
  std::vector<uint8_t> bytes = m.to_bytes();
  bytes.resize(bytes.size() / 2);
  CHECK_THROWS_AS(gm::Model::from_bytes(bytes), gm::CorruptFile);
  CHECK_THROWS_AS(gm::Dataset("nonsense:spec"), gm::InvalidArgument);
  // Statuses appended after this header still arrive as gm::Error.
  CHECK_THROWS_AS(gm::throw_status(1000, "future"), gm::Error);
  CHECK_THROWS_AS(gm::throw_status(GM_DIVERGED, "x"), gm::Diverged);
  CHECK_THROWS_AS(gm::throw_status(GM_OUT_OF_MEMORY, "x"), gm::OutOfMemory);
  CHECK_THROWS_AS(gm::throw_status(GM_VERSION_MISMATCH, "x"), gm::VersionMismatch);
  CHECK_THROWS_AS(gm::throw_status(GM_INTERNAL, "x"), gm::Internal);
}

TEST_CASE("progress: called once for closed forms; returning true or throwing cancels") {
  gm::Dataset bars("builtin:bars-and-stripes:3");
  gm::Model m("markov");
  std::vector<std::vector<double>> calls;
  gm::FitOptions o;
  o.progress = [&](int64_t step, int64_t total, double loss) {
    calls.push_back({static_cast<double>(step), static_cast<double>(total), loss});
    return false;
  };
  m.fit(bars.rows(), o);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0][0] == 1.0);
  CHECK(calls[0][1] == 1.0);

  gm::Model fresh("markov");
  o.progress = [](int64_t, int64_t, double) { return true; };
  CHECK_THROWS_AS(fresh.fit(bars.rows(), o), gm::Cancelled);
  CHECK_FALSE(fresh.is_fitted());

  struct Stop {};
  o.progress = [](int64_t, int64_t, double) -> bool { throw Stop{}; };
  CHECK_THROWS_AS(fresh.fit(bars.rows(), o), Stop);
  CHECK_FALSE(fresh.is_fitted());
}

TEST_CASE("save and load give identical results (file and bytes)") {
  gm::Model m = fitted("markov", "{\"order\": 2, \"alpha\": 0.5}");
  const std::vector<float> x = all_binary9();
  const std::vector<double> lp = m.log_prob(gm::Rows(x, 9));
  const std::string path = tmp_path("cpp_binding.safetensors");
  m.save(path);
  const gm::Model from_file = gm::Model::load(path);
  const gm::Model from_bytes = gm::Model::from_bytes(m.to_bytes());
  for (const gm::Model* other : {&from_file, &from_bytes}) {
    CHECK(other->kind() == "markov");
    CHECK(other->config_json() == m.config_json());
    CHECK(other->log_prob(gm::Rows(x, 9)) == lp);
    CHECK(other->sample(50) == m.sample(50));
    CHECK(other->to_bytes() == m.to_bytes());
  }
  std::remove(path.c_str());
}

TEST_CASE("8 threads calling log_prob and sample on one model agree with one thread") {
  const gm::Model m = fitted("markov", "{\"order\": 3}");
  const std::vector<float> x = all_binary9();
  gm::SampleOptions so;
  so.seed = 42;
  const std::vector<double> lp = m.log_prob(gm::Rows(x, 9));
  const std::vector<float> s = m.sample(200, so);
  std::vector<int> same(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      bool ok = true;
      for (int rep = 0; rep < 20; ++rep) ok = ok && m.log_prob(gm::Rows(x, 9)) == lp && m.sample(200, so) == s;
      same[static_cast<size_t>(t)] = ok ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  for (int v : same) CHECK(v == 1);
}

TEST_CASE("text_features: one sentence, many, and the error of a zero width") {
  const std::vector<float> v = gm::text_features("a pair of trousers", 64);
  REQUIRE(v.size() == 64);
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  CHECK(norm == doctest::Approx(1.0));
  const std::vector<float> rows = gm::text_features(std::vector<std::string>{"a bag", "a pair of trousers"}, 64);
  REQUIRE(rows.size() == 128);
  CHECK(std::vector<float>(rows.begin() + 64, rows.end()) == v);
  std::vector<float> buf(8);
  gm::text_features("", buf);
  CHECK(buf == std::vector<float>(8, 0.0f));
  CHECK_THROWS_AS(gm::text_features("x", 0), gm::InvalidArgument);
}

TEST_CASE("text_features: versioned, and the model's own (an unfitted model has no width yet)") {
  CHECK(gm::text_features("a pair of trousers", "words-v1", 64) == gm::text_features("a pair of trousers", 64));
  const std::vector<float> a = gm::text_features("sneakers", "subword-v2", 1024),
                           b = gm::text_features("sneaker", "subword-v2", 1024);
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  CHECK(dot == doctest::Approx(0.73367).epsilon(1e-4));
  CHECK_THROWS_AS(gm::text_features("x", "subword", 64), gm::InvalidArgument);
  const gm::Model m("cgan", R"({"condition": "text"})");
  CHECK_THROWS_AS(gm::text_features(m, "a bag"), gm::NotFitted);
}

// ------------------------------------------------------------------ issue 13: epochs, warm start, checkpoints

namespace {

gm::FitOptions nade_options(int64_t epochs) {
  gm::FitOptions o;
  o.epochs = epochs, o.batch_size = 10, o.seed = 7, o.threads = 1;
  return o;
}

}  // namespace

TEST_CASE("on_epoch: nade reports epochs 1, 2, 3; true or throwing cancels") {
  gm::Dataset bars("builtin:bars-and-stripes:4");  // 30 rows of 16 pixels
  gm::Model m("nade", "{\"hidden\": 8}");
  std::vector<gm::EpochReport> reports;
  gm::FitOptions o = nade_options(3);
  o.on_epoch = [&](const gm::EpochReport& r) {
    reports.push_back(r);
    return false;
  };
  m.fit(bars.rows(), o);
  REQUIRE(reports.size() == 3);
  for (size_t i = 0; i < reports.size(); ++i) {
    CHECK(reports[i].epoch == static_cast<int64_t>(i) + 1);
    CHECK(reports[i].last_epoch == 3);
    CHECK(std::isfinite(reports[i].train_loss));
    CHECK(reports[i].train_loss > 0);
    CHECK(std::isnan(reports[i].validation_loss));
    CHECK_FALSE(reports[i].stopping);
  }
  const gm::TrainingProgress p = m.training_progress();
  CHECK(p.epochs_done == 3);
  CHECK(p.epochs_planned == 3);

  gm::Model fresh("nade", "{\"hidden\": 8}");
  o = nade_options(5);
  o.on_epoch = [](const gm::EpochReport& r) { return r.epoch >= 2; };
  CHECK_THROWS_AS(fresh.fit(bars.rows(), o), gm::Cancelled);
  struct Stop {};
  o.on_epoch = [](const gm::EpochReport&) -> bool { throw Stop{}; };
  CHECK_THROWS_AS(gm::Model("nade", "{\"hidden\": 8}").fit(bars.rows(), o), Stop);

  std::vector<int64_t> once;  // closed-form kinds report once
  o.on_epoch = [&](const gm::EpochReport& r) {
    once.push_back(r.epoch);
    return false;
  };
  gm::Model("markov").fit(bars.rows(), o);
  CHECK(once == std::vector<int64_t>{1});
}

TEST_CASE("warm_start: 1 + 1 nade epochs equal 2; checkpoints resume") {
  gm::Dataset bars("builtin:bars-and-stripes:4");
  gm::Model two("nade", "{\"hidden\": 8}");
  two.fit(bars.rows(), nade_options(2));
  gm::Model m("nade", "{\"hidden\": 8}");
  m.fit(bars.rows(), nade_options(1));
  gm::FitOptions more = nade_options(1);
  more.warm_start = true;
  m.fit(bars.rows(), more);
  CHECK(m.log_prob(bars.rows()) == two.log_prob(bars.rows()));
  CHECK(m.training_progress().epochs_done == 2);

  const std::string path = tmp_path("cpp_binding_nade.ckpt");
  gm::FitOptions every = nade_options(1);
  every.checkpoint_every = 1, every.checkpoint_path = path;
  gm::Model first("nade", "{\"hidden\": 8}");
  first.fit(bars.rows(), every);
  gm::Model resumed = gm::Model::load(path);
  CHECK(resumed.training_progress().epochs_done == 1);
  resumed.fit(bars.rows(), more);
  CHECK(resumed.log_prob(bars.rows()) == two.log_prob(bars.rows()));
  two.save_checkpoint(path);
  CHECK(gm::Model::load(path).training_progress().epochs_done == 2);
  std::remove(path.c_str());

  CHECK_THROWS_AS(gm::Model("nade", "{\"hidden\": 8}").save_checkpoint(path), gm::NotFitted);
  CHECK_THROWS_AS(fitted("markov").save_checkpoint(path), gm::Unsupported);
}

TEST_CASE("M-level pixels: Dataset levels, Rows::with_levels, Model::levels") {
  gm::DatasetOptions o;
  o.levels = 4;
  gm::Dataset bars("builtin:bars-and-stripes:3", o);
  const gm::Rows rows = bars.rows();
  CHECK(rows.levels == 4);
  gm::Model m("categorical", "{}");
  CHECK(m.levels() == 2);
  m.fit(rows);
  CHECK(m.levels() == 4);
  std::vector<float> all(256 * 4);
  for (int k = 0; k < 256; ++k)
    for (int j = 0; j < 4; ++j) all[static_cast<std::size_t>(k * 4 + j)] = static_cast<float>((k >> (2 * j)) & 3);
  gm::Model small("categorical", "{\"alpha\": 0.5}");
  small.fit(gm::Rows(all.data(), 256, 4).with_levels(4));
  double total = 0;
  for (double lp : small.log_prob(gm::Rows(all.data(), 256, 4).with_levels(4))) total += std::exp(lp);
  CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
  CHECK_THROWS_AS(small.log_prob(gm::Rows(all.data(), 256, 4).with_levels(5)), gm::InvalidData);
  CHECK_THROWS_AS(gm::Model("bernoulli", "{}").fit(rows), gm::InvalidData);
}

TEST_CASE("complete_from_parts: puzzlegan images from two patches each; the caller's errors") {
  // 12 grey 8x8 images: a bright 3x3 square on a dark background, placed by the row number.
  constexpr int n = 12, s = 8, p = 4, k = 2;
  std::vector<float> x(static_cast<size_t>(n * s * s), 0.1f);
  for (int r = 0; r < n; ++r)
    for (int i = r % 5; i < r % 5 + 3; ++i)
      for (int j = (r * 3) % 5; j < (r * 3) % 5 + 3; ++j) x[static_cast<size_t>(r * s * s + i * s + j)] = 0.9f;
  gm::Model m("puzzlegan", R"({"parts": 2, "patch_size": 4, "nef": 2, "ngf": 2, "ndf": 2, "noise": 2})");
  gm::FitOptions fo;
  fo.epochs = 1, fo.batch_size = 6, fo.threads = 1, fo.seed = 3;
  m.fit(gm::Rows(x, s * s).image(1, s, s), fo);
  CHECK(m.has(GM_CAP_COMPLETE_FROM_PARTS));

  // Images 0..2, patches at (0, 0) and (4, 3).
  constexpr int images = 3;
  std::vector<float> patches;
  std::vector<int64_t> positions;
  for (int r = 0; r < images; ++r)
    for (const auto& at : {std::pair<int, int>{0, 0}, {4, 3}}) {
      positions.push_back(at.first), positions.push_back(at.second);
      for (int i = 0; i < p; ++i)
        for (int j = 0; j < p; ++j)
          patches.push_back(x[static_cast<size_t>(r * s * s + (at.first + i) * s + at.second + j)]);
    }
  gm::SampleOptions so;
  so.seed = 5;
  const gm::Rows parts = gm::Rows(patches, p * p).image(1, p, p);
  const std::vector<float> out = m.complete_from_parts(parts, positions, k, so);
  REQUIRE(out.size() == static_cast<size_t>(images * s * s));
  bool in_unit = true;
  for (float v : out) in_unit = in_unit && v >= 0.0f && v <= 1.0f;
  CHECK(in_unit);
  so.threads = 2;
  CHECK(m.complete_from_parts(parts, positions, k, so) == out);

  CHECK(message_of<gm::InvalidArgument>([&] {
          m.complete_from_parts(parts, gm::Span<const int64_t>(positions.data(), 3), k, so);
        }).find("positions has 3 values") != std::string::npos);
  CHECK_THROWS_AS(m.complete_from_parts(parts, positions, 0, so), gm::InvalidArgument);
  CHECK_THROWS_AS(m.complete_from_parts(parts, positions, 4, so), gm::InvalidArgument);  // 6 patches, not 4 per image
  std::vector<int64_t> outside = positions;
  outside[3] = s - p + 1;
  CHECK_THROWS_AS(m.complete_from_parts(parts, outside, k, so), gm::InvalidArgument);
  CHECK_THROWS_AS(fitted("bernoulli").complete_from_parts(gm::Rows(x.data(), 2, 9), positions, 1), gm::Unsupported);
}

TEST_CASE("SampleOptions::stage: progan draws at a lower stage, other kinds take only 0") {
  constexpr int n = 16, s = 16;
  std::vector<float> x(static_cast<size_t>(n * s * s));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;
  gm::Model m("progan", R"({"latent": 8, "fmap_base": 16, "fmap_max": 8, "fade_images": 8,
                             "stable_images": 8, "mbstd_group": 4})");
  gm::FitOptions fo;
  fo.epochs = 3, fo.batch_size = 8, fo.threads = 1, fo.seed = 5;  // 48 images: stage 3, stable
  m.fit(gm::Rows(x, s * s).image(1, s, s), fo);
  gm::SampleOptions so;
  so.seed = 11, so.stage = 1;
  CHECK(so.c().stage == 1);
  const std::vector<float> low = m.sample(2, so);
  bool blocky = true;  // stage 1 is 4x4, upsampled (nearest) to 16x16: constant on 4x4 cells
  for (int r = 0; r < 2; ++r)
    for (int i = 0; i < s; ++i)
      for (int j = 0; j < s; ++j)
        blocky = blocky && low[static_cast<size_t>(r * s * s + i * s + j)] ==
                               low[static_cast<size_t>(r * s * s + (i / 4 * 4) * s + j / 4 * 4)];
  CHECK(blocky);
  so.stage = 3;
  const std::vector<float> top = m.sample(2, so);
  so.stage = 0;
  CHECK(m.sample(2, so) == top);
  CHECK(top != low);
  so.stage = 4;
  CHECK_THROWS_AS(m.sample(2, so), gm::InvalidArgument);
  so.stage = 2;
  CHECK_THROWS_AS(fitted("bernoulli").sample(1, so), gm::InvalidArgument);
}

TEST_CASE("SampleOptions::truncation: a gan draws a truncated latent, other kinds take only 0") {
  gm::Dataset bars("builtin:bars-and-stripes:3");
  gm::Model m("gan", R"({"latent": 2, "g_hidden": [8], "d_hidden": [8]})");
  gm::FitOptions fo;
  fo.epochs = 2, fo.batch_size = 10, fo.threads = 1, fo.seed = 1;
  m.fit(bars.rows(), fo);
  gm::SampleOptions so;
  so.seed = 7, so.truncation = 0.5;
  CHECK(so.c().truncation == 0.5);
  const std::vector<float> out = m.sample(8, so);
  bool finite = true;
  for (float v : out) finite = finite && std::isfinite(v);
  CHECK(finite);
  CHECK(m.sample(8, so) == out);
  so.truncation = 0;
  CHECK(m.sample(8, so) != out);
  so.truncation = -1;
  CHECK_THROWS_AS(m.sample(1, so), gm::InvalidArgument);
  so.truncation = 1;
  CHECK_THROWS_AS(fitted("bernoulli").sample(1, so), gm::InvalidArgument);
}
