#include "nn/sequential.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "nn/equalized_lr.hpp"
#include "nn/pixel_norm.hpp"
#include "nn/reflect_pad.hpp"
#include "nn/resample.hpp"

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
    if (spec.batch_norm || spec.instance_norm || spec.reflect || spec.equalized || spec.upsample || spec.avg_pool)
      fail(Status::invalid_config, "stage {}: a mix stage takes no norm, padding, scaling or resampling", spec.name);
  }
  if (spec.act == Act::softplus)
    fail(Status::invalid_config, "stage {}: softplus cannot run in place (its backward reads the input)", spec.name);
  if (spec.equalized && spec.layer == Layer::residual)
    fail(Status::invalid_config, "stage {}: equalised learning rate is for dense, conv and deconv stages", spec.name);
  if (spec.equalized && !(spec.gain > 0.0f))
    fail(Status::invalid_config, "stage {}: the equalised gain {} must be > 0", spec.name, spec.gain);
  if (spec.upsample && spec.layer != Layer::conv)
    fail(Status::invalid_config, "stage {}: upsampling is for conv stages (before the convolution)", spec.name);
  if (spec.upsample && spec.reflect)
    fail(Status::invalid_config, "stage {}: upsampling before a reflection-padded conv is not supported", spec.name);
  if (spec.avg_pool && spec.layer != Layer::conv && spec.layer != Layer::deconv)
    fail(Status::invalid_config, "stage {}: average pooling is for conv and deconv stages", spec.name);
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
    s.layer_h = spec.in_h;
    s.layer_w = spec.in_w;
  } else if (spec.layer == Layer::mix) {
    s.mix = std::make_unique<SpatialMix>(store, spec.name, spec.in, spec.in_h * spec.in_w, spec.groups);
    s.layer_h = spec.in_h;
    s.layer_w = spec.in_w;
  } else {
    // A reflection-padded conv runs on the padded input without padding of its own.
    const int64_t pad = spec.reflect ? 0 : spec.padding, grown = spec.reflect ? 2 * spec.padding : 0;
    const int64_t up = spec.upsample ? 2 : 1;
    const ConvSpec cs{spec.in, spec.out, spec.kernel, spec.stride, pad, spec.bias};
    if (spec.layer == Layer::deconv)
      s.conv = std::make_unique<ConvTranspose2d>(store, spec.name, cs);
    else
      s.conv = std::make_unique<Conv2d>(store, spec.name, cs);
    s.layer_h = s.conv->out_size(up * spec.in_h + grown);
    s.layer_w = s.conv->out_size(up * spec.in_w + grown);
  }
  s.out_h = s.layer_h;
  s.out_w = s.layer_w;
  if (spec.avg_pool) {
    if (s.layer_h % 2 != 0 || s.layer_w % 2 != 0)
      fail(Status::invalid_config, "stage {}: 2x2 average pooling needs an even output, not {}x{}", spec.name,
           s.layer_h, s.layer_w);
    s.out_h = s.layer_h / 2;
    s.out_w = s.layer_w / 2;
  }
  if (spec.equalized) {
    const int64_t fan_in = s.linear ? spec.in : equalized_fan_in(s.conv->spec());
    s.scale = he_scale(fan_in, spec.gain);
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
  store_ = &store;
  stages_.push_back(std::move(s));
}

void Sequential::init_default(Rng& rng) {
  for (Stage& s : stages_) {
    if (s.spec.equalized)
      init_equalized(*store_, s.linear ? s.linear->weight() : s.conv->weight(),
                     s.linear ? s.linear->bias() : s.conv->bias(), rng);
    else if (s.linear)
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
  int64_t widest = in_size(), widest_pad = 0, widest_up = 0;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    const int64_t n = B * s.layer_floats();
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
    if (s.spec.upsample) {
      grow(w.up, B * s.upsampled_floats());
      widest_up = std::max(widest_up, s.upsampled_floats());
    }
    if (s.scaled() && !s.padded() && !s.spec.upsample) grow(w.scaled, B * s.in_floats());
    if (s.spec.pixel_norm) grow(w.pn, n);
    if (s.spec.avg_pool) grow(w.pool, B * s.out_floats());
    widest = std::max({widest, s.layer_floats(), s.out_floats()});
  }
  grow(work.grad_a, B * widest);
  grow(work.grad_b, B * widest);
  if (widest_pad > 0) grow(work.grad_pad, B * widest_pad);
  if (widest_up > 0) grow(work.grad_up, B * widest_up);
  work.rows = B;
}

