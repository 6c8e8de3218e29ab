// `genmodels complete MODEL --patches K`: the complete_from_parts path of the complete command.
#pragma once

#include <cstdint>
#include <string>

#include "common.hpp"

namespace gm::cli {

struct PartsArgs {
  std::string out;
  int64_t patches = 0;     // K patches per input (0: the ordinary complete)
  int64_t patch_size = 0;  // must equal the model's (0: the model's)
  SampleOptions options;
  int64_t columns = 0;
  std::string key_patches = "object";  // where the patches are cut: "object" or "random"
};

void complete_from_parts_command(const GenerativeModel& model, const Dataset& data, const PartsArgs& args);

}  // namespace gm::cli
