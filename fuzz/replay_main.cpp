// A main for the harnesses without libFuzzer: runs LLVMFuzzerTestOneInput once over every
// file under the paths it is given (files or folders). The normal GCC build links each
// harness with it as fuzz_<name>_replay, and `meson test --suite fuzz` replays the checked-in
// corpora — in scripts/test.sh's build and, under ASan + UBSan, in scripts/sanitize.sh's —
// so every seed and every fixed crash keeps being checked without clang or a campaign.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {
int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return 1;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  int files = 0, errors = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path root(argv[i]);
    if (std::filesystem::is_directory(root)) {
      std::vector<std::filesystem::path> paths;
      for (const auto& e : std::filesystem::recursive_directory_iterator(root))
        if (e.is_regular_file()) paths.push_back(e.path());
      std::sort(paths.begin(), paths.end());
      for (const auto& p : paths) errors += replay(p), ++files;
    } else {
      errors += replay(root), ++files;
    }
  }
  std::printf("replayed %d inputs, %d unreadable\n", files, errors);
  return (errors == 0 && files > 0) ? 0 : 1;
}
