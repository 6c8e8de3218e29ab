#include "nn/data_parallel.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace gm::nn {

namespace {

// The floats appended to the summed buffer: the loss as a float pair (hi + lo carries ~48
// bits, so the reported loss is not rounded to float), then the failure flags.
constexpr int64_t kLossHi = 0, kLossLo = 1, kFailed = 2, kStatusSum = 3, kRankSum = 4, kExtra = 5;

}  // namespace

void DataParallel::keep(std::exception_ptr e) {
  pending_ = e;
  try {
    std::rethrow_exception(e);
  } catch (const Error& err) {
    pending_status_ = err.status();
  } catch (const std::bad_alloc&) {
    pending_status_ = Status::out_of_memory;
  } catch (...) {
    pending_status_ = Status::internal;
  }
}

void DataParallel::raise_if_failed(const float* flags) {
  const auto failed = static_cast<int64_t>(flags[0]);
  if (failed == 0) return;
  if (pending_) std::rethrow_exception(pending_);
  if (failed == 1)
    fail(static_cast<Status>(static_cast<int32_t>(flags[1])),
         "rank {} of {} failed (its own message says why); this rank stopped with it", static_cast<int>(flags[2]),
         size());
  fail(Status::internal, "{} of the {} ranks failed (their own messages say why); this rank stopped with them", failed,
       size());
}

void DataParallel::reduce(const ParamSpan& grads, double& loss, float given_share) {
  const int64_t n = grads.count;
  buffer_.resize(static_cast<std::size_t>(n + kExtra));
  float* b = buffer_.data();
  // d(mean over local rows) × local / global: this rank's share of d(mean over the batch).
  const float share = given_share >= 0.0f ? given_share
                      : global_ > 0       ? static_cast<float>(local_) / static_cast<float>(global_)
                                          : 0.0f;
  if (pending_ || local_ == 0) {
    std::fill(b, b + n, 0.0f);
  } else if (share == 1.0f) {
    std::memcpy(b, grads.grad, static_cast<std::size_t>(n) * sizeof(float));
  } else {
    for (int64_t i = 0; i < n; ++i) b[i] = grads.grad[i] * share;
  }
  float* extra = b + n;
  const double l = pending_ ? 0.0 : loss;
  extra[kLossHi] = static_cast<float>(l);
  extra[kLossLo] = static_cast<float>(l - static_cast<double>(extra[kLossHi]));
  extra[kFailed] = pending_ ? 1.0f : 0.0f;
  extra[kStatusSum] = pending_ ? static_cast<float>(static_cast<int32_t>(pending_status_)) : 0.0f;
  extra[kRankSum] = pending_ ? static_cast<float>(rank()) : 0.0f;
  comm_.sum(b, n + kExtra);
  raise_if_failed(extra + kFailed);
  std::memcpy(grads.grad, b, static_cast<std::size_t>(n) * sizeof(float));
  loss = static_cast<double>(extra[kLossHi]) + static_cast<double>(extra[kLossLo]);
}

void DataParallel::all_rows(const float* block, int64_t local, int64_t offset, int64_t total, int64_t width,
                            float* all) {
  const int64_t n = total * width;
  buffer_.assign(static_cast<std::size_t>(n + 3), 0.0f);
  float* b = buffer_.data();
  if (!pending_ && local > 0)
    std::memcpy(b + offset * width, block, static_cast<std::size_t>(local * width) * sizeof(float));
  b[n] = pending_ ? 1.0f : 0.0f;
  b[n + 1] = pending_ ? static_cast<float>(static_cast<int32_t>(pending_status_)) : 0.0f;
  b[n + 2] = pending_ ? static_cast<float>(rank()) : 0.0f;
  comm_.sum(b, n + 3);
  raise_if_failed(b + n);
  std::memcpy(all, b, static_cast<std::size_t>(n) * sizeof(float));
}

void DataParallel::agree() {
  float flags[3] = {pending_ ? 1.0f : 0.0f, pending_ ? static_cast<float>(static_cast<int32_t>(pending_status_)) : 0.0f,
                    pending_ ? static_cast<float>(rank()) : 0.0f};
  comm_.sum(flags, 3);
  raise_if_failed(flags);
}

void DataParallel::sum(double* values, int64_t count) {
  std::vector<double> b(values, values + count);
  b.push_back(pending_ ? 1.0 : 0.0);
  b.push_back(pending_ ? static_cast<double>(static_cast<int32_t>(pending_status_)) : 0.0);
  b.push_back(pending_ ? static_cast<double>(rank()) : 0.0);
  comm_.sum(b.data(), count + 3);
  const float flags[3] = {static_cast<float>(b[count]), static_cast<float>(b[count + 1]),
                          static_cast<float>(b[count + 2])};
  raise_if_failed(flags);
  std::copy(b.begin(), b.begin() + count, values);
}

}  // namespace gm::nn
