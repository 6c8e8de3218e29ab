// cyclegan (Zhu et al. 2017): unpaired translation between two image domains a and b with two
// generators, G: a → b and F: b → a, and two PatchGAN discriminators, D_a and D_b
// (cyclegan_nets.hpp has the networks).
//
// Data: the rows of both domains in one view, labels 0 (a) and 1 (b); values in [0, 1]
// (scaled to [−1, 1] inside; translations come back in [0, 1]). Nothing pairs a row of a with
// a row of b. Each epoch interleaves the two domains' shuffled rows (shuffle_epoch), so a
// training batch is half a (n_a rows) and half b (n_b rows); a term whose domain has no row in
// a batch (the tail of unequal domains) is left out.
//
// One iteration, in the order of the paper's code (optimize_parameters):
//   fake_b = G(a), rec_a = F(fake_b), fake_a = F(b), rec_b = G(fake_a), idt_b = G(b), idt_a = F(a)
//   generator step (one Adam over G and F; D_a, D_b fixed):
//     L_G = MSE(D_b(fake_b), 1) + MSE(D_a(fake_a), 1)
//         + λ·(|rec_a − a|₁ + |rec_b − b|₁) + λ·λ_idt·(|idt_b − b|₁ + |idt_a − a|₁)
//   discriminator step (one Adam over D_a and D_b), on fakes through the history buffers:
//     L_D = ½·MSE(D_b(b), 1) + ½·MSE(D_b(pool_b(fake_b)), 0) + the same for D_a, a, fake_a
//   MSE is the mean over a term's rows and patch scores, |·|₁ the mean absolute difference
//   over its rows and pixels (PyTorch's MSELoss and L1Loss); λ = lambda_cycle (10),
//   λ_idt = lambda_identity (½), least-squares targets 1 (real) and 0 (fake) (LSGAN).
//   The identity terms ask G to leave b images as they are (and F a images), which keeps
//   colour and intensity from drifting.
// fit reports L_D + L_G per example to the progress callback, and each to the epoch report.
//
// translate: to "b" (1) runs G, to "a" (0) runs F; the input is taken to be of the other
// domain (docs/gan.md, "Translation"). sample, log_prob, encode, decode, complete: unsupported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/cyclegan/cyclegan_config.hpp"
#include "models/cyclegan/image_pool.hpp"
#include "models/generative_model.hpp"
#include "nn/parameter_store.hpp"
#include "nn/trainer.hpp"

namespace gm {

namespace cyclegan {
struct Nets;
struct Scratch;
struct Optimisers;
// The epoch order of cyclegan: the rows of order with label 0 and with label 1, each shuffled
// with rng, then interleaved (0, 1, 0, 1, ...), the larger domain's remaining rows last.
void interleave_domains(std::vector<int64_t>& order, const int32_t* labels, Rng& rng);
}  // namespace cyclegan

class CycleGanModel final : public ModelKind<CycleGanModel>, public nn::SteppedTrainable {
 public:
  static constexpr const char* kind_name = "cyclegan";
  static constexpr uint32_t capability_bits = cap_fit | cap_translate;
  static const Schema& config_schema();

  explicit CycleGanModel(const Json& config);
  ~CycleGanModel() override;
  CycleGanModel(CycleGanModel&&) noexcept;
  CycleGanModel& operator=(CycleGanModel&&) noexcept;

  const char* kind() const override { return kind_name; }
  uint32_t capabilities() const override { return capability_bits; }
  bool trains_in_epochs() const override { return true; }
  const Json& config() const override { return config_; }

  // SteppedTrainable (public for tests).
  double train_batch(const DataView& batch, Rng& rng, int64_t step) override;
  bool trains_in_parallel() const override { return true; }  // docs/distributed.md
  bool reads_shards() const override { return false; }       // docs/distributed.md, "Sharded reading"
  std::vector<nn::Adam*> optimisers() override;
  void end_epoch(nn::EpochReport& report) override;
  void save_extra_state(std::vector<float>& into) override;
  // Each domain's rows shuffled, then interleaved a, b, a, b, ...: every batch of an even size
  // holds half of each (as the paper's loader pairs one a with one b), and the batch shapes
  // stay fixed. With domains of unequal size the larger one's remaining rows come last.
  void shuffle_epoch(std::vector<int64_t>& order, Rng& rng) override;
  void load_extra_state(const std::vector<float>& from) override;

  // For gradient checks, at the current parameters and without any update: L_G on a batch
  // (with backward, its gradient in G's and F's part of parameter_store()), and L_D on the
  // batch with the fakes the current generators make, without the history buffers (with
  // backward, its gradient in D_a's and D_b's part). Means as in the header comment.
  double generator_objective(const DataView& batch, bool backward);
  double discriminator_objective(const DataView& batch, bool backward);
  nn::ParameterStore& parameter_store();
  nn::ParamSpan generator_span();
  nn::ParamSpan discriminator_span();
  // The history buffers of the last fit (empty before one).
  const cyclegan::ImagePool* pool(int domain) const;
  double last_d_loss() const { return epoch_d_; }
  double last_g_loss() const { return epoch_g_; }

 protected:
  void do_fit(const DataView& data, const FitOptions& options) override;
  std::vector<std::string> do_domain_names() const override { return {"a", "b"}; }
  void do_translate(const DataView& x, const int32_t* target, const TranslateOptions& options,
                    float* out) const override;
  std::vector<TensorRef> do_tensors() const override;
  void do_restore(const DataShape& shape, const std::vector<TensorRef>& tensors) override;
  std::string unsupported_why(const char* verb) const override;

 private:
  void check_fit_data(const DataView& data) const;
  // Splits a batch by domain into the scratch's a and b rows, scaled to [−1, 1].
  void split(const DataView& batch);
  // The generator step's loss (means, summed over terms) on the split batch; with backward,
  // its gradient in the generators' part of the store. Leaves fake_a, fake_b in the scratch.
  double generator_pass(bool backward);
  // The discriminator step's loss on the split batch with the fakes in the scratch; with
  // backward, its gradient in the discriminators' part.
  double discriminator_pass(bool backward);
  // train_batch in a distributed fit: the global domain counts, the history buffers on the
  // whole batch's fakes.
  double train_batch_distributed(const DataView& batch, Rng& rng, int64_t step);

  Json config_;
  cyclegan::Config cfg_;
  std::unique_ptr<cyclegan::Nets> nets_;
  std::unique_ptr<cyclegan::Scratch> scratch_;
  std::unique_ptr<cyclegan::Optimisers> optimisers_;  // of the current fit
  std::unique_ptr<cyclegan::ImagePool> pool_a_, pool_b_;
  int threads_ = 1;
  const int32_t* fit_labels_ = nullptr;  // the domains of the rows of the fit in progress
  double epoch_d_ = 0, epoch_g_ = 0, sum_d_ = 0, sum_g_ = 0;
  int64_t rows_ = 0;
  // A distributed fit's step (docs/distributed.md): each domain's row count in the global
  // batch, the denominators of the per-domain means (0: the split's own counts), and the
  // batch's fakes of each domain, gathered from every rank for the history buffers.
  int64_t global_a_ = 0, global_b_ = 0;
  std::vector<float> all_fakes_;
};

}  // namespace gm
