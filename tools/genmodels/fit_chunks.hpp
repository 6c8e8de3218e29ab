// fit --chunk-size N: data read a chunk of N rows at a time (data/row_stream.hpp) and fed to
// a kind that fits by counting (bernoulli, markov): the first chunk fits from scratch, every
// later one with warm_start, which adds its counts — the saved model is byte-identical to the
// one-shot fit, with memory bounded by the chunk rather than the data set.
#pragma once

#include <cstdint>
#include <string>

#include "common.hpp"
#include "models/generative_model.hpp"

namespace gm::cli {

// Refuses (invalid_argument) kinds that do not accumulate and data specs that do not stream,
// saying what to do; honours --binarize, --max-examples and --shape like DataFlags::load.
// Fits model, saves it to out and prints fit's summary lines.
void fit_in_chunks(GenerativeModel& model, const DataFlags& data, int64_t chunk_size, FitOptions options,
                   const std::string& out);

}  // namespace gm::cli
