// puzzlegan: patch cutting and placement on hand-made images, the appearance and mask losses
// against hand values and central differences, both objectives' gradients against central
// differences, complete_from_parts (shapes, range, determinism, save → load), fit's refusals,
// the verbs it lacks, and a short fit whose generated images come to show their patches.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "exact_helpers.hpp"
#include "gradient_check.hpp"
#include "models/model_file.hpp"
#include "models/puzzlegan/puzzlegan.hpp"
#include "models/puzzlegan/puzzlegan_nets.hpp"
#include "models/puzzlegan/puzzlegan_parts.hpp"
#include "models/registry.hpp"

using namespace gm;
using namespace gm_test;

namespace {

// n images 1×S×S in [0, 1]: a bright side×side square on a dark background, at a position
// drawn per row, with a little noise.
Rows square_images(int64_t n, uint64_t seed, int64_t S = 8, int64_t side = 3) {
  Rows out{{}, n, S * S, {1, S, S}};
  Rng rng(seed, 0);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t y0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(S - side + 1)));
    const int64_t x0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(S - side + 1)));
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x) {
        const bool on = y >= y0 && y < y0 + side && x >= x0 && x < x0 + side;
        out.x.push_back(on ? 0.85f + 0.1f * rng.uniform_f() : 0.05f + 0.1f * rng.uniform_f());
      }
  }
  return out;
}

FitOptions options(int64_t epochs, int64_t batch, uint64_t seed = 1) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.seed = seed;
  o.threads = 1;
  return o;
}

const Json kTiny{{"parts", 2}, {"patch_size", 4}, {"nef", 2}, {"ngf", 2}, {"ndf", 2}, {"noise", 2}};

// Image r's k patches at the given positions, and the positions, for complete_from_parts.
struct Parts {
  std::vector<float> x;
  std::vector<int64_t> positions;
  int64_t n = 0, k = 0, P = 0;
  DataView view() const {
    DataView v;
    v.x = x.data();
    v.n = n * k;
    v.d = P * P;
    v.image = ImageShape{1, P, P};
    return v;
  }
};

Parts parts_of(const Rows& images, int64_t n, int64_t k, int64_t P, uint64_t seed) {
  Parts p;
  p.n = n;
  p.k = k;
  p.P = P;
  const int64_t S = images.image.height;
  p.x.resize(static_cast<std::size_t>(n * k * P * P));
  p.positions.resize(static_cast<std::size_t>(2 * n * k));
  for (int64_t r = 0; r < n; ++r) {
    Rng rng(seed, static_cast<uint64_t>(r));
    puzzlegan::random_positions(rng, S, P, k, p.positions.data() + 2 * r * k);
    for (int64_t j = 0; j < k; ++j)
      puzzlegan::cut_patch(images.x.data() + r * images.d, 1, S, P, p.positions[2 * (r * k + j)],
                           p.positions[2 * (r * k + j) + 1], p.x.data() + (r * k + j) * P * P);
  }
  return p;
}

// The mean |generated − patch| over the patches' pixels, in [0, 1] units.
double patch_l1(const std::vector<float>& gen, const Parts& p, int64_t S) {
  return puzzlegan::appearance_l1(gen.data(), p.x.data(), p.positions.data(), p.n, p.k, 1, S, p.P, 1.0f, nullptr) /
         static_cast<double>(p.n);
}

}  // namespace

