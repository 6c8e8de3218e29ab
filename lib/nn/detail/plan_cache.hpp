// How lib/nn runs oneDNN primitives: created once per shape, executed from any number of
// threads at once. Internal to lib/nn (it exposes oneDNN types).
//
//  Plan      one primitive for one shape and thread count, plus the descriptors of its
//            arguments. Immutable once built, shared by every caller. Created with
//            scratchpad_mode::user, so executing it touches no state inside the primitive:
//            oneDNN documents user mode as thread-safe as long as no scratchpad buffer is
//            used by two executions at once.
//  Exec      one execution's binding of a plan: memory objects that take the caller's
//            pointers, its own scratchpad and temporary floats. Borrowed from the plan's
//            pool for one call and given back on destruction, so concurrent calls never share
//            one and a steady stream of calls reuses the same objects (no allocation).
//  PlanCache a few plans per layer operation, most recently used first, keyed by the shape
//            and the OpenMP thread count (oneDNN splits work and sizes scratchpads by the
//            thread count it sees at creation).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/error.hpp"
#include "core/onednn.hpp"
#include "nn/buffer.hpp"

namespace gm::nn::detail {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;
constexpr memory::data_type f32 = memory::data_type::f32;

// Attributes every plan is created with: the caller provides the scratchpad.
dnnl::primitive_attr plan_attr();

struct Bound;

class Plan {
 public:
  // args: the DNNL_ARG_* ids the primitive is executed with, in the slot order Exec::set uses.
  Plan(const dnnl::primitive_desc& pd, std::initializer_list<int> args);
  // The same, for a primitive created with format_tag::any: user_mds[i] is the plain layout
  // of the caller's pointer for slot i (an empty desc: the primitive's own). Where the
  // primitive chose another layout (oneDNN's fast convolutions want blocked nChw16c
  // activations and blocked weights), run() reorders inputs into staging buffers before and
  // outputs out of them after — measured far cheaper than the im2col path plain layouts get.
  Plan(const dnnl::primitive_desc& pd, std::initializer_list<int> args, const std::vector<memory::desc>& user_mds);
  ~Plan();

 private:
  friend class Exec;
  friend class PlanCache;
  struct Staged {
    int slot;
    bool output;  // reorder after the primitive (primitive → user), else before
    memory::desc user_md;
    dnnl::reorder reorder;
  };
  dnnl::primitive prim_;
  std::vector<int> arg_ids_;
  std::vector<memory::desc> arg_mds_;
  std::vector<Staged> staged_;
  memory::desc scratchpad_md_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Bound>> free_;
};

class Exec {
 public:
  Exec(std::shared_ptr<Plan> plan, std::unique_ptr<Bound> bound);
  Exec(Exec&&) noexcept;
  Exec& operator=(Exec&&) = delete;
  ~Exec();

  // Points argument slot i (the order given to Plan) at p for the next run().
  void set(int slot, const void* p);
  // n temporary floats owned by this binding (grown on first use, then reused).
  float* temp(int64_t n);
  // Executes on the calling thread's stream and waits.
  void run();

 private:
  std::shared_ptr<Plan> plan_;
  std::unique_ptr<Bound> bound_;
};

using Key = std::array<int64_t, 8>;

class PlanCache {
 public:
  explicit PlanCache(int capacity = 4);
  ~PlanCache();

  // The plan for key (make() builds it on a miss: () -> std::shared_ptr<Plan>), bound for one
  // execution. oneDNN errors while building become gm::Error(Status::internal).
  template <typename Make>
  Exec acquire(const Key& key, Make&& make) {
    std::shared_ptr<Plan> plan = find(key);
    if (!plan) {
      try {
        plan = insert(key, make());
      } catch (const dnnl::error& e) {
        fail(Status::internal, "oneDNN could not create a primitive: {} (status {})", e.what(),
             static_cast<int>(e.status));
      }
    }
    return checkout(std::move(plan));
  }

 private:
  struct Slot {
    Key key;
    int threads;
    std::shared_ptr<Plan> plan;
  };
  std::shared_ptr<Plan> find(const Key& key);
  std::shared_ptr<Plan> insert(const Key& key, std::shared_ptr<Plan> plan);
  static Exec checkout(std::shared_ptr<Plan> plan);

  int capacity_;
  std::mutex mutex_;
  std::vector<Slot> slots_;  // most recently used first
};

// Plans built since the process started: tests check that shapes are not rebuilt.
int64_t plans_created();

// A plan for pd, executed with the DNNL_ARG_* ids args (the slot order of Exec::set).
inline std::shared_ptr<Plan> make_plan(const dnnl::primitive_desc& pd, std::initializer_list<int> args) {
  return std::make_shared<Plan>(pd, args);
}
inline std::shared_ptr<Plan> make_plan(const dnnl::primitive_desc& pd, std::initializer_list<int> args,
                                       const std::vector<memory::desc>& user_mds) {
  return std::make_shared<Plan>(pd, args, user_mds);
}

// Shorthand for a plain row-major memory descriptor.
inline memory::desc md(const Dims& dims, Tag tag) { return memory::desc(dims, f32, tag); }
inline memory::desc md_strided(const Dims& dims, const Dims& strides) { return memory::desc(dims, f32, strides); }

}  // namespace gm::nn::detail
