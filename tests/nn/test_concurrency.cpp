// docs/design.md, "The C ABI": sample / log_prob / encode on one model may run from many threads at once.
// Every layer's forward is const and executes shared primitives with a scratchpad per call.
#include <doctest/doctest.h>

#include <cstring>
#include <thread>

#include <omp.h>
#include <xmmintrin.h>

#include "helpers.hpp"
#include "nn/activation.hpp"
#include "nn/batch_norm.hpp"
#include "nn/compute.hpp"
#include "nn/conv2d.hpp"
#include "nn/detail/plan_cache.hpp"
#include "nn/linear.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {
// A small conv net's inference path: conv → bn → leaky relu → linear → sigmoid.
struct Net {
  static constexpr int64_t B = 8, C = 3, H = 12, Co = 6, OH = 6, O = 10;
  ParameterStore store;
  Conv2d conv{store, "conv", {C, Co, 4, 2, 1, false}};
  BatchNorm bn{store, "bn", Co};
  Activation act{Act::leaky_relu, 0.2f};
  Linear fc{store, "fc", Co* OH* OH, O};
  Activation out{Act::sigmoid};

  Net() {
    gm::Rng rng(1, 0);
    conv.init(rng);
    fc.init(rng);
    const Vec rv = randu(Co, 3, 0.5f, 2.0f), rm = randn(Co, 4);
    std::copy(rv.begin(), rv.end(), store.value(bn.running_var()));
    std::copy(rm.begin(), rm.end(), store.value(bn.running_mean()));
  }
  Vec infer(const Vec& x) const {
    Vec h(B * Co * OH * OH), y(B * O);
    conv.forward(x.data(), h.data(), B, H, H);
    bn.forward_infer(h.data(), h.data(), B, OH * OH);
    act.forward(h.data(), h.data(), static_cast<int64_t>(h.size()));
    fc.forward(h.data(), y.data(), B);
    out.forward(y.data(), y.data(), static_cast<int64_t>(y.size()));
    return y;
  }
};

void run_concurrently(int omp_threads) {
  CAPTURE(omp_threads);
  const Net net;
  std::vector<Vec> inputs, expected;
  {
    ComputeScope scope(omp_threads);
    for (int t = 0; t < 4; ++t) {
      inputs.push_back(randn(Net::B * Net::C * Net::H * Net::H, 100 + t));
      expected.push_back(net.infer(inputs.back()));
    }
  }
  const int64_t plans_before = detail::plans_created();
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      ComputeScope scope(omp_threads);  // same thread count: the cached plans are shared
      for (int rep = 0; rep < 100; ++rep) {
        const Vec y = net.infer(inputs[static_cast<std::size_t>(t)]);
        if (std::memcmp(y.data(), expected[static_cast<std::size_t>(t)].data(), y.size() * 4) != 0)
          ++mismatches[static_cast<std::size_t>(t)];
      }
    });
  for (auto& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
  CHECK(detail::plans_created() == plans_before);  // no primitive rebuilt per thread
}
}  // namespace

TEST_CASE("inference from 4 threads on one model equals the single-thread result") {
  run_concurrently(1);
  run_concurrently(2);
}

TEST_CASE("compute scope: thread count and FTZ/DAZ for its lifetime, then restored") {
  const unsigned before = _mm_getcsr();
  const int threads_before = omp_get_max_threads();
  {
    ComputeScope scope(1);
    CHECK(omp_get_max_threads() == 1);
    CHECK((_mm_getcsr() & 0x8040u) == 0x8040u);
    volatile float tiny = 1e-30f;
    CHECK(tiny * 1e-10f == 0.0f);  // the denormal result is flushed
  }
  CHECK(_mm_getcsr() == before);
  CHECK(omp_get_max_threads() == threads_before);
}
