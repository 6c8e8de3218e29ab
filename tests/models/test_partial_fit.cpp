// Partial fit of the closed-form kinds (issue 13): with FitOptions::warm_start, bernoulli and
// markov add the new rows' counts to the ones they hold, so a fit chunk by chunk equals one
// fit on the union exactly — the same p bit for bit, the same scores, the same file bytes —
// on any thread count, across a save and load, and the counts in a file are checked.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "exact_helpers.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"

using namespace gm_test;

namespace {

struct Case {
  std::string kind;
  Json config;
};

std::vector<Case> cases() {
  return {{"bernoulli", Json{{"alpha", 0.5}}},
          {"markov", Json{{"order", 1}}},
          {"markov", Json{{"order", 2}, {"alpha", 0.25}}},
          {"markov", Json{{"order", 5}}}};
}

// Rows [begin, end) of rows, as a view (no copy).
DataView slice(const Rows& rows, int64_t begin, int64_t end) {
  DataView v = rows.view();
  v.x = rows.x.data() + begin * rows.d;
  v.n = end - begin;
  return v;
}

FitOptions fit_options(int threads, bool warm) {
  FitOptions f;
  f.threads = threads;
  f.warm_start = warm;
  return f;
}

std::unique_ptr<GenerativeModel> one_shot(const Case& c, const Rows& rows, int threads) {
  auto m = create_model(c.kind, c.config);
  m->fit(rows.view(), fit_options(threads, false));
  return m;
}

// Fits on the chunks [cuts[j], cuts[j+1]) in turn, the first from scratch and the others with
// warm_start; with reload_after >= 0, the model is saved and loaded back after that chunk.
std::unique_ptr<GenerativeModel> chunked(const Case& c, const Rows& rows, const std::vector<int64_t>& cuts, int threads,
                                         int reload_after = -1) {
  auto m = create_model(c.kind, c.config);
  for (std::size_t j = 0; j + 1 < cuts.size(); ++j) {
    m->fit(slice(rows, cuts[j], cuts[j + 1]), fit_options(threads, j > 0));
    if (static_cast<int>(j) == reload_after) {
      const std::vector<uint8_t> bytes = save_model_bytes(*m);
      m = load_model_bytes(bytes.data(), bytes.size());
    }
  }
  return m;
}

const TensorRef& named(const std::vector<TensorRef>& tensors, const std::string& name) {
  for (const TensorRef& t : tensors)
    if (t.name == name) return t;
  FAIL("no tensor " << name);
  return tensors.front();
}

double max_abs_p_difference(const GenerativeModel& a, const GenerativeModel& b) {
  const std::vector<TensorRef> ta = a.tensors(), tb = b.tensors();
  const TensorRef &pa = named(ta, "p"), &pb = named(tb, "p");
  REQUIRE(pa.elements() == pb.elements());
  double worst = 0.0;
  for (int64_t i = 0; i < pa.elements(); ++i) {
    double x, y;
    std::memcpy(&x, static_cast<const char*>(pa.data) + 8 * i, 8);
    std::memcpy(&y, static_cast<const char*>(pb.data) + 8 * i, 8);
    worst = std::max(worst, std::abs(x - y));
  }
  return worst;
}

std::vector<double> scores(const GenerativeModel& m, const Rows& rows) {
  std::vector<double> out(static_cast<std::size_t>(rows.n));
  m.log_prob(rows.view(), EvalOptions{}, out.data());
  return out;
}

// p (max abs difference exactly 0), every tensor's bytes, log_prob and the saved file.
void require_same_model(const GenerativeModel& chunks, const GenerativeModel& whole, const Rows& rows) {
  CHECK(max_abs_p_difference(chunks, whole) == 0.0);
  const std::vector<TensorRef> ta = chunks.tensors(), tb = whole.tensors();
  REQUIRE(ta.size() == tb.size());
  for (std::size_t j = 0; j < ta.size(); ++j) {
    CAPTURE(ta[j].name);
    CHECK(ta[j].name == tb[j].name);
    REQUIRE(ta[j].bytes() == tb[j].bytes());
    CHECK(std::memcmp(ta[j].data, tb[j].data, ta[j].bytes()) == 0);
  }
  const std::vector<double> sa = scores(chunks, rows), sb = scores(whole, rows);
  CHECK(std::memcmp(sa.data(), sb.data(), sa.size() * sizeof(double)) == 0);
  CHECK(save_model_bytes(chunks) == save_model_bytes(whole));
}

// Cut points 0 < ... < n from a seeded stream: between 2 and 9 chunks of random sizes.
std::vector<int64_t> random_cuts(int64_t n, uint64_t seed) {
  Rng rng(seed, 0);
  const int64_t chunks = 2 + static_cast<int64_t>(rng.uniform() * 8);
  std::vector<int64_t> cuts = {0, n};
  while (static_cast<int64_t>(cuts.size()) < chunks + 1) {
    const int64_t c = 1 + static_cast<int64_t>(rng.uniform() * static_cast<double>(n - 1));
    if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) cuts.push_back(c);
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// The model as a file written before the counts were kept: "p" alone.
std::vector<uint8_t> old_format_bytes(const GenerativeModel& m) {
  const std::vector<TensorRef> all = m.tensors();
  auto old = create_model(m.kind(), m.config());
  old->restore(m.data_shape(), {named(all, "p")});
  REQUIRE(old->tensors().size() == 1);
  return save_model_bytes(*old);
}

}  // namespace

TEST_CASE("partial fit: chunks of 1, 7 and the rest equal the one-shot fit bit for bit, on 1 and 2 threads") {
  const Rows rows = random_binary(203, 37, 11);
  for (const Case& c : cases()) {
    CAPTURE(c.kind);
    CAPTURE(c.config.dump());
    for (int threads : {1, 2}) {
      CAPTURE(threads);
      const auto whole = one_shot(c, rows, threads);
      require_same_model(*chunked(c, rows, {0, 1, 8, rows.n}, threads), *whole, rows);
      // Counts are exact integers on any thread count: a chunked fit on 1 thread equals the
      // one-shot fit on 2 and the other way round.
      require_same_model(*chunked(c, rows, {0, 1, 8, rows.n}, 3 - threads), *whole, rows);
    }
  }
}

TEST_CASE("partial fit: random splits, one row at a time, and a save and load in the middle") {
  const Rows rows = random_binary(150, 29, 4);
  for (const Case& c : cases()) {
    CAPTURE(c.kind);
    CAPTURE(c.config.dump());
    const auto whole = one_shot(c, rows, 1);
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      const std::vector<int64_t> cuts = random_cuts(rows.n, seed);
      CAPTURE(cuts.size());
      require_same_model(*chunked(c, rows, cuts, static_cast<int>(seed % 2) + 1), *whole, rows);
      // Saved after the first chunk and after a middle one: the counts travel in the file.
      require_same_model(*chunked(c, rows, cuts, 2, 0), *whole, rows);
      require_same_model(*chunked(c, rows, cuts, 1, static_cast<int>(cuts.size()) / 2 - 1), *whole, rows);
    }
    std::vector<int64_t> single(static_cast<std::size_t>(rows.n) + 1);
    for (int64_t i = 0; i <= rows.n; ++i) single[static_cast<std::size_t>(i)] = i;
    require_same_model(*chunked(c, rows, single, 2), *whole, rows);
  }
}

