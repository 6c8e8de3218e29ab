// cyclegan's configuration: the keys, their defaults and ranges (make_schema in
// cyclegan_config.cpp; `genmodels kinds` lists them).
#pragma once

#include <cstdint>

#include "core/config.hpp"

namespace gm::cyclegan {

struct Config {
  int64_t ngf = 32;   // the generators' first width (then 2·ngf, 4·ngf at the bottleneck)
  int64_t ndf = 64;   // the discriminators' first width (then 2·ndf, 4·ndf)
  int64_t n_res = 6;  // residual blocks at the bottleneck
  float lambda_cycle = 10.0f;
  float lambda_identity = 0.5f;  // the identity loss weighs lambda_identity · lambda_cycle
  int64_t pool_size = 50;        // generated images each discriminator's history buffer keeps
  int64_t mix_groups = 0;        // spatial mixing at the generators' bottleneck (nn/spatial_mix.hpp): 0 none
  float lr = 2e-4f, beta1 = 0.5f, beta2 = 0.999f;
};

Config read_config(const Json& given, Json& effective);
const Schema& schema();

}  // namespace gm::cyclegan
