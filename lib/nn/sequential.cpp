#include "nn/sequential.hpp"

#include "core/error.hpp"
#include "nn/reflect_pad.hpp"

namespace gm::nn {

namespace {
void grow(Buffer& b, int64_t n) {
  if (b.size() < n) b.resize(n);
}

// The spec's combinations that have no meaning, as invalid_config.
void check(const StageSpec& spec) {
  if (spec.in < 1 || spec.out < 1) fail(Status::invalid_config, "stage {}: widths must be >= 1", spec.name);
  if (spec.batch_norm && spec.instance_norm)
    fail(Status::invalid_config, "stage {}: batch norm or instance norm, not both", spec.name);
  if (spec.instance_norm && spec.layer == Layer::dense)
    fail(Status::invalid_config, "stage {}: instance norm needs a spatial stage (one value per channel gives beta)",
         spec.name);
  if (spec.reflect && spec.layer != Layer::conv && spec.layer != Layer::residual)
    fail(Status::invalid_config, "stage {}: reflection padding is for conv and residual stages", spec.name);
  const int64_t pad = spec.layer == Layer::residual ? 1 : spec.padding;
  if (spec.reflect && (pad >= spec.in_h || pad >= spec.in_w))
    fail(Status::invalid_config, "stage {}: reflection padding {} needs an input larger than {}x{}", spec.name, pad,
         spec.in_h, spec.in_w);
  if (spec.layer == Layer::residual) {
    if (spec.in != spec.out)
      fail(Status::invalid_config, "stage {}: a residual block keeps its {} channels, not {}", spec.name, spec.in,
           spec.out);
    if (spec.batch_norm || spec.instance_norm)
      fail(Status::invalid_config, "stage {}: a residual stage has its own instance norms, no norm after", spec.name);
  }
  if (spec.layer == Layer::mix) {
    if (spec.in != spec.out)
      fail(Status::invalid_config, "stage {}: a mix stage keeps its {} channels, not {}", spec.name, spec.in, spec.out);
    if (spec.batch_norm || spec.instance_norm || spec.reflect)
      fail(Status::invalid_config, "stage {}: a mix stage takes no norm and no padding", spec.name);
  }
  if (spec.act == Act::softplus)
    fail(Status::invalid_config, "stage {}: softplus cannot run in place (its backward reads the input)", spec.name);
}
}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> stage_tensors(const StageSpec& spec) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  const std::string& n = spec.name;
  const int64_t k = spec.kernel, C = spec.out;
  switch (spec.layer) {
    case Layer::dense: out.push_back({n + ".weight", {spec.out, spec.in}}); break;
    case Layer::conv: out.push_back({n + ".weight", {spec.out, spec.in, k, k}}); break;
    case Layer::deconv: out.push_back({n + ".weight", {spec.in, spec.out, k, k}}); break;
    case Layer::residual:
      for (const char* i : {"1", "2"}) {
        out.push_back({n + ".conv" + i + ".weight", {C, C, 3, 3}});
        if (spec.affine) {
          out.push_back({n + ".in" + i + ".weight", {C}});
          out.push_back({n + ".in" + i + ".bias", {C}});
        }
      }
      return out;  // the block's own; no bias, no norm after it
    case Layer::mix:
      out.push_back({n + ".weight", {spec.groups, spec.in_h * spec.in_w, spec.in_h * spec.in_w}});
      return out;
  }
  if (spec.bias) out.push_back({n + ".bias", {C}});
  if (spec.batch_norm)
    for (const char* t : {".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var"}) out.push_back({n + t, {C}});
  if (spec.instance_norm && spec.affine)
    for (const char* t : {".in.weight", ".in.bias"}) out.push_back({n + t, {C}});
  return out;
}