TEST_CASE("puzzlegan: patches are cut and placed where their positions say") {
  // Two channels of a 4×4 image, values 10·c + the raster index; a 2×2 patch at (1, 2).
  std::vector<float> image(2 * 16);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 16; ++i) image[static_cast<std::size_t>(c * 16 + i)] = static_cast<float>(100 * c + i);
  std::vector<float> patch(2 * 4, -1.0f);
  puzzlegan::cut_patch(image.data(), 2, 4, 2, 1, 2, patch.data());
  CHECK(patch == std::vector<float>{6, 7, 10, 11, 106, 107, 110, 111});
  // On a canvas: the patch back in place, zeros elsewhere, then the placement mask.
  std::vector<float> canvas(3 * 16, -7.0f);
  puzzlegan::place_on_canvas(patch.data(), 2, 4, 2, 1, 2, canvas.data());
  const std::vector<float> want = {0, 0, 0, 0, 0, 0, 6,   7,   0, 0, 10,  11,  0, 0, 0, 0,  // channel 0
                                   0, 0, 0, 0, 0, 0, 106, 107, 0, 0, 110, 111, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 1,   1,   0, 0, 1,   1,   0, 0, 0, 0};  // mask
  CHECK(canvas == want);
  // Corners: (0, 0) and (2, 2) are the extreme positions of a 2×2 patch in a 4×4 image.
  puzzlegan::cut_patch(image.data(), 2, 4, 2, 2, 2, patch.data());
  CHECK(patch == std::vector<float>{10, 11, 14, 15, 110, 111, 114, 115});
  // The union of two overlapping placements.
  const int64_t pos[] = {0, 0, 1, 1};
  std::vector<float> mask(16, -1.0f);
  puzzlegan::union_mask(pos, 2, 4, 2, mask.data());
  CHECK(mask == std::vector<float>{1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0});
  // Random positions stay in [0, S − P] and reach both ends.
  Rng rng(3, 0);
  std::vector<int64_t> drawn(2 * 200);
  puzzlegan::random_positions(rng, 8, 5, 200, drawn.data());
  CHECK(*std::min_element(drawn.begin(), drawn.end()) == 0);
  CHECK(*std::max_element(drawn.begin(), drawn.end()) == 3);
}

TEST_CASE("puzzlegan: key patches on the object, against a brute-force count") {
  // 8×8, two channels: background (0.9, 0.2) on the border, an object differing in channel 1
  // only, rows 2..5 × columns 3..6 plus one stray pixel at (7, 0) (on the border: the median
  // ignores it). P = 4: a position qualifies when ≥ 8 of its 16 pixels are on the object.
  constexpr int64_t C = 2, S = 8, P = 4, span = S - P + 1;
  std::vector<float> image(C * S * S);
  for (int64_t i = 0; i < S * S; ++i)
    image[static_cast<std::size_t>(i)] = 0.9f, image[static_cast<std::size_t>(S * S + i)] = 0.2f;
  auto on_object = [](int64_t y, int64_t x) { return (y >= 2 && y <= 5 && x >= 3 && x <= 6) || (y == 7 && x == 0); };
  for (int64_t y = 0; y < S; ++y)
    for (int64_t x = 0; x < S; ++x)
      if (on_object(y, x)) image[static_cast<std::size_t>(S * S + y * S + x)] = 0.35f;  // differs by 0.15 > 0.1
  std::set<std::pair<int64_t, int64_t>> want;
  for (int64_t t = 0; t < span; ++t)
    for (int64_t l = 0; l < span; ++l) {
      int64_t on = 0;
      for (int64_t y = t; y < t + P; ++y)
        for (int64_t x = l; x < l + P; ++x) on += on_object(y, x);
      if (2 * on >= P * P) want.insert({t, l});
    }
  // tops 1..3 × lefts 2..4 (≥ 3 × 3 on the square), and (0, 3), (4, 3), (2, 1): 2 × 4 exactly.
  REQUIRE(want.size() == 12);
  Rng rng(5, 1);
  std::vector<int32_t> work;
  std::vector<int64_t> drawn(2 * 400);
  puzzlegan::object_positions(rng, image.data(), C, S, P, 400, drawn.data(), work);
  std::set<std::pair<int64_t, int64_t>> got;
  for (std::size_t j = 0; j < 400; ++j) got.insert({drawn[2 * j], drawn[2 * j + 1]});
  CHECK(got == want);  // only qualifying positions, and every one of them
  // Distinct parts: the second patch overlaps the first by at most P²/4 = 4 pixels whenever
  // some candidate does (after a first pick at (0, 3), (4, 3) does not overlap at all; after
  // (2, 3) every candidate overlaps by more, and any candidate may follow).
  auto overlap = [&](int64_t t0, int64_t l0, int64_t t1, int64_t l1) {
    const int64_t dy = P - std::abs(t0 - t1), dx = P - std::abs(l0 - l1);
    return dy > 0 && dx > 0 ? dy * dx : int64_t{0};
  };
  bool apart = true;
  int64_t spread = 0;
  for (uint64_t stream = 0; stream < 200; ++stream) {
    Rng pair_rng(7, stream);
    int64_t two[4];
    puzzlegan::object_positions(pair_rng, image.data(), C, S, P, 2, two, work);
    bool possible = false;
    for (const auto& [t, l] : want) possible = possible || overlap(two[0], two[1], t, l) <= 4;
    apart = apart && want.count({two[0], two[1]}) && want.count({two[2], two[3]}) &&
            (!possible || overlap(two[0], two[1], two[2], two[3]) <= 4);
    spread += possible;
  }
  CHECK(apart);
  CHECK(spread > 100);  // most first picks leave a distinct second part
  // A difference of 0.05 is background; a blank image falls back to random positions.
  for (int64_t i = 0; i < S * S; ++i)
    if (image[static_cast<std::size_t>(S * S + i)] > 0.3f) image[static_cast<std::size_t>(S * S + i)] = 0.25f;
  puzzlegan::object_positions(rng, image.data(), C, S, P, 400, drawn.data(), work);
  CHECK(*std::min_element(drawn.begin(), drawn.end()) == 0);
  CHECK(*std::max_element(drawn.begin(), drawn.end()) == S - P);
}

