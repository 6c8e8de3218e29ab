#include "nn/sequential.hpp"

#include "core/error.hpp"

namespace gm::nn {

namespace {
void grow(Buffer& b, int64_t n) {
  if (b.size() < n) b.resize(n);
}
}  // namespace

void Sequential::add(ParameterStore& store, const StageSpec& spec) {
  Stage s;
  s.spec = spec;
  if (spec.in < 1 || spec.out < 1) fail(Status::invalid_config, "stage {}: widths must be >= 1", spec.name);
  if (!stages_.empty()) {
    const Stage& prev = stages_.back();
    const int64_t in = spec.layer == Layer::dense ? spec.in : spec.in * spec.in_h * spec.in_w;
    if (in != prev.out_floats())
      fail(Status::invalid_config, "stage {} takes {} values per row but the stage before gives {}", spec.name, in,
           prev.out_floats());
  }
  if (spec.layer == Layer::dense) {
    s.linear = std::make_unique<Linear>(store, spec.name, spec.in, spec.out, spec.bias);
  } else {
    const ConvSpec cs{spec.in, spec.out, spec.kernel, spec.stride, spec.padding, spec.bias};
    if (spec.layer == Layer::deconv)
      s.conv = std::make_unique<ConvTranspose2d>(store, spec.name, cs);
    else
      s.conv = std::make_unique<Conv2d>(store, spec.name, cs);
    s.out_h = s.conv->out_size(spec.in_h);
    s.out_w = s.conv->out_size(spec.in_w);
  }
  if (spec.batch_norm) s.bn = std::make_unique<BatchNorm>(store, spec.name + ".bn", spec.out);
  if (spec.act == Act::softplus)
    fail(Status::invalid_config, "stage {}: softplus cannot run in place (its backward reads the input)", spec.name);
  if (spec.act != Act::none && spec.act != Act::relu)
    s.act = std::make_unique<Activation>(spec.act, spec.act == Act::leaky_relu ? spec.alpha : 0.0f);
  const ParamId w = s.linear ? s.linear->weight() : s.conv->weight();
  if (!first_.valid()) first_ = w;
  last_ = s.bn ? s.bn->beta()
               : (s.linear ? (s.linear->bias().valid() ? s.linear->bias() : w)
                           : (s.conv->bias().valid() ? s.conv->bias() : w));
  stages_.push_back(std::move(s));
}

void Sequential::init_default(Rng& rng) {
  for (Stage& s : stages_) {
    if (s.linear)
      s.linear->init(rng);
    else
      s.conv->init(rng);
  }
}

int64_t Sequential::in_size() const { return stages_.empty() ? 0 : stages_.front().in_floats(); }
int64_t Sequential::out_size() const { return stages_.empty() ? 0 : stages_.back().out_floats(); }

ParamId Sequential::weight(std::size_t i) const {
  return stages_[i].linear ? stages_[i].linear->weight() : stages_[i].conv->weight();
}
ParamId Sequential::bias(std::size_t i) const {
  return stages_[i].linear ? stages_[i].linear->bias() : stages_[i].conv->bias();
}

void Sequential::reserve(SequentialWork& work, int64_t B) const {
  work.stages.resize(stages_.size());
  int64_t widest = in_size();
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = stages_[i];
    const int64_t n = B * s.out_floats();
    grow(work.stages[i].z, n);
    if (s.bn) {
      grow(work.stages[i].y, n);
      grow(work.stages[i].mean, s.spec.out);
      grow(work.stages[i].var, s.spec.out);
    }
    widest = std::max(widest, s.out_floats());
  }
  grow(work.grad_a, B * widest);
  grow(work.grad_b, B * widest);
  work.rows = B;
}

void Sequential::layer_forward(const Stage& s, const float* in, float* z, int64_t B) const {
  if (s.linear)
    s.linear->forward(in, z, B);
  else
    s.conv->forward(in, z, B, s.spec.in_h, s.spec.in_w);
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
    layer_forward(s, in, w.z.data(), B);
    float* y = w.z.data();
    if (s.bn) {
      y = w.y.data();
      s.bn->forward_train(w.z.data(), y, w.mean.data(), w.var.data(), B, s.spatial());
    }
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
    layer_forward(s, in, w.z.data(), B);
    float* y = w.z.data();
    if (s.bn) {
      y = w.y.data();
      s.bn->forward_infer(w.z.data(), y, B, s.spatial());
    }
    activate(s, y, B * s.out_floats());
    in = y;
  }
  return in;
}

void Sequential::backward(const float* x, float* dy, float* dx, int64_t B, SequentialWork& work, bool weights) {
  if (work.rows < B || work.stages.size() != stages_.size())
    fail(Status::internal, "Sequential::backward without a matching forward_train");
  float* g = dy;
  for (std::size_t i = stages_.size(); i-- > 0;) {
    Stage& s = stages_[i];
    SequentialWork::StageBuffers& w = work.stages[i];
    const int64_t n = B * s.out_floats();
    const float* y = s.bn ? w.y.data() : w.z.data();
    if (s.spec.act == Act::relu)
      relu_backward_inplace(y, g, n);
    else if (s.act)
      s.act->backward(nullptr, y, g, g, n);
    // The two work buffers alternate; the caller's dy is read once and never written past.
    auto other = [&](const float* p) { return p == work.grad_a.data() ? work.grad_b.data() : work.grad_a.data(); };
    if (s.bn) {
      // γ and β gradients are added even when weights is false: they are C floats, and
      // callers zero a network's gradients before the step that uses them.
      float* out = other(g);
      s.bn->backward(w.z.data(), g, w.mean.data(), w.var.data(), out, B, s.spatial());
      g = out;
    }
    const float* in = i == 0 ? x : (stages_[i - 1].bn ? work.stages[i - 1].y.data() : work.stages[i - 1].z.data());
    float* next = i == 0 ? dx : other(g);
    if (!weights) {
      if (next) {
        if (s.linear)
          s.linear->backward_data(g, next, B);
        else
          s.conv->backward_data(g, next, B, s.spec.in_h, s.spec.in_w);
      }
    } else if (s.linear) {
      s.linear->backward(in, g, next, B);
    } else {
      s.conv->backward(in, g, next, B, s.spec.in_h, s.spec.in_w);
    }
    g = next;
    if (g == nullptr) break;  // stage 0 without dx
  }
}

}  // namespace gm::nn
