// The C handles and the one place where C++ exceptions become status codes.
// Every exported function body runs inside guarded(): nothing escapes to C.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/dataset.hpp"
#include "genmodels/genmodels.h"
#include "models/generative_model.hpp"

struct gm_error {
  int32_t code;
  std::string message;
};

struct gm_buffer {
  std::vector<uint8_t> bytes;
  bool is_text = false;  // bytes end with a NUL that gm_buffer_size does not count
};

struct gm_model {
  std::unique_ptr<gm::GenerativeModel> impl;
};

struct gm_dataset {
  gm::Dataset data;
};

namespace gm::capi {

void set_error(gm_error** err, int32_t code, const char* message) noexcept;

// Runs body; maps gm::Error to its status, std::bad_alloc to GM_OUT_OF_MEMORY and anything
// else to GM_INTERNAL, storing the message in *err (when err is not NULL). On success *err
// is set to NULL.
template <typename Body>
int32_t guarded(gm_error** err, Body&& body) noexcept {
  try {
    body();
    if (err) *err = nullptr;
    return GM_OK;
  } catch (const gm::Error& e) {
    set_error(err, static_cast<int32_t>(e.status()), e.what());
    return static_cast<int32_t>(e.status());
  } catch (const std::bad_alloc&) {
    set_error(err, GM_OUT_OF_MEMORY, "out of memory");
    return GM_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_error(err, GM_INTERNAL, e.what());
    return GM_INTERNAL;
  } catch (...) {
    set_error(err, GM_INTERNAL, "unknown exception");
    return GM_INTERNAL;
  }
}

// Argument checks that throw invalid_argument naming the parameter.
template <typename T>
T* require(T* pointer, const char* name) {
  if (pointer == nullptr) gm::fail(gm::Status::invalid_argument, "{} must not be NULL", name);
  return pointer;
}
const gm::GenerativeModel& model_of(const gm_model* model);
gm::GenerativeModel& model_of(gm_model* model);

// Fields a caller's (possibly older, smaller) struct actually has: a field is read only
// if struct_size covers it, else it keeps its default.
#define GM_HAS_FIELD(ptr, type, field) ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)nullptr)->field))

gm::DataView view_of(const gm_data* data, const char* name);
// out_capacity must hold rows * width values (overflow-checked).
void require_capacity(int64_t rows, int64_t width, int64_t capacity, const char* name);

gm_buffer* make_buffer(std::vector<uint8_t> bytes);
gm_buffer* make_text_buffer(const std::string& text);

}  // namespace gm::capi
