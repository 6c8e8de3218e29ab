// A text cgan between two sentences: row r keeps one noise vector z_r, column k decodes it
// with the condition c = (1 − t)·f(A) + t·f(B), t = k / (steps − 1), where f is the hashed
// sentence vector of the model's own feature version (gm_model_text_features). For the linear
// embeddings (words-v1, subword-v2) this is also the straight line between the two learned
// embeddings; subword-ids-v3 features are ids, which do not mix (the tool refuses them). Uses only the public C++
// binding (include/genmodels/genmodels.hpp) over the C ABI.
// Usage: text_mix MODEL OUT.png "sentence A" "sentence B" [ROWS=4] [STEPS=8] [SEED=3]
#include <genmodels/genmodels.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace gm = genmodels;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL OUT.png \"sentence A\" \"sentence B\" [ROWS] [STEPS] [SEED]\n", argv[0]);
    return 1;
  }
  const int64_t rows = argc > 5 ? std::stoll(argv[5]) : 4, steps = argc > 6 ? std::stoll(argv[6]) : 8;
  const uint64_t seed = argc > 7 ? std::stoull(argv[7]) : 3;
  try {
    const gm::Model model = gm::Model::load(argv[1]);
    const int64_t z_dim = model.latent_dim();
    const gm::DataShape shape = model.data_shape();
    // condition_dim is in the effective configuration: {..., "condition_dim":1024, ...}
    const std::string cfg = model.config_json();
    const auto at = cfg.find("\"condition_dim\":");
    if (at == std::string::npos) throw gm::InvalidArgument("the model is not a text cgan (no condition_dim)");
    const int64_t dim = std::stoll(cfg.substr(at + 16));
    if (cfg.find("\"subword-ids-v3\"") != std::string::npos)
      throw gm::InvalidArgument("subword-ids-v3 features are word-piece ids: they cannot be mixed linearly");
    const std::vector<float> a = gm::text_features(model, argv[3]), b = gm::text_features(model, argv[4]);

    // z per row from a fixed seed: Box–Muller over mt19937_64 (whose output the standard fixes).
    std::mt19937_64 bits(seed);
    auto uniform = [&bits] { return (static_cast<double>(bits() >> 11) + 0.5) * 0x1.0p-53; };
    std::vector<float> z(static_cast<size_t>(rows * z_dim));
    for (size_t i = 0; i < z.size(); ++i)
      z[i] = static_cast<float>(std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * M_PI * uniform()));

    const int64_t n = rows * steps;
    std::vector<float> codes(static_cast<size_t>(n * z_dim)), cond(static_cast<size_t>(n * dim));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < steps; ++k) {
        const int64_t i = r * steps + k;
        const float t = steps > 1 ? static_cast<float>(k) / static_cast<float>(steps - 1) : 0.0f;
        for (int64_t j = 0; j < z_dim; ++j)
          codes[static_cast<size_t>(i * z_dim + j)] = z[static_cast<size_t>(r * z_dim + j)];
        for (int64_t j = 0; j < dim; ++j)
          cond[static_cast<size_t>(i * dim + j)] =
              (1.0f - t) * a[static_cast<size_t>(j)] + t * b[static_cast<size_t>(j)];
      }
    gm::SampleOptions so;
    so.conditions = cond.data();
    so.condition_dim = dim;
    const std::vector<float> x = model.decode(gm::Rows(codes, z_dim), so);
    gm::Rows images(x, shape.d);
    images.image(shape.channels, shape.height, shape.width);
    gm::write_png_grid(argv[2], images, steps);
    std::printf("wrote %s: %lld rows (fixed z) x %lld steps from \"%s\" to \"%s\"\n", argv[2],
                static_cast<long long>(rows), static_cast<long long>(steps), argv[3], argv[4]);
  } catch (const gm::Error& e) {
    std::fprintf(stderr, "text_mix: %s: %s\n", e.status_name(), e.what());
    return 1;
  }
  return 0;
}
