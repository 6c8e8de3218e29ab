// complete --patches K: whole images from K key patches cut from each input (on the object, or at
// random positions: --key-patches)
// (kinds with cap_complete_from_parts: puzzlegan). The PNG shows, per input, the patches on a
// grey canvas, the generated image and the original.
#include <fmt/format.h>

#include "complete_parts.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "models/puzzlegan/puzzlegan_parts.hpp"

namespace gm::cli {

namespace {
constexpr uint64_t kPositionStream = 0x9A27'5000'0000ull;  // positions of row r: (seed, this + r)
constexpr float kCanvasGrey = 0.5f;
}  // namespace

void complete_from_parts_command(const GenerativeModel& model, const Dataset& data, const PartsArgs& args) {
  model.require_capability(cap_complete_from_parts, "complete_from_parts");
  model.require_rows(data.view());
  const int64_t P = model.parts_patch_size(), k = args.patches;
  if (args.patch_size != 0 && args.patch_size != P)
    fail(Status::invalid_argument, "--patch-size {}: this {} model takes patches of {}x{} (its patch_size)",
         args.patch_size, model.kind(), P, P);
  const ImageShape im = model.data_shape().image;
  const int64_t C = im.channels, S = im.height, D = data.d, patch = C * P * P;
  require_output(args.out, D, im);
  // K positions per row from the seed, the patches cut there.
  std::vector<int64_t> positions(static_cast<std::size_t>(2 * data.n * k));
  std::vector<float> patches(static_cast<std::size_t>(data.n * k * patch));
  std::vector<int32_t> work;
  for (int64_t r = 0; r < data.n; ++r) {
    Rng rng(args.options.seed, kPositionStream + static_cast<uint64_t>(r));
    int64_t* pos = positions.data() + 2 * r * k;
    if (args.key_patches == "random")
      puzzlegan::random_positions(rng, S, P, k, pos);
    else
      puzzlegan::object_positions(rng, data.x.data() + r * D, C, S, P, k, pos, work);
    for (int64_t j = 0; j < k; ++j)
      puzzlegan::cut_patch(data.x.data() + r * D, C, S, P, pos[2 * j], pos[2 * j + 1],
                           patches.data() + (r * k + j) * patch);
  }
  DataView parts;
  parts.x = patches.data();
  parts.n = data.n * k;
  parts.d = patch;
  parts.image = ImageShape{C, P, P};
  std::vector<float> out(data.x.size());
  model.complete_from_parts(parts, positions.data(), k, args.options, out.data());
  const double l1 =
      puzzlegan::appearance_l1(out.data(), patches.data(), positions.data(), data.n, k, C, S, P, 1.0f, nullptr) /
      static_cast<double>(std::max<int64_t>(data.n, 1));
  if (args.out.size() > 4 && args.out.compare(args.out.size() - 4, 4, ".npy") == 0) {
    write_rows(args.out, out.data(), data.n, D, im, 0);
  } else {
    // Per input: its patches on a grey canvas, the generated image, the original.
    std::vector<float> grid;
    grid.reserve(3 * out.size());
    std::vector<float> canvas(static_cast<std::size_t>((C + 1) * S * S));
    for (int64_t r = 0; r < data.n; ++r) {
      std::vector<float> shown(static_cast<std::size_t>(D), kCanvasGrey);
      for (int64_t j = 0; j < k; ++j) {
        const int64_t at = r * k + j;
        puzzlegan::place_on_canvas(patches.data() + at * patch, C, S, P, positions[2 * at], positions[2 * at + 1],
                                   canvas.data());
        const float* mask = canvas.data() + C * S * S;
        for (int64_t c = 0; c < C; ++c)
          for (int64_t i = 0; i < S * S; ++i)
            if (mask[i] > 0)
              shown[static_cast<std::size_t>(c * S * S + i)] = canvas[static_cast<std::size_t>(c * S * S + i)];
      }
      grid.insert(grid.end(), shown.begin(), shown.end());
      grid.insert(grid.end(), out.begin() + r * D, out.begin() + (r + 1) * D);
      grid.insert(grid.end(), data.x.begin() + r * D, data.x.begin() + (r + 1) * D);
    }
    write_rows(args.out, grid.data(), 3 * data.n, D, im, args.columns ? args.columns : 3);
  }
  fmt::print(
      "wrote {} images generated from {} patches of {}x{} each to {}; mean |generated - patch| inside the "
      "patches: {:.4f}\n",
      data.n, k, P, P, args.out, l1);
}

}  // namespace gm::cli
