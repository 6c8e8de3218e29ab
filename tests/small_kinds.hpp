// The small configuration of each kind, as JSON text, shared by the contract suite
// (tests/models/contract_kinds.hpp) and the C ABI robustness tests (tests/robustness): with it
// a fit on 32 binary 8×8 images takes milliseconds. A kind missing here runs with its defaults,
// only slower: register it, then add a line here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gm_test {

inline std::string small_config_json(const std::string& kind) {
  if (kind == "markov") return R"({"order": 2})";
  if (kind == "fvsbn") return R"({"complete_samples": 8})";
  if (kind == "nade") return R"({"hidden": 8, "complete_samples": 8})";
  if (kind == "pixelcnn") return R"({"channels": 4, "layers": 2, "first_kernel": 3, "complete_samples": 4})";
  if (kind == "vae") return R"({"hidden": [16], "latent": 3, "iwae_samples": 4})";
  if (kind == "gan") return R"({"g_hidden": [16], "d_hidden": [16], "latent": 4})";
  if (kind == "dcgan" || kind == "cgan") return R"({"ngf": 4, "ndf": 4, "latent": 8})";
  if (kind == "infogan") return R"({"ngf": 4, "ndf": 4, "latent": 6, "categorical": [2], "continuous": 1})";
  if (kind == "cyclegan") return R"({"ngf": 2, "ndf": 2, "n_res": 1, "pool_size": 4})";
  if (kind == "stargan") return R"({"ngf": 2, "ndf": 4, "n_res": 1, "d_steps": 2})";
  if (kind == "progan")
    return R"({"latent": 4, "fmap_base": 8, "fmap_max": 4, "fade_images": 128, "stable_images": 32})";
  if (kind == "puzzlegan") return R"({"parts": 2, "patch_size": 4, "nef": 2, "ngf": 2, "ndf": 2, "noise": 2})";
  return "{}";
}

// n rows of d values, each exactly 0 or 1, from a 64-bit LCG (top bits): no library code,
// so a test of the library's allocations or threads does not depend on the library's RNG.
inline std::vector<float> lcg_binary_rows(int64_t n, int64_t d, uint64_t seed) {
  std::vector<float> x;
  x.reserve(static_cast<std::size_t>(n * d));
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (int64_t i = 0; i < n * d; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x.push_back(static_cast<float>((s >> 33) & 1));
  }
  return x;
}

// Labels r mod 2 for n rows: the binary kinds ignore them, cgan conditions on them.
inline std::vector<int32_t> alternating_labels(int64_t n) {
  std::vector<int32_t> labels;
  for (int64_t r = 0; r < n; ++r) labels.push_back(static_cast<int32_t>(r % 2));
  return labels;
}

}  // namespace gm_test