TEST_CASE("partial fit: the model file holds the counts, and warm_start on an unfitted model fits from scratch") {
  const Rows rows = random_binary(40, 9, 2);
  for (const Case& c : cases()) {
    CAPTURE(c.kind);
    CAPTURE(c.config.dump());
    auto m = create_model(c.kind, c.config);
    m->fit(rows.view(), fit_options(0, true));
    require_same_model(*m, *one_shot(c, rows, 0), rows);
    const std::vector<TensorRef> t = m->tensors();
    CHECK(t.back().name == "p");
    if (c.kind == "bernoulli") {
      REQUIRE(t.size() == 3);
      CHECK(t[0].name == "ones");
      CHECK(t[0].dtype == DType::i64);
      CHECK(t[1].name == "rows");
      int64_t n = 0;
      std::memcpy(&n, t[1].data, sizeof n);
      CHECK(n == rows.n);
    } else {
      REQUIRE(t.size() == 2);
      CHECK(t[0].name == "counts");
      CHECK(t[0].dtype == DType::i64);
      const int64_t states = int64_t{1} << c.config["order"].get<int>();
      CHECK(t[0].shape == std::vector<int64_t>{9, states, 2});
    }
  }
}

TEST_CASE("partial fit: a file without counts loads and scores, but a warm start on it is refused") {
  const Rows rows = random_binary(60, 12, 5);
  for (const Case& c : cases()) {
    CAPTURE(c.kind);
    CAPTURE(c.config.dump());
    const auto first = chunked(c, rows, {0, 30}, 1);
    const std::vector<uint8_t> old_bytes = old_format_bytes(*first);
    auto old = load_model_bytes(old_bytes.data(), old_bytes.size());
    REQUIRE(old->tensors().size() == 1);
    CHECK(scores(*old, rows) == scores(*first, rows));
    CHECK(max_abs_p_difference(*old, *first) == 0.0);

    const DataView rest = slice(rows, 30, rows.n);
    CHECK(status_of([&] { old->fit(rest, fit_options(1, true)); }) == Status::invalid_argument);
    const std::string why = message_of([&] { old->fit(rest, fit_options(1, true)); });
    CHECK(why.find("from scratch") != std::string::npos);
    CHECK(why.find("counts") != std::string::npos);
    // Refused means unchanged: still the old file's model, bytes and all.
    CHECK(save_model_bytes(*old) == old_bytes);
    // A fit from scratch gives it counts again, and partial fits continue from there.
    old->fit(slice(rows, 0, 30), fit_options(1, false));
    old->fit(rest, fit_options(1, true));
    require_same_model(*old, *one_shot(c, rows, 1), rows);
  }
}

