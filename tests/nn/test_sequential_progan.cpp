// Sequential's ProGAN options (issue 16): equalised learning rate, upsampling before a conv,
// pixel norm after the activation, average pooling after it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "helpers.hpp"
#include "nn/compute.hpp"
#include "nn/equalized_lr.hpp"
#include "nn/pixel_norm.hpp"
#include "nn/resample.hpp"
#include "nn/sequential.hpp"

using namespace gm::nn;
using namespace nntest;

namespace {
StageSpec stage(Layer layer, const char* name, int64_t in, int64_t out, int64_t side, int64_t kernel, int64_t padding,
                Act act) {
  StageSpec s;
  s.layer = layer;
  s.name = name;
  s.in = in;
  s.out = out;
  s.in_h = s.in_w = side;
  s.kernel = kernel;
  s.padding = padding;
  s.act = act;
  s.equalized = true;
  return s;
}

// ProGAN's generator at 8×8, scaled down: the latent (8 channels at 1×1) through a 4×4
// transposed conv (the official first dense layer), a 3×3 conv, then upsampling and a 3×3
// conv, each LeakyReLU + pixel norm, and a 1×1 toRGB at gain 1.
void build_generator(Sequential& net, ParameterStore& store, Act act = Act::leaky_relu) {
  StageSpec s = stage(Layer::deconv, "g0", 8, 6, 1, 4, 0, act);
  s.pixel_norm = true;
  net.add(store, s);
  s = stage(Layer::conv, "g1", 6, 6, 4, 3, 1, act);
  s.pixel_norm = true;
  net.add(store, s);
  s = stage(Layer::conv, "g2", 6, 4, 4, 3, 1, act);
  s.upsample = true;
  s.pixel_norm = true;
  net.add(store, s);
  s = stage(Layer::conv, "g3", 4, 1, 8, 1, 0, Act::none);
  s.gain = 1.0f;
  net.add(store, s);
}

// ProGAN's discriminator at 8×8, scaled down: fromRGB 1×1, a 3×3 conv, a 3×3 conv followed by
// the 2×2 average pool (after its LeakyReLU), a dense layer and the score at gain 1.
void build_discriminator(Sequential& net, ParameterStore& store, Act act = Act::leaky_relu) {
  net.add(store, stage(Layer::conv, "d0", 1, 4, 8, 1, 0, act));
  net.add(store, stage(Layer::conv, "d1", 4, 4, 8, 3, 1, act));
  StageSpec s = stage(Layer::conv, "d2", 4, 8, 8, 3, 1, act);
  s.avg_pool = true;
  net.add(store, s);
  net.add(store, stage(Layer::dense, "d3", 8 * 4 * 4, 4, 1, 0, 0, act));
  s = stage(Layer::dense, "d4", 4, 1, 1, 0, 0, Act::none);
  s.gain = 1.0f;
  net.add(store, s);
}

// The remaining paths: pixel norm on a dense stage (over its features), an equalised
// reflection-padded conv (the scale on the padded copy), an equalised stride-2 transposed conv
// with instance norm and an average pool.
void build_mixed(Sequential& net, ParameterStore& store) {
  StageSpec s = stage(Layer::dense, "m0", 6, 2 * 3 * 3, 1, 0, 0, Act::leaky_relu);
  s.pixel_norm = true;
  net.add(store, s);
  s = stage(Layer::conv, "m1", 2, 3, 3, 3, 1, Act::relu);
  s.reflect = true;
  net.add(store, s);
  s = stage(Layer::deconv, "m2", 3, 2, 3, 4, 1, Act::tanh);
  s.stride = 2;
  s.instance_norm = true;
  s.avg_pool = true;
  net.add(store, s);
}

void copy_by_name(const ParameterStore& from, ParameterStore& to) {
  for (int32_t i = 0; i < to.count(); ++i) {
    const auto& e = to.entry(ParamId{i});
    std::copy_n(from.value(from.find(e.name)), e.size, to.value(ParamId{i}));
  }
}

void leaky(float* y, int64_t n) { Activation(Act::leaky_relu, 0.2f).forward(y, y, n); }
}  // namespace