void Sequential::add(ParameterStore& store, const StageSpec& spec) {
  Stage s;
  s.spec = spec;
  check(spec);
  if (!stages_.empty()) {
    const Stage& prev = stages_.back();
    const int64_t in = spec.layer == Layer::dense ? spec.in : spec.in * spec.in_h * spec.in_w;
    if (in != prev.out_floats())
      fail(Status::invalid_config, "stage {} takes {} values per row but the stage before gives {}", spec.name, in,
           prev.out_floats());
  }
  if (spec.layer == Layer::dense) {
    s.linear = std::make_unique<Linear>(store, spec.name, spec.in, spec.out, spec.bias);
  } else if (spec.layer == Layer::residual) {
    s.res = std::make_unique<ResidualBlock>(store, spec.name, spec.in, spec.affine, spec.reflect);
    s.out_h = spec.in_h;
    s.out_w = spec.in_w;
  } else if (spec.layer == Layer::mix) {
    s.mix = std::make_unique<SpatialMix>(store, spec.name, spec.in, spec.in_h * spec.in_w, spec.groups);
    s.out_h = spec.in_h;
    s.out_w = spec.in_w;
  } else {
    // A reflection-padded conv runs on the padded input without padding of its own.
    const int64_t pad = spec.reflect ? 0 : spec.padding, grown = spec.reflect ? 2 * spec.padding : 0;
    const ConvSpec cs{spec.in, spec.out, spec.kernel, spec.stride, pad, spec.bias};
    if (spec.layer == Layer::deconv)
      s.conv = std::make_unique<ConvTranspose2d>(store, spec.name, cs);
    else
      s.conv = std::make_unique<Conv2d>(store, spec.name, cs);
    s.out_h = s.conv->out_size(spec.in_h + grown);
    s.out_w = s.conv->out_size(spec.in_w + grown);
  }
  if (spec.batch_norm) s.bn = std::make_unique<BatchNorm>(store, spec.name + ".bn", spec.out);
  if (spec.instance_norm) s.in = std::make_unique<InstanceNorm>(store, spec.name + ".in", spec.out, spec.affine);
  if (spec.act != Act::none && spec.act != Act::relu)
    s.act = std::make_unique<Activation>(spec.act, spec.act == Act::leaky_relu ? spec.alpha : 0.0f);
  // The first and the last tensor the stage registered.
  const ParamId w =
      s.res ? s.res->first_param() : (s.mix ? s.mix->weight() : (s.linear ? s.linear->weight() : s.conv->weight()));
  const ParamId b = s.linear ? s.linear->bias() : (s.conv ? s.conv->bias() : ParamId{});
  if (!first_.valid()) first_ = w;
  last_ = s.res ? s.res->last_param() : (b.valid() ? b : w);
  if (s.bn) last_ = s.bn->beta();
  if (s.in && s.in->affine()) last_ = s.in->beta();
  stages_.push_back(std::move(s));
}

void Sequential::init_default(Rng& rng) {
  for (Stage& s : stages_) {
    if (s.linear)
      s.linear->init(rng);
    else if (s.res)
      s.res->init(rng);
    else if (s.mix)
      s.mix->init_zero();  // the identity map
    else
      s.conv->init(rng);
  }
}

int64_t Sequential::in_size() const { return stages_.empty() ? 0 : stages_.front().in_floats(); }
int64_t Sequential::out_size() const { return stages_.empty() ? 0 : stages_.back().out_floats(); }

ParamId Sequential::weight(std::size_t i) const {
  const Stage& s = stages_[i];
  if (s.mix) return s.mix->weight();
  return s.linear ? s.linear->weight() : (s.res ? s.res->first_param() : s.conv->weight());
}
ParamId Sequential::bias(std::size_t i) const {
  const Stage& s = stages_[i];
  return s.linear ? s.linear->bias() : (s.res || s.mix ? ParamId{} : s.conv->bias());
}

void Sequential::reserve(SequentialWork& work, int64_t B) const {
  work.stages.resize(stages_.size());
  int64_t widest = in_size(), widest_pad = 0;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    const int64_t n = B * s.out_floats();
    grow(w.z, n);
    if (s.normed()) {
      grow(w.y, n);
      const int64_t stats = s.bn ? s.spec.out : B * s.spec.out;  // per channel, or per image and channel
      grow(w.mean, stats);
      grow(w.var, stats);
    }
    if (s.padded()) {
      grow(w.pad, B * s.padded_floats());
      widest_pad = std::max(widest_pad, s.padded_floats());
    }
    widest = std::max(widest, s.out_floats());
  }
  grow(work.grad_a, B * widest);
  grow(work.grad_b, B * widest);
  if (widest_pad > 0) grow(work.grad_pad, B * widest_pad);
  work.rows = B;
}

void Sequential::layer_forward(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t B) const {
  const StageSpec& p = s.spec;
  if (s.linear) {
    s.linear->forward(in, w.z.data(), B);
  } else if (s.res) {
    s.res->forward(in, w.z.data(), B, p.in_h, p.in_w, w.res);
  } else if (s.mix) {
    s.mix->forward(in, w.z.data(), B);
  } else if (s.padded()) {
    reflect_pad_forward(in, w.pad.data(), B, p.in, p.in_h, p.in_w, p.padding);
    s.conv->forward(w.pad.data(), w.z.data(), B, p.in_h + 2 * p.padding, p.in_w + 2 * p.padding);
  } else {
    s.conv->forward(in, w.z.data(), B, p.in_h, p.in_w);
  }
}

