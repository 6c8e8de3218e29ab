"""PyTorch reference for `vae`: 784-400(ReLU)-20 encoder, 20-400(ReLU)-784 Bernoulli decoder,
Adam lr 1e-3, batch 100. Reports per-epoch test ELBO, training throughput, peak memory and
the importance-weighted bound (k = 500) on the first 2 000 test images.
Usage: vae.py [--epochs 20] [--threads 2] [--iwae-k 500] [--iwae-n 2000]"""
import argparse
import math

from common import Timer, blas_info, emit, load_fashion, peak_rss_mib, setup_torch

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--iwae-k", type=int, default=500)
p.add_argument("--iwae-n", type=int, default=2000)
args = p.parse_args()
torch = setup_torch(args.threads)
F = torch.nn.functional

xtr, _ = load_fashion("train")
xte, _ = load_fashion("test")
xtr, xte = torch.from_numpy(xtr), torch.from_numpy(xte)


class VAE(torch.nn.Module):
    def __init__(self, d=784, h=400, z=20):
        super().__init__()
        self.e1, self.mu, self.lv = torch.nn.Linear(d, h), torch.nn.Linear(h, z), torch.nn.Linear(h, z)
        self.d1, self.d2 = torch.nn.Linear(z, h), torch.nn.Linear(h, d)

    def encode(self, x):
        h = F.relu(self.e1(x))
        return self.mu(h), self.lv(h)

    def decode_logits(self, z):
        return self.d2(F.relu(self.d1(z)))

    def elbo(self, x):
        """Per-example ELBO in nats."""
        mu, lv = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
        rec = -F.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="none").sum(1)
        kl = 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).sum(1)
        return rec - kl

    def iwae(self, x, k):
        mu, lv = self.encode(x)
        std = torch.exp(0.5 * lv)
        eps = torch.randn(k, *mu.shape)
        z = mu + eps * std  # (k, B, Z)
        logits = self.decode_logits(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand(k, -1, -1), reduction="none").sum(2)
        log_pz = (-0.5 * z.pow(2) - 0.5 * math.log(2 * math.pi)).sum(2)
        log_qz = (-0.5 * eps.pow(2) - 0.5 * math.log(2 * math.pi) - 0.5 * lv).sum(2)
        return torch.logsumexp(log_px_z + log_pz - log_qz, 0) - math.log(k)


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
info = blas_info()
emit({"model": "vae", "impl": "torch", **info})
n = xtr.shape[0]
for epoch in range(1, args.epochs + 1):
    perm = torch.randperm(n)
    with Timer() as t:
        for i in range(0, n, args.batch):
            xb = xtr[perm[i : i + args.batch]]
            loss = -model.elbo(xb).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        test_elbo = torch.cat([model.elbo(xte[i : i + 1000]) for i in range(0, 10000, 1000)]).mean().item()
    emit({"epoch": epoch, "train_seconds": t.seconds, "images_per_s": n / t.seconds,
          "test_nll_elbo": -test_elbo, "peak_rss_mib": peak_rss_mib()})
with torch.no_grad(), Timer() as t:  # --iwae-n 0 skips the bound (bench/speed.sh)
    bound = (torch.cat([model.iwae(xte[i : i + 20], args.iwae_k) for i in range(0, args.iwae_n, 20)]).mean().item()
             if args.iwae_n > 0 else float("nan"))
emit({"final": True, "test_nll_elbo": -test_elbo, f"iwae_k{args.iwae_k}_first{args.iwae_n}": -bound,
      "iwae_seconds": t.seconds, "peak_rss_mib": peak_rss_mib()})