TEST_CASE("sequential progan: a generator and a discriminator match their hand composition") {
  ComputeScope scope(1);
  const int64_t B = 3;
  SUBCASE("generator") {
    ParameterStore store;
    Sequential net;
    build_generator(net, store);
    CHECK(net.in_size() == 8);
    CHECK(net.out_size() == 64);
    CHECK(net.weight_scale(0) == doctest::Approx(std::sqrt(2.0 / (8 * 16))));
    CHECK(net.weight_scale(2) == doctest::Approx(std::sqrt(2.0 / (6 * 9))));
    CHECK(net.weight_scale(3) == doctest::Approx(1 / std::sqrt(4.0)));
    gm::Rng rng(1, 0);
    net.init_default(rng);
    const Vec b = randn(store.size(net.bias(1)), 2);  // a bias that is not zero
    std::copy(b.begin(), b.end(), store.value(net.bias(1)));

    ParameterStore hs;
    EqualizedConv2d c0(hs, "g0", ConvSpec{8, 6, 4, 1, 0, true}, true);
    EqualizedConv2d c1(hs, "g1", ConvSpec{6, 6, 3, 1, 1, true});
    EqualizedConv2d c2(hs, "g2", ConvSpec{6, 4, 3, 1, 1, true});
    EqualizedConv2d c3(hs, "g3", ConvSpec{4, 1, 1, 1, 0, true}, false, 1.0f);
    copy_by_name(store, hs);
    const Vec z = randn(B * 8, 3);
    Vec a(B * 6 * 16), p(B * 6 * 16), u(B * 6 * 64), c(B * 4 * 64), y(B * 64);
    c0.forward(z.data(), a.data(), B, 1, 1);
    leaky(a.data(), a.size());
    pixel_norm_forward(a.data(), p.data(), B, 6, 16);
    c1.forward(p.data(), a.data(), B, 4, 4);
    leaky(a.data(), a.size());
    pixel_norm_forward(a.data(), p.data(), B, 6, 16);
    upsample_nearest2x_forward(p.data(), u.data(), B, 6, 4, 4);
    c2.forward(u.data(), c.data(), B, 8, 8);
    leaky(c.data(), c.size());
    pixel_norm_forward(c.data(), c.data(), B, 4, 64);
    c3.forward(c.data(), y.data(), B, 8, 8);

    SequentialWork work;
    const float* out = net.forward_train(z.data(), B, work);
    CHECK(rel_err(out, y.data(), y.size()) < 1e-6);
    SequentialWork infer;
    CHECK(std::equal(out, out + y.size(), net.forward_infer(z.data(), B, infer)));
  }
  SUBCASE("discriminator") {
    ParameterStore store;
    Sequential net;
    build_discriminator(net, store);
    CHECK(net.in_size() == 64);
    CHECK(net.out_size() == 1);
    CHECK(net.weight_scale(3) == doctest::Approx(std::sqrt(2.0 / 128)));
    gm::Rng rng(4, 0);
    net.init_default(rng);
    std::copy_n(randn(8, 5).begin(), 8, store.value(net.bias(2)));

    ParameterStore hs;
    EqualizedConv2d c0(hs, "d0", ConvSpec{1, 4, 1, 1, 0, true});
    EqualizedConv2d c1(hs, "d1", ConvSpec{4, 4, 3, 1, 1, true});
    EqualizedConv2d c2(hs, "d2", ConvSpec{4, 8, 3, 1, 1, true});
    EqualizedLinear f3(hs, "d3", 128, 4);
    EqualizedLinear f4(hs, "d4", 4, 1, true, 1.0f);
    copy_by_name(store, hs);
    const Vec x = randn(B * 64, 6);
    Vec a(B * 4 * 64), b(B * 4 * 64), c(B * 8 * 64), p(B * 128), h(B * 4), y(B);
    c0.forward(x.data(), a.data(), B, 8, 8);
    leaky(a.data(), a.size());
    c1.forward(a.data(), b.data(), B, 8, 8);
    leaky(b.data(), b.size());
    c2.forward(b.data(), c.data(), B, 8, 8);
    leaky(c.data(), c.size());
    avg_pool2x2_forward(c.data(), p.data(), B, 8, 8, 8);
    f3.forward(p.data(), h.data(), B);
    leaky(h.data(), h.size());
    f4.forward(h.data(), y.data(), B);

    SequentialWork work;
    const float* out = net.forward_train(x.data(), B, work);
    CHECK(rel_err(out, y.data(), y.size()) < 1e-6);
    // Stage outputs are the pooled and pixel-normed values the next stage reads.
    CHECK(rel_err(net.stage_output(2, work), p.data(), p.size()) < 1e-6);
  }
}

TEST_CASE("sequential progan: stage_tensors, and init_default draws N(0, 1) weights and zero biases") {
  ComputeScope scope(1);
  for (const int chain : {0, 1, 2}) {
    CAPTURE(chain);
    ParameterStore store;
    Sequential net;
    if (chain == 0)
      build_generator(net, store);
    else if (chain == 1)
      build_discriminator(net, store);
    else
      build_mixed(net, store);
    std::vector<std::pair<std::string, std::vector<int64_t>>> planned, registered;
    for (std::size_t i = 0; i < net.size(); ++i)
      for (auto& t : stage_tensors(net.spec(i))) planned.push_back(t);
    for (const gm::TensorRef& t : store.tensors()) registered.push_back({t.name, t.shape});
    CHECK(planned == registered);

    std::fill(store.values(), store.values() + store.trainable_size(), 7.0f);
    gm::Rng rng(8, 0);
    net.init_default(rng);
    for (std::size_t i = 0; i < net.size(); ++i) {
      const float* w = store.value(net.weight(i));
      const int64_t n = store.size(net.weight(i));
      // N(0, 1), not PyTorch's U(±1/√fan_in): some draw beyond 1 among ≥ 32.
      CHECK(std::any_of(w, w + n, [](float v) { return std::fabs(v) > 1.0f; }));
      CHECK(std::none_of(w, w + n, [](float v) { return v == 7.0f; }));
      if (net.bias(i).valid()) {
        const float* b = store.value(net.bias(i));
        CHECK(std::all_of(b, b + store.size(net.bias(i)), [](float v) { return v == 0.0f; }));
      }
    }
  }
}

