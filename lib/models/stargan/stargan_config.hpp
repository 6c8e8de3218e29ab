// StarGAN's configuration (stargan.hpp has the model): network widths, the loss weights, the
// optimiser, and the domains.
//
// Domains are the fit data's labels (docs/gan.md, "Translation"). "domains" is 0 until fit
// reads K = max(num_classes, largest label + 1) from the data and fills it in, so a loaded
// model knows its generator's input width. "domain_names" (optional) names them in index
// order; without it (or empty) the names are "0" .. "K-1". A strings key of the schema (so
// `genmodels kinds` lists it): up to kMaxDomains names of 1 to kMaxNameBytes bytes, which
// read_config also requires to be distinct and at least 2 when given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace gm::stargan {

inline constexpr int64_t kMaxDomains = 1024;
inline constexpr std::size_t kMaxNameBytes = 256;

struct Config {
  int64_t ngf = 32, ndf = 64, n_res = 4;
  int64_t d_steps = 5;     // n_critic: discriminator steps per generator step
  int64_t mix_groups = 0;  // spatial mixing in the generator's bottleneck (nn/spatial_mix.hpp): 0 none
  float lambda_cls = 1.0f, lambda_rec = 10.0f, lambda_gp = 10.0f;
  float lambda_identity = 0.0f;  // L1(G(x, c′), x): not the paper's (0), docs/gan.md "Translation"
  float lr = 1e-4f, beta1 = 0.5f, beta2 = 0.999f;
  int64_t domains = 0;                    // K; 0 until fit (or from domain_names)
  std::vector<std::string> domain_names;  // empty: "0" .. "K-1"
};

// Reads and validates; effective receives the configuration with defaults filled in.
Config read_config(const Json& given, Json& effective);
const Schema& schema();

}  // namespace gm::stargan