TEST_CASE("puzzlegan: appearance L1 and mask cross-entropy, hand values and central differences") {
  // One 1×3×3 image, two 2×2 patches at (0, 0) and (1, 1) (overlapping at the centre).
  std::vector<float> gen = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f};
  const std::vector<float> patches = {0, 0, 0, 0, 1, 1, 1, 1};
  const int64_t pos[] = {0, 0, 1, 1};
  std::vector<float> dgen(9, 0.0f);
  const double a = puzzlegan::appearance_l1(gen.data(), patches.data(), pos, 1, 2, 1, 3, 2, 2.0f, dgen.data());
  // |0.1| + |0.2| + |0.4| + |0.5| + |0.5 − 1| + |0.6 − 1| + |0.8 − 1| + |0.9 − 1|, over 8 values
  CHECK(a == doctest::Approx((0.1 + 0.2 + 0.4 + 0.5 + 0.5 + 0.4 + 0.2 + 0.1) / 8));
  // The centre lies under both patches, once above and once below: its gradient cancels.
  CHECK(dgen[4] == doctest::Approx(0.0));
  CHECK(dgen[0] == doctest::Approx(2.0 / 8));
  CHECK(dgen[8] == doctest::Approx(-2.0 / 8));
  CHECK(dgen[2] == 0.0f);  // outside every patch
  for (std::size_t i : {0u, 1u, 5u, 7u}) {
    const float saved = gen[i];
    gen[i] = saved + 1e-3f;
    const double up = puzzlegan::appearance_l1(gen.data(), patches.data(), pos, 1, 2, 1, 3, 2, 1.0f, nullptr);
    gen[i] = saved - 1e-3f;
    const double down = puzzlegan::appearance_l1(gen.data(), patches.data(), pos, 1, 2, 1, 3, 2, 1.0f, nullptr);
    gen[i] = saved;
    CHECK(dgen[i] == doctest::Approx(2.0 * (up - down) / 2e-3).epsilon(1e-3));
  }
  // Mask: two rows of two logits.
  std::vector<float> l = {0.3f, -1.2f, 2.0f, 0.0f}, dl(4);
  const std::vector<float> t = {1, 0, 0, 1};
  const double m = puzzlegan::mask_bce(l.data(), t.data(), 2, 2, 3.0f, dl.data());
  auto sp = [](double x) { return std::log1p(std::exp(x)); };
  CHECK(m == doctest::Approx((sp(-0.3) + sp(-1.2)) / 2 + (sp(2.0) + sp(0.0)) / 2));
  for (std::size_t i = 0; i < l.size(); ++i) {
    const float saved = l[i];
    l[i] = saved + 1e-3f;
    const double up = puzzlegan::mask_bce(l.data(), t.data(), 2, 2, 1.0f, nullptr);
    l[i] = saved - 1e-3f;
    const double down = puzzlegan::mask_bce(l.data(), t.data(), 2, 2, 1.0f, nullptr);
    l[i] = saved;
    CHECK(dl[i] == doctest::Approx(3.0 * (up - down) / 2e-3 / 2.0).epsilon(1e-3));
  }
}

TEST_CASE("puzzlegan: network shapes for 8x8, 28x28 grey and 32x32 colour") {
  for (const auto& [C, S] : {std::pair<int64_t, int64_t>{1, 8}, {1, 28}, {3, 32}}) {
    PuzzleGanModel m(Json::object());
    const puzzlegan::Nets nets(m.settings(), DataShape{C * S * S, {C, S, S}}, Status::invalid_data);
    CHECK(nets.e.in_size() == (C + 1) * S * S);
    CHECK(nets.e.out_size() == 64 * (S / 4) * (S / 4));
    CHECK(nets.m.out_size() == S * S);
    CHECK(nets.g.in_size() == (64 + 16) * (S / 4) * (S / 4));
    CHECK(nets.g.out_size() == C * S * S);
    CHECK(nets.d.out_size() == (S / 4) * (S / 4));
  }
}

