// Shared helpers for the io tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace gm_test {

// Runs fn and returns the Status of the gm::Error it throws, or ok.
template <typename F>
gm::Status status_of(F&& fn) {
  try {
    fn();
  } catch (const gm::Error& e) {
    return e.status();
  }
  return gm::Status::ok;
}

// A fresh, empty folder under the build's test folder.
inline std::string fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(GM_TEST_TMPDIR) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Names of the entries in a folder, sorted.
inline std::string list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += n + ";";
  return out;
}

}  // namespace gm_test
