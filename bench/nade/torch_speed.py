"""log_prob and sampling throughput of the batched PyTorch NADE, without training first.

The timed code is bench/torch/nade.py's final section verbatim (the same log_prob_batched,
the same sequential sampler batched over 1 000 samples); only the 20 epochs before it are
skipped, since the speed of those loops does not depend on the parameter values
(W, V ~ N(0, 0.01^2) as initialised there). Run with Debian's /usr/bin/python3.
Usage: torch_speed.py [--hidden 500] [--threads 2] [--repeat 3]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch"))
from common import Timer, blas_info, emit, load_fashion, setup_torch  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--hidden", type=int, default=500)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--repeat", type=int, default=3)
args = p.parse_args()
torch = setup_torch(args.threads)
F = torch.nn.functional

xte, _ = load_fashion("test")
xte = torch.from_numpy(xte)
D, H = 784, args.hidden
W = (torch.randn(H, D) * 0.01).requires_grad_()
V = (torch.randn(D, H) * 0.01).requires_grad_()
b = torch.zeros(D, requires_grad=True)
c = torch.zeros(H, requires_grad=True)


def log_prob_batched(x):
    contrib = x[:, :, None] * W.t()[None, :, :]  # (B, D, H)
    a = c + torch.cumsum(contrib, 1) - contrib  # exclusive: a_i uses x_<i
    logits = (torch.sigmoid(a) * V[None]).sum(2) + b
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


emit({"model": "nade", "impl": "torch-batched-speed", "hidden": H, **blas_info()})
for rep in range(args.repeat):
    with torch.no_grad():
        with Timer() as t:
            for i in range(0, 10000, 500):
                log_prob_batched(xte[i : i + 500])
        lp_rate = 10000 / t.seconds
        with Timer() as t:  # sequential sampling, batched over 1 000 samples
            x = torch.zeros(1000, D)
            a = c.expand(1000, H)
            for i in range(D):
                pi = torch.sigmoid(torch.sigmoid(a) @ V[i] + b[i])
                x[:, i] = torch.bernoulli(pi)
                a = a + x[:, i : i + 1] * W[:, i]
        emit({"repeat": rep, "log_prob_per_s": lp_rate, "samples_per_s": 1000 / t.seconds})
