"""Per-call overhead of the Python binding's log_prob versus the direct C call (timed in C
by direct.h, loaded as a small shared library) in one process, and the no-copy evidence.
Prints "python <direct ns> <binding ns>" and "nocopy ..." lines."""
import ctypes
import sys
import time

import numpy as np

import genmodels
from genmodels import _native

D = 784
helper = ctypes.CDLL(sys.argv[1])  # direct.so, linked to the same libgenmodels.so
helper.gmb_direct_log_prob_ns.restype = ctypes.c_double
helper.gmb_direct_log_prob_ns.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64]

i, j = np.arange(200)[:, None], np.arange(D)[None, :]
train = (((i * 31 + j * 17) % 7) < 3).astype(np.float32)
m = genmodels.Model("bernoulli").fit(train)
one = np.ascontiguousarray(train[:1])

calls = 1000


def binding():
    lp = m.log_prob
    t0 = time.perf_counter_ns()
    for _ in range(calls):
        lp(one, threads=1)
    return (time.perf_counter_ns() - t0) / calls


def direct():
    return helper.gmb_direct_log_prob_ns(m._h, one.ctypes.data, D, calls)


direct(), binding()  # warm-up
rounds = [(direct(), binding()) for _ in range(101)]  # the fastest round: the least interference
print(f"python {min(r[0] for r in rounds):.1f} {min(r[1] for r in rounds):.1f}")

# No copy: the pointer the library receives is the array's own; float64 input is converted.
seen = []
real = _native.lib.gm_model_log_prob


def spy(model, data, *rest):
    seen.append(ctypes.cast(data, ctypes.POINTER(_native.Data)).contents.x)
    return real(model, data, *rest)


big32 = np.ascontiguousarray(np.tile(train, (100, 1)))  # 20000 x 784 float32, 62.7 MB
big64 = big32.astype(np.float64)
_native.lib.gm_model_log_prob = spy
m.log_prob(big32, threads=1)
same32 = seen[-1] == big32.ctypes.data
m.log_prob(big64, threads=1)
same64 = seen[-1] == big64.ctypes.data
_native.lib.gm_model_log_prob = real


def best_ms(x):
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        m.log_prob(x, threads=1)
        times.append((time.perf_counter() - t0) * 1e3)
    return min(times)


print(f"nocopy float32 {big32.shape[0]}x{D} pointer_passed_is_the_array's={same32} log_prob_ms={best_ms(big32):.1f}")
print(f"nocopy float64 {big64.shape[0]}x{D} pointer_passed_is_the_array's={same64} log_prob_ms={best_ms(big64):.1f}")
