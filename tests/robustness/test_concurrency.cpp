// The C ABI's thread-safety promise (genmodels.h, "Thread safety"), for every registered
// kind: sample, log_prob, encode, decode, complete, save to bytes and the queries on one
// fitted model, called from several threads at once, each give exactly what one thread
// alone gives. Written for ThreadSanitizer (scripts/sanitize.sh runs it in the TSan build):
// each call runs with threads = 1, so every concurrent thread is a std::thread that TSan
// sees start and join, and no OpenMP team is involved (libgomp is not instrumented, and
// its barriers would look like races).
//
// Usage: test_concurrency [kind ...]   (default: every kind gm_kinds_json lists)
// Closing line: "concurrency: N kinds, N failed".
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <genmodels/genmodels.h>

#include <nlohmann/json.hpp>

#include "small_kinds.hpp"

namespace {

constexpr int kThreads = 4, kRepeats = 3;
constexpr int64_t kRows = 6, kD = 64;

gm_data view_of(const std::vector<float>& x, const std::vector<int32_t>& labels, int64_t n) {
  gm_data v;
  gm_data_init(&v);
  v.x = x.data();
  v.n = n;
  v.d = kD;
  v.channels = 1;
  v.height = 8;
  v.width = 8;
  v.labels = labels.data();
  v.num_classes = 2;
  return v;
}

// Everything a caller can observe of one fitted model, as bytes, from the calling thread.
struct Observed {
  std::vector<uint8_t> file;
  std::vector<float> samples, codes, decoded, completed, from_parts;
  std::vector<double> log_probs;
  int32_t status = GM_OK;  // the first failing call's status
  bool operator==(const Observed& o) const {
    auto same = [](const auto& a, const auto& b) {
      return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0);
    };
    return status == o.status && same(file, o.file) && same(samples, o.samples) && same(codes, o.codes) &&
           same(decoded, o.decoded) && same(completed, o.completed) && same(log_probs, o.log_probs) &&
           same(from_parts, o.from_parts);
  }
};

Observed observe(const gm_model* m, const std::vector<float>& x, const std::vector<int32_t>& labels) {
  Observed o;
  auto call = [&](int32_t status) {
    if (status != GM_OK && o.status == GM_OK) o.status = status;
  };
  uint32_t caps = 0;
  call(gm_model_capabilities(m, &caps, nullptr));
  gm_buffer* file = nullptr;
  call(gm_model_save_buffer(m, &file, nullptr));
  if (file) o.file.assign(gm_buffer_data(file), gm_buffer_data(file) + gm_buffer_size(file));
  gm_buffer_free(file);
  gm_buffer* config = nullptr;
  call(gm_model_config_json(m, &config, nullptr));
  int64_t patch_size = 0;
  if (config && (caps & GM_CAP_COMPLETE_FROM_PARTS))
    patch_size = nlohmann::json::parse(reinterpret_cast<const char*>(gm_buffer_data(config)))["patch_size"];
  gm_buffer_free(config);
  const gm_data rows = view_of(x, labels, kRows);
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 3;
  so.threads = 1;
  if (caps & GM_CAP_CONDITIONAL) so.labels = labels.data();
  gm_score_options eo;
  gm_score_options_init(&eo);
  eo.seed = 4;
  eo.threads = 1;
  if (caps & GM_CAP_SAMPLE) {
    o.samples.resize(kRows * kD);
    call(gm_model_sample(m, kRows, &so, o.samples.data(), kRows * kD, nullptr));
  }
  if (caps & GM_CAP_LOG_PROB) {
    o.log_probs.resize(kRows);
    call(gm_model_log_prob(m, &rows, &eo, o.log_probs.data(), kRows, nullptr));
  }
  if (caps & GM_CAP_ENCODE) {
    int64_t e = 0;
    call(gm_model_encode_dim(m, &e, nullptr));
    o.codes.resize(static_cast<std::size_t>(kRows * e));
    call(gm_model_encode(m, &rows, &eo, o.codes.data(), kRows * e, nullptr));
  }
  if (caps & GM_CAP_DECODE) {
    int64_t z = 0;
    call(gm_model_latent_dim(m, &z, nullptr));
    std::vector<float> codes(static_cast<std::size_t>(kRows * z));
    for (std::size_t i = 0; i < codes.size(); ++i) codes[i] = 0.25f * static_cast<float>(i % 5) - 0.5f;
    gm_data v;
    gm_data_init(&v);
    v.x = codes.data();
    v.n = kRows;
    v.d = z;
    o.decoded.resize(kRows * kD);
    call(gm_model_decode(m, &v, &so, o.decoded.data(), kRows * kD, nullptr));
  }
  if (caps & GM_CAP_COMPLETE) {
    std::vector<uint8_t> observed(kRows * kD);
    for (std::size_t i = 0; i < observed.size(); ++i) observed[i] = (i % 3) != 0;
    o.completed.resize(kRows * kD);
    call(gm_model_complete(m, &rows, observed.data(), &so, o.completed.data(), kRows * kD, nullptr));
  }
  if ((caps & GM_CAP_COMPLETE_FROM_PARTS) && patch_size > 0 && patch_size <= 8) {
    // Two patches of each 8×8 row: the top-left and bottom-right corners.
    const int64_t P = patch_size;
    std::vector<float> patches;
    std::vector<int64_t> positions;
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t at : {int64_t{0}, 8 - P}) {
        positions.insert(positions.end(), {at, at});
        for (int64_t y = 0; y < P; ++y)
          for (int64_t c = 0; c < P; ++c)
            patches.push_back(x[static_cast<std::size_t>(r * kD + (at + y) * 8 + at + c)]);
      }
    gm_data v;
    gm_data_init(&v);
    v.x = patches.data();
    v.n = 2 * kRows;
    v.d = P * P;
    v.channels = 1;
    v.height = P;
    v.width = P;
    gm_sample_options po;
    gm_sample_options_init(&po);
    po.seed = 3;
    po.threads = 1;
    o.from_parts.resize(kRows * kD);
    call(gm_model_complete_from_parts(m, &v, positions.data(), 2, &po, o.from_parts.data(), kRows * kD, nullptr));
  }
  return o;
}

