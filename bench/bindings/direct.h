/* The baseline of the bindings benchmark: per-call time of gm_model_log_prob on one row,
 * called directly from C in a tight loop. Shared by every language's benchmark so that the
 * binding and the direct call are measured in the same process. */
#ifndef GENMODELS_BENCH_DIRECT_H
#define GENMODELS_BENCH_DIRECT_H

#include <genmodels/genmodels.h>
#include <string.h>
#include <time.h>

#define GMB_D 784

/* static inline by default; `cc -DGMB_API= -x c direct.h -shared` exports them for ctypes. */
#ifndef GMB_API
#define GMB_API static inline
#endif

/* The benchmark's data: deterministic binary rows of width GMB_D (row i, column j). */
GMB_API float gmb_value(int64_t i, int64_t j) { return (float)(((i * 31 + j * 17) % 7) < 3); }

GMB_API double gmb_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Nanoseconds per direct call over `calls` calls, with threads = 1 as every binding uses. */
GMB_API double gmb_direct_log_prob_ns(const gm_model* m, const float* x, int64_t d, int64_t calls) {
  gm_data v;
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  v.x = x, v.n = 1, v.d = d;
  gm_eval_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.threads = 1;
  double out = 0;
  const double t0 = gmb_now_ns();
  for (int64_t i = 0; i < calls; ++i) gm_model_log_prob(m, &v, &o, &out, 1, NULL);
  return (gmb_now_ns() - t0) / (double)calls;
}

#endif