// train: batch statistics, and the running ones updated (through the stage's pointer).
void Sequential::norm_forward(const Stage& s, SequentialWork::StageBuffers& w, int64_t B, bool train) const {
  if (s.bn && train)
    s.bn->forward_train(w.z.data(), w.y.data(), w.mean.data(), w.var.data(), B, s.spatial());
  else if (s.bn)
    s.bn->forward_infer(w.z.data(), w.y.data(), B, s.spatial());
  else if (s.in)
    s.in->forward(w.z.data(), w.y.data(), w.mean.data(), w.var.data(), B, s.spatial());
}

void Sequential::activate(const Stage& s, float* y, int64_t n) const {
  if (s.spec.act == Act::relu)
    relu_inplace(y, n);
  else if (s.act)
    s.act->forward(y, y, n);
}

const float* Sequential::forward_train(const float* x, int64_t B, SequentialWork& work) {
  reserve(work, B);
  const float* in = x;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    layer_forward(s, in, w, B);
    norm_forward(s, w, B, true);
    float* y = s.normed() ? w.y.data() : w.z.data();
    activate(s, y, B * s.out_floats());
    in = y;
  }
  return in;
}

const float* Sequential::forward_infer(const float* x, int64_t B, SequentialWork& work) const {
  reserve(work, B);
  const float* in = x;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    layer_forward(s, in, w, B);
    norm_forward(s, w, B, false);
    float* y = s.normed() ? w.y.data() : w.z.data();
    activate(s, y, B * s.out_floats());
    in = y;
  }
  return in;
}

// g (the layer's output gradient) → next (its input gradient, skipped when null); the
// layer's weight gradients added when weights.
void Sequential::layer_backward(Stage& s, const float* in, const float* g, float* next, SequentialWork& work,
                                std::size_t i, int64_t B, bool weights) {
  const StageSpec& p = s.spec;
  SequentialWork::StageBuffers& w = work.stages[i];
  if (s.res) {
    s.res->backward(in, g, next, B, p.in_h, p.in_w, w.res, weights);
    return;
  }
  if (s.mix) {
    s.mix->backward(in, g, next, B, weights);
    return;
  }
  // A padded conv's input is the padded copy; its gradient is folded back by the pad's adjoint.
  const int64_t H = s.padded() ? p.in_h + 2 * p.padding : p.in_h, W = s.padded() ? p.in_w + 2 * p.padding : p.in_w;
  const float* layer_in = s.padded() ? w.pad.data() : in;
  float* d_in = next && s.padded() ? work.grad_pad.data() : next;
  if (!weights) {
    if (d_in) {
      if (s.linear)
        s.linear->backward_data(g, d_in, B);
      else
        s.conv->backward_data(g, d_in, B, H, W);
    }
  } else if (s.linear) {
    s.linear->backward(layer_in, g, d_in, B);
  } else {
    s.conv->backward(layer_in, g, d_in, B, H, W);
  }
  if (next && s.padded()) reflect_pad_backward(d_in, next, B, p.in, p.in_h, p.in_w, p.padding);
}

void Sequential::backward(const float* x, float* dy, float* dx, int64_t B, SequentialWork& work, bool weights) {
  if (work.rows < B || work.stages.size() != stages_.size())
    fail(Status::internal, "Sequential::backward without a matching forward_train");
  float* g = dy;
  for (std::size_t i = stages_.size(); i-- > 0;) {
    Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    const int64_t n = B * s.out_floats();
    const float* y = s.normed() ? w.y.data() : w.z.data();
    if (s.spec.act == Act::relu)
      relu_backward_inplace(y, g, n);
    else if (s.act)
      s.act->backward(nullptr, y, g, g, n);
    // The two work buffers alternate; the caller's dy is read once and never written past.
    auto other = [&](const float* p) { return p == work.grad_a.data() ? work.grad_b.data() : work.grad_a.data(); };
    // γ and β gradients are added even when weights is false: they are C floats, and
    // callers zero a network's gradients before the step that uses them.
    if (s.bn) {
      float* out = other(g);
      s.bn->backward(w.z.data(), g, w.mean.data(), w.var.data(), out, B, s.spatial());
      g = out;
    } else if (s.in) {
      float* out = other(g);
      s.in->backward(w.z.data(), g, w.mean.data(), w.var.data(), out, B, s.spatial());
      g = out;
    }
    const float* in = i == 0 ? x : stage_output(i - 1, work);
    float* next = i == 0 ? dx : other(g);
    layer_backward(s, in, g, next, work, i, B, weights);
    g = next;
    if (g == nullptr) break;  // stage 0 without dx
  }
}

}  // namespace gm::nn
