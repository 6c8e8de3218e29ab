// What the adversarial kinds' fits share (cyclegan, stargan, progan, puzzlegan): Adam's options
// for the fit, and releasing the fit's optimisers however the training loop ends.
#pragma once

#include <memory>

#include "nn/optim.hpp"
#include "nn/trainer.hpp"

namespace gm::gan {

// The configured step size unless the caller's fit options give one; the model's configuration
// is not touched (a fit's learning rate is not part of the model).
inline nn::AdamOptions fit_adam_options(float lr, float beta1, float beta2, const nn::FitOptions& options) {
  nn::AdamOptions o;
  o.lr = options.learning_rate > 0 ? static_cast<float>(options.learning_rate) : lr;
  o.beta1 = beta1;
  o.beta2 = beta2;
  return o;
}

// Resets a fit's optimisers when the fit ends, returns or throws (a cancel keeps the model; the
// training state keeps the moments). Releases, never allocates: a destructor that allocated
// would terminate the process when the allocation failed.
template <class T>
struct ReleaseAtEnd {
  std::unique_ptr<T>& held;
  ~ReleaseAtEnd() { held.reset(); }
};

}  // namespace gm::gan
