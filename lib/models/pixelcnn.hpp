// pixelcnn — Gated PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks" and
// "Conditional Image Generation with PixelCNN Decoders"): an exact autoregressive model of
// images of M levels,
//
//   log p(x | y) = Σ_{i,j} Σ_c log softmax(f_θ(x_<(i,j,c), y)_{c,i,j})[x_{c,i,j}]
//
// in the order pixels in raster order, channels 0 < … < C−1 within a pixel (R, G, B);
// f_θ is the network of pixelcnn_net.hpp (vertical and horizontal stacks, no blind spot,
// gated residual layers, an M-way softmax per channel per pixel). y: an optional class label
// whose learned per-layer bias is added to the gate pre-activations.
//
// Data: images only (a channels/height/width layout), values integers in [0, M); M comes from
// the data (DataView::levels, 2 when not stated) and the network's input is 2x/(M−1) − 1.
//
// fit: maximum likelihood (Σ over pixels and channels of −log softmax, nats per image; the
// gradient is the batch mean) with Adam through the shared loop.
// log_prob: exact, summed in double. With "conditional" and no labels, the mixture
// log Σ_y p(x | y) / classes (labels uniform: what sample draws).
// sample: sequential in the model's order, Rng(seed, row) per row (thread-count free), with
// work reused between positions (pixelcnn_sample.cpp; bench/RESULTS.md, "PixelCNN").
// complete: exact when the observed values are a prefix of the order (the rest is sampled
// conditioned on it); otherwise importance resampling: K candidates sample the unobserved
// values in order with the observed ones clamped, each is weighted by Π p(x_o | x_<o) over
// the observed values after the first unobserved one, and one is drawn by weight.
//
// Config: "channels" F (64), "layers" L (7), "kernel" K (3, odd), "first_kernel" K0 (7, odd;
// the mask-A layer), "learning_rate" (1e-3), "weight_decay" (0), "conditional" (false),
// "classes" (0: from the data's labels), "complete_samples" K (16).
#pragma once

#include <memory>
#include <vector>

#include "models/generative_model.hpp"
#include "models/pixelcnn_net.hpp"
#include "nn/trainer.hpp"

namespace gm {

class PixelCnnModel final : public ModelKind<PixelCnnModel>, public nn::Trainable {
 public:
  static constexpr const char* kind_name = "pixelcnn";
  static constexpr uint32_t capability_bits =
      cap_fit | cap_sample | cap_log_prob | cap_exact_log_prob | cap_complete | cap_levels;

  static const Schema& config_schema();
  explicit PixelCnnModel(const Json& config);
  ~PixelCnnModel() override;
  PixelCnnModel(PixelCnnModel&&) noexcept;
  PixelCnnModel& operator=(PixelCnnModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  // With "conditional": true also cap_conditional (the registry's capability_bits describe the
  // default configuration): gm_model_condition then answers ("label", "classes"), the classes
  // 0 until fit reads them from the labels (capi/condition.hpp).
  uint32_t capabilities() const override { return capability_bits | (conditional_ ? cap_conditional : 0u); }
  bool trains_in_epochs() const override { return true; }
  const Json& config() const override { return config_; }
  const nn::TrainReport& last_report() const { return report_; }

  // Trainable
  nn::ParameterStore& parameter_store() override { return net_->store(); }
  double train_step(const DataView& batch, Rng& rng) override;
  double evaluate(const DataView& batch, Rng& rng) override;

  // For tests and bench/pixelcnn (fitted models only, inside a ComputeScope):
  // sample without reusing work, the whole network per position (the same draws as sample);
  const pixelcnn::Net& net() const { return *net_; }
  void sample_full_network(int64_t n, const SampleOptions& options, float* out) const;

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  void do_sample(int64_t n, const SampleOptions& options, float* out) const override;
  void do_log_prob(const DataView& data, const EvalOptions& options, double* out) const override;
  void do_complete(const DataView& data, const uint8_t* observed, const SampleOptions& options,
                   float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  pixelcnn::Dims dims_for(const ImageShape& image, int64_t levels) const;
  void check_labels(const int32_t* labels, int64_t n, const char* verb) const;
  // The labels of rows [r0, r0 + n): given, or drawn uniformly from Rng(seed, ~row) (null
  // when the model is unconditional).
  const int32_t* row_labels(const int32_t* given, int64_t r0, int64_t n, uint64_t seed,
                            std::vector<int32_t>& buffer) const;

  Json config_;
  int64_t channels_, layers_, kernel_, first_kernel_, complete_samples_, classes_;
  double learning_rate_, weight_decay_;
  bool conditional_;
  std::unique_ptr<pixelcnn::Net> net_;
  pixelcnn::Workspace ws_;  // training
  std::vector<double> row_loss_;
  nn::TrainReport report_;
};

}  // namespace gm