TEST_CASE("sequential progan: finite-difference gradients of parameters and input") {
  // tanh in place of LeakyReLU: with ~4000 LeakyReLU units a step of any size from 1e-2 to
  // 1e-4 moves some unit across its kink (worst entries 0.15–0.43 off, from a few entries), so
  // the check would measure kinks, not the gradient. The LeakyReLU chains' forward is the hand
  // composition's above; LeakyReLU's backward is test_activation's.
  ComputeScope scope(1);
  for (const int chain : {0, 1, 2}) {
    CAPTURE(chain);
    ParameterStore store;
    Sequential net;
    if (chain == 0)
      build_generator(net, store, Act::tanh);
    else if (chain == 1)
      build_discriminator(net, store, Act::tanh);
    else
      build_mixed(net, store);
    gm::Rng rng(9, 0);
    net.init_default(rng);
    const Vec biases = randn(store.trainable_size(), 10, 0.3f);  // biases off zero
    for (std::size_t i = 0; i < net.size(); ++i)
      if (net.bias(i).valid()) std::copy_n(biases.begin(), store.size(net.bias(i)), store.value(net.bias(i)));
    const int64_t B = 4;  // the mixed chain's instance norm and the pools see several images
    Vec x = randn(B * net.in_size(), 11);
    const Vec r = randn(B * net.out_size(), 12);
    SequentialWork work;
    auto loss = [&] { return dot(r, net.forward_train(x.data(), B, work)); };

    store.zero_grad();
    loss();
    Vec dy = r, dx(x.size());
    net.backward(x.data(), dy.data(), dx.data(), B, work);
    const Vec grads(store.grads(), store.grads() + store.trainable_size());
    // Worst entries at a step of 3e-3: 0.0031, 0.0015, 0.0018 (parameters), 0.0020, 0.0054,
    // 0.0003 (input); smaller steps drown in float noise (0.03–0.14 at 1e-4). A wrong gradient
    // (a missing c, a missing projection, a pool read off its window) is O(1).
    CHECK(grad_check(store.values(), grads.data(), store.trainable_size(), loss, 3e-3f) < 2e-2);
    CHECK(grad_check(x.data(), dx.data(), static_cast<int64_t>(x.size()), loss, 3e-3f) < 2e-2);

    // Input gradient only: the same dx, no weight gradient.
    store.zero_grad();
    loss();
    Vec dy2 = r, dx2(x.size());
    net.backward(x.data(), dy2.data(), dx2.data(), B, work, /*weights*/ false);
    CHECK(rel_err(dx2, dx) < 1e-6);
    for (std::size_t i = 0; i < net.size(); ++i)
      for (int64_t k = 0; k < store.size(net.weight(i)); ++k) REQUIRE(store.grad(net.weight(i))[k] == 0.0f);

    // Without the scale on the weights' gradient the check fails: the gradient of the
    // effective weights is the stored weights' divided by c.
    Vec unscaled = grads;
    for (std::size_t i = 0; i < net.size(); ++i) {
      const int64_t at = store.value(net.weight(i)) - store.values();
      for (int64_t k = 0; k < store.size(net.weight(i)); ++k)
        unscaled[static_cast<std::size_t>(at + k)] /= net.weight_scale(i);
    }
    CHECK(grad_check(store.values(), unscaled.data(), store.trainable_size(), loss, 3e-3f) > 0.5);
  }
}

TEST_CASE("sequential progan: the options refuse what has no meaning") {
  ComputeScope scope(1);
  auto refuses = [](StageSpec s) {
    ParameterStore store;
    Sequential net;
    CHECK_THROWS_AS(net.add(store, s), gm::Error);
  };
  const StageSpec conv = stage(Layer::conv, "c", 2, 3, 4, 3, 1, Act::leaky_relu);
  StageSpec s = conv;
  s.layer = Layer::deconv;
  s.upsample = true;  // upsampling belongs before a conv
  refuses(s);
  s = stage(Layer::dense, "d", 4, 3, 1, 0, 0, Act::none);
  s.upsample = true;
  refuses(s);
  s = stage(Layer::dense, "d", 4, 3, 1, 0, 0, Act::none);
  s.avg_pool = true;
  refuses(s);
  s = conv;
  s.upsample = true;
  s.reflect = true;
  refuses(s);
  s = stage(Layer::residual, "r", 2, 2, 4, 0, 0, Act::none);  // equalized is set by stage()
  refuses(s);
  s = conv;
  s.gain = 0.0f;
  refuses(s);
  s = conv;
  s.in_h = s.in_w = 3;  // a 3×3 output cannot be pooled 2×2
  s.avg_pool = true;
  refuses(s);
  s.equalized = false;  // the same stage without the options is fine
  s.avg_pool = false;
  ParameterStore store;
  Sequential net;
  CHECK_NOTHROW(net.add(store, s));
  CHECK(net.weight_scale(0) == 1.0f);
}
