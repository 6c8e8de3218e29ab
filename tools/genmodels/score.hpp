// Scoring a data set: mean negative log-likelihood in nats, its standard error, and bits
// per dimension (nll / (D ln 2)).
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.hpp"
#include "data/dataset.hpp"
#include "models/generative_model.hpp"

namespace gm::cli {

struct Score {
  int64_t n = 0, d = 0;
  int64_t levels = 0;  // the model's (GenerativeModel::levels): 0 for real-valued kinds
  double nll_nats = 0, nll_stderr = 0, bits_per_dim = 0, seconds = 0;
  Json to_json() const;
};

// per_example (optional) receives log p(x) of every row.
Score score(const GenerativeModel& model, const Dataset& data, const EvalOptions& options,
            std::vector<double>* per_example = nullptr);

}  // namespace gm::cli
