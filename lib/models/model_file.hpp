// Model files: a safetensors container whose __metadata__ carries
//   format = "genmodels", genmodels_version, kind, config (JSON text), data_shape (JSON
//   array [d, channels, height, width]).
// Loading treats the bytes as hostile: every failure is Error(corrupt_file / io_error /
// version_mismatch / unknown_kind), never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/generative_model.hpp"

namespace gm {

std::vector<uint8_t> save_model_bytes(const GenerativeModel& model);
void save_model_file(const GenerativeModel& model, const std::string& path);

// A checkpoint: the model file plus the model's training state (metadata "training" and
// tensors "training.*", nn/training_state.hpp). Throws unsupported for a kind that keeps no
// training state and not_fitted for a model without one.
std::vector<uint8_t> save_checkpoint_bytes(const GenerativeModel& model);
void save_checkpoint_file(const GenerativeModel& model, const std::string& path);

// Loads a model file or a checkpoint (then the model keeps its training state).
std::unique_ptr<GenerativeModel> load_model_bytes(const uint8_t* data, std::size_t size);
std::unique_ptr<GenerativeModel> load_model_file(const std::string& path);

}  // namespace gm
