// Failure injection (issue 12): for every registered kind and each of create, fit (a fresh
// model), refit (a fitted one), save to bytes and load from bytes, through the C ABI, fail
// the k-th allocation for k = 1, 2, 3, ... until a call runs with no failure injected. Every
// k must give GM_OK or GM_OUT_OF_MEMORY — never a crash or another status — and a failed call
// must change nothing: a failed fit leaves a fresh model unfitted, a failed refit leaves the
// model's saved bytes identical to before, a failed save or load hands back no buffer or
// model. Leaks are the sanitizer build's to find (scripts/sanitize.sh runs this there).
// alloc_hook.hpp says which allocations the hook reaches.
//
// Usage: test_alloc_failure [kind ...]   (default: every kind gm_kinds_json lists)
// Closing line: "alloc failure: N cases, N failed".
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

#include <genmodels/genmodels.h>

#include <nlohmann/json.hpp>

#include "alloc_hook.hpp"
#include "small_kinds.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <sanitizer/common_interface_defs.h>
#define GM_SANITIZED 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define GM_LEAK_CHECK 1
#endif

namespace {

using gm_test::small_config_json;

// The case under test, for a crash report: written before each call, printed by the signal
// handler, the terminate handler or the sanitizer's death callback.
char g_case[256] = "setup";
void print_case() {
  const char prefix[] = "\nalloc failure: crashed in case: ";
  (void)!write(2, prefix, sizeof prefix - 1);
  (void)!write(2, g_case, std::strlen(g_case));
  (void)!write(2, "\n", 1);
}
#ifndef GM_SANITIZED
void on_signal(int sig) {
  print_case();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
#endif

// 32 binary 1×8×8 images with labels r mod 2 of 2 classes: every kind accepts them, cgan
// conditions on the labels.
// The case "cgan-text": a cgan conditioned on sentences through its learned encoder
// (subword-ids-v3) with the sentence-class matching loss (text_match: class prototypes, the
// labels give each sentence's class) and conditioning augmentation (text_augment: g.augment,
// ε per sample), fitted on two alternating sentences' features.
constexpr const char* kTextCase = "cgan-text";
constexpr int64_t kTextDim = 64;  // two word slots of 32

struct Data {
  static constexpr int64_t n = 32, d = 64;
  std::vector<float> x = gm_test::lcg_binary_rows(n, d, 1);
  std::vector<int32_t> labels = gm_test::alternating_labels(n);
  std::vector<float> sentences = [] {
    std::vector<float> out(static_cast<std::size_t>(n * kTextDim));
    for (int64_t r = 0; r < n; ++r)
      if (gm_text_features_compute_v(r % 2 ? "ankle boots" : "red dresses", "subword-ids-v3", kTextDim,
                                     &out[static_cast<std::size_t>(r * kTextDim)], nullptr) != GM_OK)
        std::abort();  // a test setup failure, reported by the death handler
    return out;
  }();
  gm_data view(bool text = false) const {
    gm_data v;
    gm_data_init(&v);
    v.x = x.data();
    v.n = n;
    v.d = d;
    v.channels = 1;
    v.height = 8;
    v.width = 8;
    if (text) {
      v.conditions = sentences.data();
      v.condition_dim = kTextDim;
    }
    v.labels = labels.data();
    v.num_classes = 2;
    return v;
  }
};

gm_fit_options fit_options(uint64_t seed) {
  gm_fit_options o;
  gm_fit_options_init(&o);
  o.epochs = 1;
  o.batch_size = 16;
  o.seed = seed;
  o.threads = 1;  // the hook counts the calling thread only
  return o;
}

int g_cases = 0, g_failed = 0;

void failure(const std::string& what) {
  ++g_failed;
  std::fprintf(stderr, "alloc failure: FAILED: %s: %s\n", g_case, what.c_str());
}

#ifdef GM_LEAK_CHECK
// Leaks are found where they happen, not only at exit: after each operation's sweep (or
// after every k with GM_ALLOC_LEAK_CHECK=each, about 0.1 s a check under ASan), LeakSanitizer
// prints its report with the allocation stacks and the case fails. A check reports every
// block still leaked, so after the first leak the rest wait for the check at exit.
const bool g_leak_check_each = [] {
  const char* v = std::getenv("GM_ALLOC_LEAK_CHECK");
  return v != nullptr && std::strcmp(v, "each") == 0;
}();

bool leak_check() {
  static bool leaked = false;
  if (leaked || __lsan_do_recoverable_leak_check() == 0) return false;
  leaked = true;
  failure(g_leak_check_each ? "memory leaked (LeakSanitizer report above); later leaks are reported at exit"
                            : "memory leaked in this operation's sweep (LeakSanitizer report above; "
                              "GM_ALLOC_LEAK_CHECK=each finds the k); later leaks are reported at exit");
  return true;
}
#endif

std::vector<uint8_t> bytes_of(const gm_buffer* b) {
  return std::vector<uint8_t>(gm_buffer_data(b), gm_buffer_data(b) + gm_buffer_size(b));
}

// Not under the hook: these are the test's own reference calls and must succeed.
std::vector<uint8_t> save(const gm_model* m) {
  gm_buffer* b = nullptr;
  gm_error* err = nullptr;
  if (gm_model_save_buffer(m, &b, &err) != GM_OK) {
    failure(std::string("reference save failed: ") + gm_error_message(err));
    gm_error_free(err);
    return {};
  }
  std::vector<uint8_t> out = bytes_of(b);
  gm_buffer_free(b);
  return out;
}

gm_model* load(const std::vector<uint8_t>& bytes) {
  gm_model* m = nullptr;
  gm_error* err = nullptr;
  if (gm_model_load_buffer(bytes.data(), static_cast<int64_t>(bytes.size()), &m, &err) != GM_OK) {
    failure(std::string("reference load failed: ") + gm_error_message(err));
    gm_error_free(err);
    return nullptr;
  }
  return m;
}

std::string config_of(const gm_model* m) {
  gm_buffer* b = nullptr;
  if (gm_model_config_json(m, &b, nullptr) != GM_OK) return "?";
  std::string s(reinterpret_cast<const char*>(gm_buffer_data(b)), static_cast<std::size_t>(gm_buffer_size(b)));
  gm_buffer_free(b);
  return s;
}

struct Tally {
  int64_t points = 0;  // allocations the call makes (its clean run): each was failed or spared
  int64_t news = 0, aligned = 0;
  int64_t oom = 0;                             // GM_OUT_OF_MEMORY answers
  int64_t absorbed = 0;                        // GM_OK although an allocation failed (the library recovered)
  int64_t spared_json = 0, spared_onednn = 0;  // k not failed (alloc_hook.hpp says why)
  int bad = 0;
};

// One operation under the hook for k = 1, 2, ...: attempt(k) arms the hook, makes the call,
// disarms it, checks the outcome and returns the counts and the status.
template <typename Attempt>
Tally sweep(const std::string& kind, const char* op, Attempt&& attempt) {
  Tally t;
  for (int64_t k = 1;;) {
    std::snprintf(g_case, sizeof g_case, "kind %s, %s, failing the first allocation from k = %lld", kind.c_str(), op,
                  static_cast<long long>(k));
    ++g_cases;
    const int before = g_failed;
    int32_t status = GM_OK;
    const alloc_hook::Counts c = attempt(k, status);
#ifdef GM_LEAK_CHECK
    if (g_leak_check_each) leak_check();
#endif
    if (g_failed != before) ++t.bad;
    t.spared_json += c.spared_json;
    t.spared_onednn += c.spared_onednn;
    if (c.injected == 0) {  // no allocation from the k-th on could fail: all were tried
      if (status != GM_OK) {
        failure(std::string("the clean run returned ") + gm_status_name(status));
        ++t.bad;
      }
      t.points = c.total();
      t.news = c.news;
      t.aligned = c.aligned;
      break;
    }
    if (status == GM_OUT_OF_MEMORY) ++t.oom;
    if (status == GM_OK) ++t.absorbed;
    k = c.failed_at + 1;
    if (t.bad > 20) {
      std::fprintf(stderr, "alloc failure: %s %s: more than 20 bad cases, skipping the rest\n", kind.c_str(), op);
      break;
    }
  }
#ifdef GM_LEAK_CHECK
  if (!g_leak_check_each && leak_check()) ++t.bad;
#endif
  const auto ll = [](int64_t v) { return static_cast<long long>(v); };
  std::printf(
      "  %-9s %-6s %5lld allocations (%lld new, %lld aligned): %lld failed -> %lld GM_OUT_OF_MEMORY, "
      "%lld GM_OK; spared: %lld in json destructor, %lld oneDNN's; %d bad\n",
      kind.c_str(), op, ll(t.points), ll(t.news), ll(t.aligned), ll(t.oom + t.absorbed), ll(t.oom), ll(t.absorbed),
      ll(t.spared_json), ll(t.spared_onednn), t.bad);
  std::fflush(stdout);
  return t;
}

// The status must be GM_OK, or GM_OUT_OF_MEMORY with an error object that says so (or none,
// when even the error object could not be allocated).
bool status_ok(int32_t status, gm_error* err) {
  if (status == GM_OK) {
    if (err != nullptr) failure("GM_OK with an error object");
    return err == nullptr;
  }
  if (status != GM_OUT_OF_MEMORY) {
    failure(std::string(gm_status_name(status)) + " (" + gm_error_message(err) + ")");
    return false;
  }
  if (err != nullptr && gm_error_code(err) != GM_OUT_OF_MEMORY) {
    failure("GM_OUT_OF_MEMORY with an error object saying " + std::string(gm_status_name(gm_error_code(err))));
    return false;
  }
  return true;
}

void run_kind(const std::string& name, const Data& data) {
  const bool text = name == kTextCase;
  const std::string kind = text ? "cgan" : name;
  const std::string config =
      text
          ? R"({"ngf": 4, "ndf": 4, "latent": 8, "condition": "text", "text_features": "subword-ids-v3", "embed": 8, "text_match": 1, "text_augment": 1})"
          : small_config_json(kind);
  const gm_data view = data.view(text);
  std::snprintf(g_case, sizeof g_case, "kind %s, reference fit", name.c_str());
  gm_model* reference = nullptr;
  gm_error* err = nullptr;
  const gm_fit_options first = fit_options(1), second = fit_options(2);
  if (gm_model_create(kind.c_str(), config.c_str(), &reference, &err) != GM_OK ||
      gm_model_fit(reference, &view, &first, &err) != GM_OK) {
    failure(std::string("reference fit failed: ") + gm_error_message(err));
    gm_error_free(err);
    gm_model_free(reference);
    return;
  }
  const std::vector<uint8_t> fitted_bytes = save(reference);
  const std::string fitted_config = config_of(reference);

  sweep(name, "create", [&](int64_t k, int32_t& status) {
    gm_model* m = nullptr;
    gm_error* e = nullptr;
    alloc_hook::arm(k);
    status = gm_model_create(kind.c_str(), config.c_str(), &m, &e);
    const alloc_hook::Counts c = alloc_hook::disarm();
    if (status_ok(status, e) && status != GM_OK && m != nullptr) failure("a failed create handed back a model");
    gm_error_free(e);
    gm_model_free(m);
    return c;
  });

  sweep(name, "fit", [&](int64_t k, int32_t& status) {
    gm_model* m = nullptr;
    gm_model_create(kind.c_str(), config.c_str(), &m, nullptr);
    const std::string before = config_of(m);
    gm_error* e = nullptr;
    alloc_hook::arm(k);
    status = gm_model_fit(m, &view, &first, &e);
    const alloc_hook::Counts c = alloc_hook::disarm();
    if (status_ok(status, e) && status != GM_OK) {
      int32_t fitted = -1;
      gm_model_is_fitted(m, &fitted, nullptr);
      if (fitted != 0) failure("a failed first fit left the model fitted");
      if (config_of(m) != before) failure("a failed first fit changed the configuration");
    }
    if (status == GM_OK && save(m) != fitted_bytes)
      failure("a fit with a recovered failure differs from the reference");
    gm_error_free(e);
    gm_model_free(m);
    return c;
  });

  sweep(name, "refit", [&](int64_t k, int32_t& status) {
    gm_model* m = load(fitted_bytes);
    if (m == nullptr) return alloc_hook::Counts{};
    gm_error* e = nullptr;
    alloc_hook::arm(k);
    status = gm_model_fit(m, &view, &second, &e);
    const alloc_hook::Counts c = alloc_hook::disarm();
    if (status_ok(status, e) && status != GM_OK) {
      if (save(m) != fitted_bytes) failure("a failed refit changed the model's saved bytes");
      if (config_of(m) != fitted_config) failure("a failed refit changed the configuration");
    }
    gm_error_free(e);
    gm_model_free(m);
    return c;
  });

  sweep(name, "save", [&](int64_t k, int32_t& status) {
    gm_buffer* b = nullptr;
    gm_error* e = nullptr;
    alloc_hook::arm(k);
    status = gm_model_save_buffer(reference, &b, &e);
    const alloc_hook::Counts c = alloc_hook::disarm();
    if (status_ok(status, e)) {
      if (status != GM_OK && b != nullptr) failure("a failed save handed back a buffer");
      if (status == GM_OK && (b == nullptr || bytes_of(b) != fitted_bytes)) failure("a save gave other bytes");
    }
    if (save(reference) != fitted_bytes) failure("a save changed the model");
    gm_error_free(e);
    gm_buffer_free(b);
    return c;
  });

  sweep(name, "load", [&](int64_t k, int32_t& status) {
    gm_model* m = reinterpret_cast<gm_model*>(&status);  // a stale pointer the call must clear
    gm_error* e = nullptr;
    alloc_hook::arm(k);
    status = gm_model_load_buffer(fitted_bytes.data(), static_cast<int64_t>(fitted_bytes.size()), &m, &e);
    const alloc_hook::Counts c = alloc_hook::disarm();
    if (status_ok(status, e)) {
      if (status != GM_OK && m != nullptr) failure("a failed load left a model in *out");
      if (status == GM_OK && (m == nullptr || save(m) != fitted_bytes)) failure("a load gave another model");
    }
    gm_error_free(e);
    if (status == GM_OK) gm_model_free(m);
    return c;
  });

  gm_model_free(reference);
}

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate([] {
    print_case();
    std::abort();
  });
#ifdef GM_SANITIZED
  __sanitizer_set_death_callback(print_case);
#else
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, on_signal);
#endif
  std::vector<std::string> kinds;
  for (int i = 1; i < argc; ++i) kinds.emplace_back(argv[i]);
  if (kinds.empty()) {
    gm_buffer* b = nullptr;
    if (gm_kinds_json(&b, nullptr) != GM_OK) {
      std::fprintf(stderr, "alloc failure: gm_kinds_json failed\n");
      return 1;
    }
    for (const auto& k : nlohmann::json::parse(reinterpret_cast<const char*>(gm_buffer_data(b))))
      kinds.push_back(k["kind"]);
    gm_buffer_free(b);
    kinds.emplace_back(kTextCase);
  }
  const Data data;
  std::printf("alloc failure: failing the k-th allocation of each call, k = 1, 2, ... (threads = 1)\n");
  for (const std::string& kind : kinds) run_kind(kind, data);
  std::printf("alloc failure: %d cases, %d failed\n", g_cases, g_failed);
  return g_failed == 0 ? 0 : 1;
}
