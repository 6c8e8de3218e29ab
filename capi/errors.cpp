// Errors, status names, version and build information.
#include <omp.h>

#include <nlohmann/json.hpp>

#include "condition.hpp"
#include "core/distributed.hpp"
#include "core/engine.hpp"
#include "core/limits.hpp"
#include "gm_build_config.h"
#include "handles.hpp"

static_assert(GM_ABI_VERSION == GM_ABI_VERSION_NUMBER, "header and build disagree on the ABI version");
static_assert(GM_INVALID_ARGUMENT == static_cast<int>(gm::Status::invalid_argument));
static_assert(GM_UNSUPPORTED == static_cast<int>(gm::Status::unsupported));
static_assert(GM_BUFFER_TOO_SMALL == static_cast<int>(gm::Status::buffer_too_small));
static_assert(GM_INVALID_DATA == static_cast<int>(gm::Status::invalid_data));
static_assert(GM_INVALID_CONFIG == static_cast<int>(gm::Status::invalid_config));
static_assert(GM_UNKNOWN_KIND == static_cast<int>(gm::Status::unknown_kind));
static_assert(GM_NOT_FITTED == static_cast<int>(gm::Status::not_fitted));
static_assert(GM_IO_ERROR == static_cast<int>(gm::Status::io_error));
static_assert(GM_CORRUPT_FILE == static_cast<int>(gm::Status::corrupt_file));
static_assert(GM_CANCELLED == static_cast<int>(gm::Status::cancelled));
static_assert(GM_DIVERGED == static_cast<int>(gm::Status::diverged));
static_assert(GM_OUT_OF_MEMORY == static_cast<int>(gm::Status::out_of_memory));
static_assert(GM_VERSION_MISMATCH == static_cast<int>(gm::Status::version_mismatch));
static_assert(GM_INTERNAL == static_cast<int>(gm::Status::internal));

// lib/ keeps its own copies of the capability bits and condition kinds, without this header.
constexpr bool same_bit(gm_capability c, gm::Capability own) { return static_cast<uint32_t>(c) == own; }
static_assert(same_bit(GM_CAP_FIT, gm::cap_fit) && same_bit(GM_CAP_SAMPLE, gm::cap_sample) &&
              same_bit(GM_CAP_LOG_PROB, gm::cap_log_prob) && same_bit(GM_CAP_ENCODE, gm::cap_encode) &&
              same_bit(GM_CAP_DECODE, gm::cap_decode) && same_bit(GM_CAP_COMPLETE, gm::cap_complete) &&
              same_bit(GM_CAP_TRANSLATE, gm::cap_translate) && same_bit(GM_CAP_CONDITIONAL, gm::cap_conditional) &&
              same_bit(GM_CAP_BINARY_DATA, gm::cap_binary_data) &&
              same_bit(GM_CAP_EXACT_LOG_PROB, gm::cap_exact_log_prob) && same_bit(GM_CAP_LEVELS, gm::cap_levels) &&
              same_bit(GM_CAP_COMPLETE_FROM_PARTS, gm::cap_complete_from_parts));
constexpr bool same_condition(gm_condition_kind c, gm::ConditionKind own) {
  return static_cast<int32_t>(c) == static_cast<int32_t>(own);
}
static_assert(same_condition(GM_CONDITION_NONE, gm::ConditionKind::none) &&
              same_condition(GM_CONDITION_LABEL, gm::ConditionKind::label) &&
              same_condition(GM_CONDITION_VECTOR, gm::ConditionKind::vector) &&
              same_condition(GM_CONDITION_TEXT, gm::ConditionKind::text));

namespace gm::capi {

void set_error(gm_error** err, int32_t code, const char* message) noexcept {
  if (err == nullptr) return;
  try {
    *err = new gm_error{code, message};
  } catch (...) {
    *err = nullptr;  // cannot even allocate the error; the status still tells
  }
}

}  // namespace gm::capi

extern "C" {

int32_t gm_error_code(const gm_error* err) { return err ? err->code : GM_INTERNAL; }
const char* gm_error_message(const gm_error* err) { return err ? err->message.c_str() : ""; }
void gm_error_free(gm_error* err) { delete err; }

const char* gm_status_name(int32_t status) {
  switch (status) {
    case GM_OK: return "GM_OK";
    case GM_INVALID_ARGUMENT: return "GM_INVALID_ARGUMENT";
    case GM_UNSUPPORTED: return "GM_UNSUPPORTED";
    case GM_BUFFER_TOO_SMALL: return "GM_BUFFER_TOO_SMALL";
    case GM_INVALID_DATA: return "GM_INVALID_DATA";
    case GM_INVALID_CONFIG: return "GM_INVALID_CONFIG";
    case GM_UNKNOWN_KIND: return "GM_UNKNOWN_KIND";
    case GM_NOT_FITTED: return "GM_NOT_FITTED";
    case GM_IO_ERROR: return "GM_IO_ERROR";
    case GM_CORRUPT_FILE: return "GM_CORRUPT_FILE";
    case GM_CANCELLED: return "GM_CANCELLED";
    case GM_DIVERGED: return "GM_DIVERGED";
    case GM_OUT_OF_MEMORY: return "GM_OUT_OF_MEMORY";
    case GM_VERSION_MISMATCH: return "GM_VERSION_MISMATCH";
    case GM_INTERNAL: return "GM_INTERNAL";
    default: return "GM_UNKNOWN_STATUS";
  }
}

const char* gm_version(void) { return GM_VERSION_STRING; }
int32_t gm_abi_version(void) { return GM_ABI_VERSION; }

const char* gm_build_info(void) {
  // Built once (thread-safe static initialisation); never throws out of here.
  static const std::string info = [] {
    try {
      nlohmann::json j = {{"version", GM_VERSION_STRING},     {"abi_version", GM_ABI_VERSION},
                          {"compiler", GM_COMPILER},          {"build_type", GM_BUILD_TYPE},
                          {"onednn", gm::onednn_version()},   {"openmp_max_threads", omp_get_max_threads()},
                          {"mpi", gm::dist::built_with_mpi()}};
      return j.dump();
    } catch (...) {
      return std::string("{}");
    }
  }();
  return info.c_str();
}

const uint8_t* gm_buffer_data(const gm_buffer* buf) { return buf ? buf->bytes.data() : nullptr; }
int64_t gm_buffer_size(const gm_buffer* buf) {
  if (!buf) return 0;
  // Text buffers keep a NUL terminator that is not counted.
  return static_cast<int64_t>(buf->bytes.size()) - (buf->is_text ? 1 : 0);
}
void gm_buffer_free(gm_buffer* buf) { delete buf; }

void gm_set_memory_budget(int64_t bytes) { gm::limits::set_memory_budget(bytes); }
int64_t gm_memory_budget(void) { return gm::limits::memory_budget(); }

}  // extern "C"
