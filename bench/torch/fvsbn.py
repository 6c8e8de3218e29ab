"""PyTorch reference for `fvsbn`: p(x_i | x_<i) = sigmoid(b_i + sum_{j<i} W_ij x_j), trained
by maximum likelihood with Adam lr 1e-3, batch 100 (the mask keeps W strictly lower
triangular). Reports per-epoch test NLL, training throughput, and log_prob / sampling
throughput of a batched implementation.
Usage: fvsbn.py [--epochs 20] [--threads 2]"""
import argparse

from common import Timer, blas_info, emit, load_fashion, peak_rss_mib, setup_torch

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=100)
args = p.parse_args()
torch = setup_torch(args.threads)
F = torch.nn.functional

xtr, _ = load_fashion("train")
xte, _ = load_fashion("test")
xtr, xte = torch.from_numpy(xtr), torch.from_numpy(xte)
D = 784
mask = torch.tril(torch.ones(D, D), diagonal=-1)
W = torch.zeros(D, D, requires_grad=True)
b = torch.zeros(D, requires_grad=True)
opt = torch.optim.Adam([W, b], lr=1e-3)


def log_prob(x):
    logits = x @ (W * mask).t() + b
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


emit({"model": "fvsbn", "impl": "torch", **blas_info()})
n = xtr.shape[0]
for epoch in range(1, args.epochs + 1):
    perm = torch.randperm(n)
    with Timer() as t:
        for i in range(0, n, args.batch):
            loss = -log_prob(xtr[perm[i : i + args.batch]]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        nll = -log_prob(xte).mean().item()
    emit({"epoch": epoch, "train_seconds": t.seconds, "images_per_s": n / t.seconds, "test_nll": nll,
          "peak_rss_mib": peak_rss_mib()})

with torch.no_grad():
    with Timer() as t:
        for i in range(0, 10000, 1000):
            log_prob(xte[i : i + 1000])
    lp_rate = 10000 / t.seconds
    # Sequential sampling, batched over 1 000 samples: D steps of a (B, i) x (i) product.
    Wm = W * mask
    with Timer() as t:
        x = torch.zeros(1000, D)
        for i in range(D):
            pi = torch.sigmoid(x[:, :i] @ Wm[i, :i] + b[i])
            x[:, i] = torch.bernoulli(pi)
    emit({"final": True, "test_nll": nll, "log_prob_per_s": lp_rate, "samples_per_s": 1000 / t.seconds})