TEST_CASE("puzzlegan: both objectives' gradients agree with central differences") {
  const Rows data = square_images(6, 2);
  PuzzleGanModel m(kTiny);
  m.fit(data.view(), options(1, 6));
  const DataView batch = data.view();
  SUBCASE("discriminator") {
    const nn::ParamSpan span = m.discriminator_span();
    require_good(check_gradient(
        span, [&](bool backward) { return m.discriminator_objective(batch, 11, backward); }, 60));
  }
  SUBCASE("generator: encoder, mask generator and image generator") {
    const nn::ParamSpan span = m.generator_span();
    require_good(check_gradient(
        span, [&](bool backward) { return m.generator_objective(batch, 11, backward); }, 120));
    const auto& t = m.last_terms();
    CHECK(t.adversarial > 0);
    CHECK(t.mask > 0);
    CHECK(t.appearance > 0);
    CHECK(t.reconstruction > 0);
  }
}

TEST_CASE("puzzlegan: complete_from_parts is deterministic, its own per row, and survives save and load") {
  const Rows data = square_images(16, 4);
  auto m = create_model("puzzlegan", kTiny);
  CHECK(m->parts_patch_size() == 4);
  m->fit(data.view(), options(2, 8));
  const Parts p = parts_of(data, 5, 2, 4, 9);
  SampleOptions so;
  so.seed = 7;
  std::vector<float> a(5 * 64), b(5 * 64), c(5 * 64);
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, a.data());
  for (float v : a) CHECK((v >= 0.0f && v <= 1.0f));
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, b.data());
  CHECK(a == b);
  so.seed = 8;
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, c.data());
  CHECK(a != c);  // the noise changes the image
  so.seed = 7;
  // Row r alone gives what it gives among the others (the noise comes from (seed, r)): row 0.
  DataView first = p.view();
  first.n = 2;
  std::vector<float> one(64);
  m->complete_from_parts(first, p.positions.data(), 2, so, one.data());
  for (int64_t i = 0; i < 64; ++i)
    CHECK(one[static_cast<std::size_t>(i)] == doctest::Approx(a[static_cast<std::size_t>(i)]).epsilon(1e-4));
  const std::vector<uint8_t> bytes = save_model_bytes(*m);
  auto back = load_model_bytes(bytes.data(), bytes.size());
  CHECK(save_model_bytes(*back) == bytes);
  back->complete_from_parts(p.view(), p.positions.data(), 2, so, b.data());
  CHECK(a == b);
  so.threads = 2;
  back->complete_from_parts(p.view(), p.positions.data(), 2, so, b.data());
  CHECK(a == b);
  // Truncation reaches its noise: near 0, two seeds give the same images (z at the origin).
  so.truncation = 1e-7;
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, b.data());
  so.seed = 8;
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, c.data());
  for (std::size_t i = 0; i < b.size(); ++i) REQUIRE(b[i] == doctest::Approx(c[i]).epsilon(1e-4));
  CHECK(b != a);
}

TEST_CASE("puzzlegan: complete_from_parts refuses bad patches, positions and counts") {
  const Rows data = square_images(8, 4);
  auto m = create_model("puzzlegan", kTiny);
  std::vector<float> out(4 * 64);
  Parts p = parts_of(data, 2, 2, 4, 1);
  CHECK(status_of([&] { m->complete_from_parts(p.view(), p.positions.data(), 2, SampleOptions{}, out.data()); }) ==
        Status::not_fitted);
  m->fit(data.view(), options(1, 8));
  auto message = [&](const DataView& v, const int64_t* pos, int64_t k, Status want) {
    try {
      m->complete_from_parts(v, pos, k, SampleOptions{}, out.data());
    } catch (const Error& e) {
      CHECK(e.status() == want);
      return std::string(e.what());
    }
    FAIL("accepted");
    return std::string();
  };
  p.positions[2] = 5;  // top 5 + 4 > 8
  CHECK(message(p.view(), p.positions.data(), 2, Status::invalid_argument).find("outside the 8x8 image") !=
        std::string::npos);
  p.positions[2] = 0;
  DataView wrong = p.view();
  wrong.d = 9;
  wrong.image = ImageShape{1, 3, 3};
  wrong.n = 2;
  CHECK(message(wrong, p.positions.data(), 2, Status::invalid_data).find("patch_size 4") != std::string::npos);
  CHECK(message(p.view(), p.positions.data(), 0, Status::invalid_argument).find("k (patches per image)") !=
        std::string::npos);
  CHECK(message(p.view(), p.positions.data(), 3, Status::invalid_argument).find("do not split") != std::string::npos);
  CHECK(message(p.view(), nullptr, 2, Status::invalid_argument).find("positions is NULL") != std::string::npos);
  SampleOptions staged;
  staged.stage = 1;
  CHECK(status_of([&] { m->complete_from_parts(p.view(), p.positions.data(), 2, staged, out.data()); }) ==
        Status::invalid_argument);
}

