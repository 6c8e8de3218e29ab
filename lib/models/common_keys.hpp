// Config keys that several kinds share, declared once so their range and doc agree.
#pragma once

#include "core/config.hpp"

namespace gm::keys {

inline KeySpec weight_decay() {
  return number_key("weight_decay", 0.0, 0.0, 1.0, "L2 penalty added to Adam's gradient (0: none)");
}

// fvsbn and nade complete by importance resampling over this many proposals a row.
inline KeySpec complete_samples() {
  return integer_key("complete_samples", 256, 1, int64_t{1} << 20,
                     "proposals per row for complete (importance resampling)");
}

}  // namespace gm::keys
