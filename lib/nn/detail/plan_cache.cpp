#include "nn/detail/plan_cache.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>

namespace gm::nn::detail {

namespace {
std::atomic<int64_t> g_plans_created{0};
}  // namespace

int64_t plans_created() { return g_plans_created.load(); }

dnnl::primitive_attr plan_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

struct Bound {
  std::vector<memory> mems;  // one per argument slot, then the scratchpad
  std::vector<dnnl_exec_arg_t> args;
  Buffer scratchpad;
  Buffer temp;
  // Per staged slot (Plan::staged_ order): the caller's memory and the staging buffer the
  // primitive's memory of that slot points into.
  std::vector<memory> user_mems;
  std::vector<Buffer> staging;
};

namespace {
bool is_output(int arg) {
  return arg == DNNL_ARG_DST || arg == DNNL_ARG_DIFF_SRC || arg == DNNL_ARG_DIFF_WEIGHTS || arg == DNNL_ARG_DIFF_BIAS;
}
}  // namespace

Plan::Plan(const dnnl::primitive_desc& pd, std::initializer_list<int> args)
    : prim_(pd), arg_ids_(args), scratchpad_md_(pd.scratchpad_desc()) {
  for (int id : arg_ids_) arg_mds_.push_back(pd.query_md(dnnl::query::exec_arg_md, id));
  free_.reserve(8);
  ++g_plans_created;
}

Plan::Plan(const dnnl::primitive_desc& pd, std::initializer_list<int> args, const std::vector<memory::desc>& user_mds)
    : Plan(pd, args) {
  const dnnl::engine& eng = cpu_engine();
  for (std::size_t i = 0; i < arg_ids_.size() && i < user_mds.size(); ++i) {
    const memory::desc& user = user_mds[i];
    if (user.is_zero() || user == arg_mds_[i]) continue;
    const bool out = is_output(arg_ids_[i]);
    const dnnl::reorder::primitive_desc rpd = out ? dnnl::reorder::primitive_desc(eng, arg_mds_[i], eng, user)
                                                  : dnnl::reorder::primitive_desc(eng, user, eng, arg_mds_[i]);
    staged_.push_back({static_cast<int>(i), out, user, dnnl::reorder(rpd)});
  }
}

Plan::~Plan() = default;

Exec::Exec(std::shared_ptr<Plan> plan, std::unique_ptr<Bound> bound)
    : plan_(std::move(plan)), bound_(std::move(bound)) {}

Exec::Exec(Exec&& o) noexcept : plan_(std::move(o.plan_)), bound_(std::move(o.bound_)) {}

Exec::~Exec() {
  if (!bound_) return;
  std::lock_guard<std::mutex> lock(plan_->mutex_);
  plan_->free_.push_back(std::move(bound_));
}

void Exec::set(int slot, const void* p) {
  for (std::size_t k = 0; k < plan_->staged_.size(); ++k) {
    if (plan_->staged_[k].slot == slot) {
      bound_->user_mems[k].set_data_handle(const_cast<void*>(p));
      return;
    }
  }
  bound_->mems[static_cast<std::size_t>(slot)].set_data_handle(const_cast<void*>(p));
}

float* Exec::temp(int64_t n) {
  bound_->temp.resize(n);
  return bound_->temp.data();
}

void Exec::run() {
  dnnl::stream& s = thread_stream();
  const std::vector<Plan::Staged>& staged = plan_->staged_;
  for (std::size_t k = 0; k < staged.size(); ++k)
    if (!staged[k].output)
      staged[k].reorder.execute(s, bound_->user_mems[k], bound_->mems[static_cast<std::size_t>(staged[k].slot)]);
  const dnnl_status_t st =
      dnnl_primitive_execute(plan_->prim_.get(), s.get(), static_cast<int>(bound_->args.size()), bound_->args.data());
  if (st != dnnl_success) fail(Status::internal, "oneDNN primitive execution failed (status {})", st);
  for (std::size_t k = 0; k < staged.size(); ++k)
    if (staged[k].output)
      staged[k].reorder.execute(s, bound_->mems[static_cast<std::size_t>(staged[k].slot)], bound_->user_mems[k]);
  s.wait();
}

PlanCache::PlanCache(int capacity) : capacity_(capacity) { slots_.reserve(static_cast<std::size_t>(capacity) + 1); }

PlanCache::~PlanCache() = default;

std::shared_ptr<Plan> PlanCache::find(const Key& key) {
  const int threads = omp_get_max_threads();
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].key == key && slots_[i].threads == threads) {
      // Move to front: a layer alternating between two batch sizes keeps both.
      std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(i),
                  slots_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return slots_.front().plan;
    }
  }
  return nullptr;
}

std::shared_ptr<Plan> PlanCache::insert(const Key& key, std::shared_ptr<Plan> plan) {
  const int threads = omp_get_max_threads();
  std::lock_guard<std::mutex> lock(mutex_);
  // Another thread may have built the same plan meanwhile: keep one.
  for (const Slot& s : slots_)
    if (s.key == key && s.threads == threads) return s.plan;
  slots_.insert(slots_.begin(), Slot{key, threads, std::move(plan)});
  // Evicted plans live on while an Exec still holds them.
  if (static_cast<int>(slots_.size()) > capacity_) slots_.pop_back();
  return slots_.front().plan;
}

Exec PlanCache::checkout(std::shared_ptr<Plan> plan) {
  std::unique_ptr<Bound> bound;
  {
    std::lock_guard<std::mutex> lock(plan->mutex_);
    if (!plan->free_.empty()) {
      bound = std::move(plan->free_.back());
      plan->free_.pop_back();
    }
  }
  if (!bound) {
    // First use by this many concurrent callers: build the binding once.
    bound = std::make_unique<Bound>();
    const dnnl::engine& eng = cpu_engine();
    for (std::size_t i = 0; i < plan->arg_ids_.size(); ++i) {
      bound->mems.emplace_back(plan->arg_mds_[i], eng, static_cast<void*>(DNNL_MEMORY_NONE));
      bound->args.push_back({plan->arg_ids_[i], nullptr});
    }
    const std::size_t bytes = plan->scratchpad_md_.get_size();
    if (bytes > 0) {
      bound->scratchpad.resize(static_cast<int64_t>((bytes + 3) / 4));
      bound->mems.emplace_back(plan->scratchpad_md_, eng, bound->scratchpad.data());
      bound->args.push_back({DNNL_ARG_SCRATCHPAD, nullptr});
    }
    // Staged slots: the primitive's memory lives in a staging buffer of its own layout.
    bound->staging.resize(plan->staged_.size());
    for (std::size_t k = 0; k < plan->staged_.size(); ++k) {
      const Plan::Staged& st = plan->staged_[k];
      const auto slot = static_cast<std::size_t>(st.slot);
      bound->staging[k].resize(static_cast<int64_t>((plan->arg_mds_[slot].get_size() + 3) / 4));
      bound->mems[slot].set_data_handle(bound->staging[k].data());
      bound->user_mems.emplace_back(st.user_md, eng, static_cast<void*>(DNNL_MEMORY_NONE));
    }
    for (std::size_t i = 0; i < bound->mems.size(); ++i) bound->args[i].memory = bound->mems[i].get();
  }
  return Exec(std::move(plan), std::move(bound));
}

}  // namespace gm::nn::detail