// Upsampling or reflection padding make a copy of the input; the equalised scale goes onto
// that copy in place (it commutes with both), or onto a copy of its own.
const float* Sequential::prepare_input(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t B,
                                       int64_t& H, int64_t& W) const {
  const StageSpec& p = s.spec;
  H = p.in_h;
  W = p.in_w;
  float* copy = nullptr;
  if (p.upsample) {
    upsample_nearest2x_forward(in, w.up.data(), B, p.in, H, W);
    copy = w.up.data();
    H *= 2;
    W *= 2;
  } else if (s.padded()) {
    reflect_pad_forward(in, w.pad.data(), B, p.in, H, W, p.padding);
    copy = w.pad.data();
    H += 2 * p.padding;
    W += 2 * p.padding;
  }
  if (!s.scaled()) return copy ? copy : in;
  const int64_t n = s.linear ? B * p.in : B * p.in * H * W;
  if (copy) {
    scale_copy(copy, s.scale, copy, n);
    return copy;
  }
  scale_copy(in, s.scale, w.scaled.data(), n);
  return w.scaled.data();
}

const float* Sequential::stored_input(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t& H,
                                      int64_t& W) const {
  const StageSpec& p = s.spec;
  H = p.in_h;
  W = p.in_w;
  if (p.upsample) {
    H *= 2;
    W *= 2;
    return w.up.data();
  }
  if (s.padded()) {
    H += 2 * p.padding;
    W += 2 * p.padding;
    return w.pad.data();
  }
  return s.scaled() ? w.scaled.data() : in;
}

void Sequential::layer_forward(const Stage& s, const float* in, SequentialWork::StageBuffers& w, int64_t B) const {
  const StageSpec& p = s.spec;
  if (s.res) return s.res->forward(in, w.z.data(), B, p.in_h, p.in_w, w.res);
  if (s.mix) return s.mix->forward(in, w.z.data(), B);
  int64_t H, W;
  const float* x = prepare_input(s, in, w, B, H, W);
  if (s.linear)
    s.linear->forward(x, w.z.data(), B);
  else
    s.conv->forward(x, w.z.data(), B, H, W);
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

const float* Sequential::finish_stage(const Stage& s, SequentialWork::StageBuffers& w, int64_t B) const {
  float* y = s.normed() ? w.y.data() : w.z.data();
  activate(s, y, B * s.layer_floats());
  const float* out = y;
  if (s.spec.pixel_norm) {
    pixel_norm_forward(out, w.pn.data(), B, s.spec.out, s.spatial());
    out = w.pn.data();
  }
  if (s.spec.avg_pool) {
    avg_pool2x2_forward(out, w.pool.data(), B, s.spec.out, s.layer_h, s.layer_w);
    out = w.pool.data();
  }
  return out;
}

const float* Sequential::forward_train(const float* x, int64_t B, SequentialWork& work) {
  reserve(work, B);
  const float* in = x;
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    layer_forward(s, in, w, B);
    norm_forward(s, w, B, true);
    in = finish_stage(s, w, B);
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
    in = finish_stage(s, w, B);
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
  // The layer ran on a copy (padded, upsampled, scaled); its input gradient is folded back by
  // the padding's or the upsampling's adjoint, then multiplied by the scale.
  int64_t H, W;
  const float* layer_in = stored_input(s, in, w, H, W);
  float* d_in = next && s.padded() ? work.grad_pad.data() : (next && p.upsample ? work.grad_up.data() : next);
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
  if (next && p.upsample) upsample_nearest2x_backward(d_in, next, B, p.in, p.in_h, p.in_w);
  if (next && s.scaled()) scale_copy(next, s.scale, next, B * s.in_floats());
}

void Sequential::backward(const float* x, float* dy, float* dx, int64_t B, SequentialWork& work, bool weights) {
  if (work.rows < B || work.stages.size() != stages_.size())
    fail(Status::internal, "Sequential::backward without a matching forward_train");
  float* g = dy;
  for (std::size_t i = stages_.size(); i-- > 0;) {
    Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    const int64_t n = B * s.layer_floats();
    const float* y = s.normed() ? w.y.data() : w.z.data();
    // The two work buffers alternate; the caller's dy is read once and never written past.
    auto other = [&](const float* p) { return p == work.grad_a.data() ? work.grad_b.data() : work.grad_a.data(); };
    if (s.spec.avg_pool) {  // the pool's gradient is the layer's size: into the other buffer
      float* out = other(g);
      avg_pool2x2_backward(g, out, B, s.spec.out, s.layer_h, s.layer_w);
      g = out;
    }
    if (s.spec.pixel_norm) pixel_norm_backward(y, g, g, B, s.spec.out, s.spatial());  // in place
    if (s.spec.act == Act::relu)
      relu_backward_inplace(y, g, n);
    else if (s.act)
      s.act->backward(nullptr, y, g, g, n);
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