TEST_CASE("partial fit: other widths are refused and leave the model as it was; a layout is kept") {
  const Rows rows = random_binary(20, 16, 7);
  const Rows wider = random_binary(20, 17, 7);
  for (const Case& c : cases()) {
    CAPTURE(c.kind);
    CAPTURE(c.config.dump());
    auto m = one_shot(c, rows, 1);
    const std::vector<uint8_t> before = save_model_bytes(*m);
    CHECK(status_of([&] { m->fit(wider.view(), fit_options(1, true)); }) == Status::invalid_data);
    CHECK(save_model_bytes(*m) == before);
    // Non-binary rows are refused with the counts untouched.
    Rows half = rows;
    half.x[5] = 0.5f;
    CHECK(status_of([&] { m->fit(half.view(), fit_options(1, true)); }) == Status::invalid_data);
    CHECK(save_model_bytes(*m) == before);
    // A cancel from the progress callback changes nothing either.
    FitOptions cancel = fit_options(1, true);
    cancel.progress = [](int64_t, int64_t, double) { return true; };
    CHECK(status_of([&] { m->fit(rows.view(), cancel); }) == Status::cancelled);
    CHECK(save_model_bytes(*m) == before);

    // Image rows first, then flat rows of the same width: the layout fitted on stays.
    Rows image = rows;
    image.image = ImageShape{1, 4, 4};
    auto im = create_model(c.kind, c.config);
    im->fit(slice(image, 0, 10), fit_options(1, false));
    im->fit(slice(rows, 10, rows.n), fit_options(1, true));
    CHECK(im->data_shape().image.height == 4);
    CHECK(save_model_bytes(*im) == save_model_bytes(*one_shot(c, image, 1)));
  }
}

TEST_CASE("partial fit: counts in a file are checked — non-negative, consistent with each other and with p") {
  const Rows rows = random_binary(25, 8, 3);
  for (const Case& c : cases()) {
    CAPTURE(c.kind);
    CAPTURE(c.config.dump());
    const auto m = one_shot(c, rows, 1);
    const SavedTensors saved = save_unaligned(*m);
    const auto restore_status = [&](const std::vector<TensorRef>& refs) {
      return status_of([&] { create_model(c.kind, c.config)->restore(m->data_shape(), refs); });
    };
    CHECK(restore_status(saved.refs) == Status::ok);
    // Each count entry changed in turn (a sample of them): -1, +1 and a huge value.
    const TensorRef& counts = saved.refs.front();
    std::vector<int64_t> values(static_cast<std::size_t>(counts.elements()));
    std::memcpy(values.data(), counts.data, values.size() * sizeof(int64_t));
    for (std::size_t e = 0; e < values.size(); e += std::max<std::size_t>(1, values.size() / 7)) {
      for (int64_t poke : {int64_t{-1}, int64_t{1}, int64_t{1} << 60}) {
        CAPTURE(e);
        CAPTURE(poke);
        std::vector<int64_t> bad = values;
        bad[e] = poke == 1 ? bad[e] + 1 : poke;
        std::vector<TensorRef> refs = saved.refs;
        refs.front().data = bad.data();
        CHECK(restore_status(refs) == Status::corrupt_file);
      }
    }
    // p one ulp away from what the counts give.
    const TensorRef& p = saved.refs.back();
    std::vector<double> q(static_cast<std::size_t>(p.elements()));
    std::memcpy(q.data(), p.data, q.size() * sizeof(double));
    q[3] = std::nextafter(q[3], 1.0);
    std::vector<TensorRef> refs = saved.refs;
    refs.back().data = q.data();
    CHECK(restore_status(refs) == Status::corrupt_file);
    // Counts without p, or (bernoulli) one count tensor without the other.
    refs = saved.refs;
    refs.pop_back();
    CHECK(restore_status(refs) == Status::corrupt_file);
    if (c.kind == "bernoulli") {
      CHECK(restore_status({saved.refs[0], saved.refs[2]}) == Status::corrupt_file);
      CHECK(restore_status({saved.refs[1], saved.refs[2]}) == Status::corrupt_file);
    }
  }
}