bool run_kind(const std::string& kind) {
  const std::vector<float> x = gm_test::lcg_binary_rows(32, kD, 1);
  const std::vector<int32_t> labels = gm_test::alternating_labels(32);
  gm_model* m = nullptr;
  gm_error* err = nullptr;
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1;
  fo.batch_size = 16;
  fo.seed = 1;
  fo.threads = 1;
  const gm_data data = view_of(x, labels, 32);
  if (gm_model_create(kind.c_str(), gm_test::small_config_json(kind).c_str(), &m, &err) != GM_OK ||
      gm_model_fit(m, &data, &fo, &err) != GM_OK) {
    std::fprintf(stderr, "concurrency: %s: fit failed: %s\n", kind.c_str(), gm_error_message(err));
    gm_error_free(err);
    gm_model_free(m);
    return false;
  }
  const Observed alone = observe(m, x, labels);
  std::vector<int> same(kThreads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      bool ok = true;
      for (int rep = 0; rep < kRepeats; ++rep) ok = ok && observe(m, x, labels) == alone;
      same[static_cast<std::size_t>(t)] = ok;
    });
  for (std::thread& t : pool) t.join();
  gm_model_free(m);
  int agree = 0;
  for (int s : same) agree += s;
  const bool ok = alone.status == GM_OK && agree == kThreads;
  std::printf("  %-8s %d threads x %d rounds of every verb: %d of %d agree with one thread%s\n", kind.c_str(), kThreads,
              kRepeats, agree, kThreads, alone.status == GM_OK ? "" : " (a verb failed)");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> kinds;
  for (int i = 1; i < argc; ++i) kinds.emplace_back(argv[i]);
  if (kinds.empty()) {
    gm_buffer* b = nullptr;
    if (gm_kinds_json(&b, nullptr) != GM_OK) return 1;
    for (const auto& k : nlohmann::json::parse(reinterpret_cast<const char*>(gm_buffer_data(b))))
      kinds.push_back(k["kind"]);
    gm_buffer_free(b);
  }
  int failed = 0;
  for (const std::string& kind : kinds) failed += run_kind(kind) ? 0 : 1;
  std::printf("concurrency: %zu kinds, %d failed\n", kinds.size(), failed);
  return failed == 0 ? 0 : 1;
}
