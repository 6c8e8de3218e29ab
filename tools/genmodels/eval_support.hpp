// What the `classifier` and `eval` commands share: where the feature classifier lives, how
// it is trained when it is missing, and the checks that make image data its input.
#pragma once

#include <string>

#include "data/dataset.hpp"
#include "eval/classifier.hpp"

namespace gm::cli {

// $GENMODELS_CACHE, else $XDG_CACHE_HOME/genmodels, else ~/.cache/genmodels, with the file
// name fashion-mnist-classifier.safetensors. Throws invalid_argument if none is set.
std::string default_classifier_path();

struct ClassifierJob {
  std::string train = "fashion-mnist:train", test = "fashion-mnist:test";
  eval::ClassifierTrainOptions options;
};

// Trains on job.train, measures the accuracy on job.test (skipped when empty), saves to
// path (atomically, creating its folder) with the figures in the file's metadata, and
// reports on stderr. Returns the test accuracy (−1 without a test set).
double train_and_save_classifier(const ClassifierJob& job, const std::string& path, eval::FeatureClassifier& out);

// The classifier at `path`, or at default_classifier_path() when path is empty — trained
// there first (with a note on stderr) when that file does not exist yet.
eval::FeatureClassifier classifier_for_eval(const std::string& path, int threads);

// Loads spec as rows of 784 grey levels in [0, 1] (labels required if need_labels), with
// messages naming `what` ("--reference", "--data", ...).
Dataset load_grey_images(const std::string& spec, const std::string& what, bool need_labels);

}  // namespace gm::cli
