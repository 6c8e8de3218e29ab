// interpolate: a grid of decoded latent paths — row r walks from one random latent code to
// another in --steps steps, so a person can see whether the latent space is smooth.
//
// Codes are drawn from N(0, I) with Rng(seed, 2r) and Rng(seed, 2r + 1). The walk is
// spherical (slerp) for the Gaussian part: a straight line between two Gaussian draws passes
// through codes of unusually small norm, which a generator never saw in training (White 2016,
// "Sampling generative networks"). InfoGAN's codes after z are drawn the way sample draws
// them and walked linearly (a one-hot category fades into the next).
#include <fmt/format.h>

#include <cmath>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {
struct InterpolateArgs {
  std::string model, out;
  int64_t rows = 8, steps = 10;
  SampleOptions options;
  ConditionFlags conditions;
};

// slerp(a, b; t) = sin((1−t)ω)/sin ω · a + sin(tω)/sin ω · b, ω the angle between a and b;
// the straight line when they are (nearly) parallel.
void slerp(const float* a, const float* b, int64_t n, double t, float* out) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  const double cos_w = ab / std::sqrt(std::max(aa * bb, 1e-300));
  const double w = std::acos(std::clamp(cos_w, -1.0, 1.0));
  double ca = 1 - t, cb = t;
  if (std::sin(w) > 1e-6) {
    ca = std::sin((1 - t) * w) / std::sin(w);
    cb = std::sin(t * w) / std::sin(w);
  }
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(ca * a[i] + cb * b[i]);
}

// One end of a row: z ~ N(0, I) in the first `gaussian` values; for the rest (InfoGAN's
// codes) a uniform category one-hot per group of `categories` and U(−1, 1) values.
void draw_end(Rng& rng, int64_t latent, int64_t gaussian, int64_t categories, float* out) {
  for (int64_t i = 0; i < gaussian; ++i) out[i] = static_cast<float>(rng.normal());
  int64_t at = gaussian;
  if (categories > 0 && at + categories <= latent) {
    for (int64_t k = 0; k < categories; ++k) out[at + k] = 0.0f;
    out[at + static_cast<int64_t>(rng.below(static_cast<uint64_t>(categories)))] = 1.0f;
    at += categories;
  }
  for (; at < latent; ++at) out[at] = 2.0f * rng.uniform_f() - 1.0f;
}
}  // namespace

void add_interpolate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InterpolateArgs>();
  CLI::App* cmd = app.add_subcommand("interpolate", "decode straight (spherical) paths between random latent codes");
  cmd->add_option("model", args->model, "model file with a decoder (vae, gan, dcgan, cgan, infogan)")->required();
  cmd->add_option("--out", args->out, "FILE.png (rows x steps grid) or FILE.npy")->required();
  cmd->add_option("--rows", args->rows, "paths, one per grid row")->check(CLI::Range(1, 256));
  cmd->add_option("--steps", args->steps, "images per path, ends included")->check(CLI::Range(2, 256));
  add_seed_option(*cmd, args->options.seed, "random seed (the same seed gives the same paths)");
  args->conditions.add_to(*cmd);
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);
      model->require_capability(cap_decode, "interpolate");
      const int64_t L = model->latent_dim(), R = args->rows, S = args->steps, n = R * S;
      const Json& cfg = model->config();
      // InfoGAN: latent = noise, then the categorical and continuous codes.
      const int64_t gaussian = cfg.contains("categorical") ? cfg.value("latent", L) : L;
      int64_t categories = 0;
      if (cfg.contains("categorical") && cfg["categorical"].is_array() && !cfg["categorical"].empty())
        categories = cfg["categorical"][0].get<int64_t>();
      std::vector<float> codes(static_cast<std::size_t>(n * L)), a(static_cast<std::size_t>(L)),
          b(static_cast<std::size_t>(L));
      for (int64_t r = 0; r < R; ++r) {
        Rng ra(args->options.seed, static_cast<uint64_t>(2 * r)),
            rb(args->options.seed, static_cast<uint64_t>(2 * r + 1));
        draw_end(ra, L, gaussian, categories, a.data());
        draw_end(rb, L, gaussian, categories, b.data());
        for (int64_t s = 0; s < S; ++s) {
          const double t = static_cast<double>(s) / static_cast<double>(S - 1);
          float* c = &codes[static_cast<std::size_t>((r * S + s) * L)];
          slerp(a.data(), b.data(), gaussian, t, c);
          for (int64_t i = gaussian; i < L; ++i) c[i] = static_cast<float>((1 - t) * a[i] + t * b[i]);
        }
      }
      DataView view;
      view.x = codes.data();
      view.n = n;
      view.d = L;
      args->conditions.apply(*model, n, args->options);
      const DataShape& shape = model->data_shape();
      std::vector<float> x(static_cast<std::size_t>(n * shape.d));
      model->decode(view, args->options, x.data());
      write_rows(args->out, x.data(), n, shape.d, shape.image, S);
      fmt::print("wrote {} paths of {} steps to {}\n", R, S, args->out);
    });
  });
}

}  // namespace gm::cli
