"""PyTorch reference for `nade` (Larochelle & Murray 2011), tied weights, H hidden units:
  a_1 = c,  a_{i+1} = a_i + W[:, i] x_i,  h_i = sigmoid(a_i),  p(x_i = 1 | x_<i) = sigmoid(b_i + V_i . h_i)
Two implementations:
  --impl loop     the textbook autograd NADE, one pixel at a time (the speed reference of
                  issue 3: "autograd costs ~2 s per batch of 100"); measured over --batches batches
  --impl batched  all D conditionals at once with an exclusive cumulative sum over pixels,
                  (B, D, H) activations; the fair quality reference, trained for --epochs
Adam lr 1e-3, batch 100. Reports per-epoch test NLL and throughput.
Usage: nade.py [--impl batched] [--epochs 20] [--hidden 500] [--threads 2] [--batches 5]"""
import argparse

from common import Timer, blas_info, emit, load_fashion, peak_rss_mib, setup_torch

p = argparse.ArgumentParser()
p.add_argument("--impl", choices=["loop", "batched"], default="batched")
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--hidden", type=int, default=500)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--batches", type=int, default=5, help="loop impl: batches to time")
args = p.parse_args()
torch = setup_torch(args.threads)
F = torch.nn.functional

xtr, _ = load_fashion("train")
xte, _ = load_fashion("test")
xtr, xte = torch.from_numpy(xtr), torch.from_numpy(xte)
D, H = 784, args.hidden
W = (torch.randn(H, D) * 0.01).requires_grad_()
V = (torch.randn(D, H) * 0.01).requires_grad_()
b = torch.zeros(D, requires_grad=True)
c = torch.zeros(H, requires_grad=True)
opt = torch.optim.Adam([W, V, b, c], lr=1e-3)


def log_prob_batched(x):
    contrib = x[:, :, None] * W.t()[None, :, :]  # (B, D, H)
    a = c + torch.cumsum(contrib, 1) - contrib  # exclusive: a_i uses x_<i
    logits = (torch.sigmoid(a) * V[None]).sum(2) + b
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


def log_prob_loop(x):
    a = c.expand(x.shape[0], H)
    total = 0
    for i in range(D):
        logit = torch.sigmoid(a) @ V[i] + b[i]
        total = total - F.binary_cross_entropy_with_logits(logit, x[:, i], reduction="none")
        a = a + x[:, i : i + 1] * W[:, i]
    return total


emit({"model": "nade", "impl": f"torch-{args.impl}", "hidden": H, **blas_info()})
n = xtr.shape[0]
if args.impl == "loop":
    perm = torch.randperm(n)
    with Timer() as t:
        for k in range(args.batches):
            loss = -log_prob_loop(xtr[perm[k * args.batch : (k + 1) * args.batch]]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    emit({"final": True, "seconds_per_batch": t.seconds / args.batches,
          "images_per_s": args.batches * args.batch / t.seconds, "peak_rss_mib": peak_rss_mib()})
    raise SystemExit

for epoch in range(1, args.epochs + 1):
    perm = torch.randperm(n)
    with Timer() as t:
        for i in range(0, n, args.batch):
            loss = -log_prob_batched(xtr[perm[i : i + args.batch]]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        nll = -torch.cat([log_prob_batched(xte[i : i + 500]) for i in range(0, 10000, 500)]).mean().item()
    emit({"epoch": epoch, "train_seconds": t.seconds, "images_per_s": n / t.seconds, "test_nll": nll,
          "peak_rss_mib": peak_rss_mib()})

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
    emit({"final": True, "test_nll": nll, "log_prob_per_s": lp_rate, "samples_per_s": 1000 / t.seconds})
