// Synchronised batch norm for a distributed fit (docs/distributed.md, "Batch norm"): while a
// scope is alive on a thread, every BatchNorm::forward_train and backward on that thread takes
// its statistics over the blocks of every rank, as one process would over the global batch. One
// small MPI_Allreduce per layer and pass: 2C + 1 sums forward, 2C backward.
#pragma once

namespace gm::nn {

class DataParallel;

class SyncBatchNormScope {
 public:
  explicit SyncBatchNormScope(DataParallel* parallel);  // null: no effect
  ~SyncBatchNormScope();
  SyncBatchNormScope(const SyncBatchNormScope&) = delete;
  SyncBatchNormScope& operator=(const SyncBatchNormScope&) = delete;

 private:
  DataParallel* previous_;
};

// The current scope's DataParallel on this thread, or null.
DataParallel* sync_batch_norm();

}  // namespace gm::nn