TEST_CASE("puzzlegan: fit refuses data it cannot use, naming what to fix; the verbs it lacks say why") {
  const Rows data = square_images(8, 1);
  auto message = [](const Json& config, const DataView& v) {
    PuzzleGanModel m(config);
    try {
      m.fit(v, options(1, 8));
    } catch (const Error& e) {
      CHECK(e.status() == Status::invalid_data);
      return std::string(e.what());
    }
    return std::string("fitted");
  };
  Rows bright = data;
  bright.x[5] = 1.5f;
  CHECK(message(kTiny, bright.view()).find("[0, 1]") != std::string::npos);
  DataView v = data.view();
  v.image = ImageShape{1, 4, 16};
  CHECK(message(kTiny, v).find("4x16") != std::string::npos);
  v.image = ImageShape{};
  CHECK(message(kTiny, v).find("plain vectors") != std::string::npos);
  const Rows six = square_images(8, 1, 6);
  CHECK(message(kTiny, six.view()).find("multiple of 4") != std::string::npos);
  Json big = kTiny;
  big["patch_size"] = 12;
  CHECK(message(big, data.view()).find("patch_size 12 is larger") != std::string::npos);
  for (const Json& bad : {Json{{"parts", 0}}, Json{{"patch_size", 0}}, Json{{"lambda_mask", -1}}, Json{{"k", 3}}})
    CHECK(status_of([&] { create_model("puzzlegan", bad); }) == Status::invalid_config);

  PuzzleGanModel m(kTiny);
  m.fit(data.view(), options(1, 8));
  std::vector<float> out(64 * 8);
  std::vector<uint8_t> observed(64 * 8, 1);
  for (const auto& [call, words] : std::vector<std::pair<std::function<void()>, std::string>>{
           {[&] { m.sample(1, SampleOptions{}, out.data()); }, "no prior over patches"},
           {[&] { m.complete(data.view(), observed.data(), SampleOptions{}, out.data()); }, "complete_from_parts"},
           {[&] { m.latent_dim(); }, "not a latent vector"},
       }) {
    try {
      call();
      FAIL("worked");
    } catch (const Error& e) {
      CHECK(e.status() == Status::unsupported);
      CHECK(std::string(e.what()).find(words) != std::string::npos);
    }
  }
}

TEST_CASE("puzzlegan: a short fit gives finite images whose patch regions approach the patches") {
  const Rows data = square_images(64, 5, 8, 3);
  const Parts p = parts_of(data, 16, 2, 4, 21);
  SampleOptions so;
  so.seed = 3;
  std::vector<float> before(16 * 64), after(16 * 64);
  auto m = create_model(
      "puzzlegan",
      Json{{"parts", 2}, {"patch_size", 4}, {"nef", 8}, {"ngf", 8}, {"ndf", 8}, {"noise", 2}, {"learning_rate", 1e-3}});
  m->fit(data.view(), options(1, 16));
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, before.data());
  FitOptions more = options(40, 16);
  more.warm_start = true;
  m->fit(data.view(), more);
  m->complete_from_parts(p.view(), p.positions.data(), 2, so, after.data());
  for (float v : after) CHECK(std::isfinite(v));
  const double l1_before = patch_l1(before, p, 8), l1_after = patch_l1(after, p, 8);
  MESSAGE("mean |generated - patch| inside the patches: after 1 epoch ", l1_before, ", after 41 ", l1_after);
  CHECK(l1_after < 0.6 * l1_before);
  CHECK(l1_after < 0.12);
}
