"""PyTorch reference for `dcgan` on grey-level Fashion-MNIST (28x28x1, no torchvision).

The training step is the PyTorch DCGAN example's (github.com/pytorch/examples, dcgan/main.py),
scaled to 28x28 with two stride-2 stages from a 7x7 base:
  data  x/255 in [0,1] mapped to [-1,1] (x*2-1); all training images, reshuffled every epoch,
        last batch smaller (60 000 = 468 x 128 + 96)
  G     z ~ N(0,1) as (B, latent, 1, 1)
        -> ConvT(latent -> 2ngf, k7 s1 p0) -> BN -> ReLU          (B, 2ngf, 7, 7)
        -> ConvT(2ngf -> ngf, k4 s2 p1)    -> BN -> ReLU          (B, ngf, 14, 14)
        -> ConvT(ngf -> 1, k4 s2 p1)       -> tanh                (B, 1, 28, 28)
  D     Conv(1 -> ndf, k4 s2 p1) -> LeakyReLU(0.2)                (B, ndf, 14, 14)
        -> Conv(ndf -> 2ndf, k4 s2 p1) -> BN -> LeakyReLU(0.2)    (B, 2ndf, 7, 7)
        -> Conv(2ndf -> 1, k7 s1 p0)                              (B, 1, 1, 1): the logit
  every convolution without bias; BN: eps 1e-5, momentum 0.1, affine.
  init  conv weights N(0, 0.02); BN weight N(1, 0.02), bias 0.
  step  fake = G(z); D: BCE(D(real), 1) + BCE(D(fake.detach()), 0), real and fake in separate
        forward calls (so D's BN normalises each with its own batch statistics); Adam step on D.
        G: BCE(D(fake), 1) through the updated D (train mode), Adam step on G.
        Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8, for both.

Output: JSON lines (common.emit): a header, one line per epoch (train_seconds covers training
only; loss_d / loss_g / d_real / d_fake are example-weighted means over the epoch's steps,
d_real and d_fake being the mean of sigmoid(D) on real and fake images before the D update),
then {"final": true, ...} (train_peak_rss_mib: the peak before sampling; peak_rss_mib: the
whole process). With --out-samples, G in eval mode (BN running statistics) draws
--samples images, mapped back to [0,1] by (y+1)/2, saved as float32 (N, 784) .npy.

Usage: dcgan.py [--epochs 25] [--threads 2] [--batch-size 128] [--seed 0] [--ngf 64] [--ndf 64]
                [--latent 100] [--samples 10000] [--out-samples FILE.npy] [--max-examples N]"""
import argparse

import numpy as np

from common import Timer, blas_info, emit, load_fashion_grey, peak_rss_mib, setup_torch

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=25)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--ngf", type=int, default=64)
p.add_argument("--ndf", type=int, default=64)
p.add_argument("--latent", type=int, default=100)
p.add_argument("--lr", type=float, default=2e-4)
p.add_argument("--samples", type=int, default=10000)
p.add_argument("--out-samples", default=None)
p.add_argument("--max-examples", type=int, default=0, help="use only the first N training images")
args = p.parse_args()
torch = setup_torch(args.threads, args.seed)
nn = torch.nn
F = nn.functional

xtr, _ = load_fashion_grey("train")
if args.max_examples > 0:
    xtr = xtr[: args.max_examples]
xtr = torch.from_numpy(xtr * 2.0 - 1.0).view(-1, 1, 28, 28)
n = xtr.shape[0]
ngf, ndf, nz = args.ngf, args.ndf, args.latent

G = nn.Sequential(
    nn.ConvTranspose2d(nz, 2 * ngf, 7, 1, 0, bias=False),
    nn.BatchNorm2d(2 * ngf),
    nn.ReLU(True),
    nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False),
    nn.BatchNorm2d(ngf),
    nn.ReLU(True),
    nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False),
    nn.Tanh(),
)
D = nn.Sequential(
    nn.Conv2d(1, ndf, 4, 2, 1, bias=False),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False),
    nn.BatchNorm2d(2 * ndf),
    nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(2 * ndf, 1, 7, 1, 0, bias=False),
)


def weights_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


G.apply(weights_init)
D.apply(weights_init)
opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

emit({"model": "dcgan", "impl": "torch", **blas_info(), "n_train": n, "batch_size": args.batch_size,
      "ngf": ngf, "ndf": ndf, "latent": nz,
      "parameters_g": sum(q.numel() for q in G.parameters()),
      "parameters_d": sum(q.numel() for q in D.parameters())})

for epoch in range(1, args.epochs + 1):
    G.train()
    D.train()
    perm = torch.randperm(n)
    sums = {"loss_d": 0.0, "loss_g": 0.0, "d_real": 0.0, "d_fake": 0.0}
    with Timer() as t:
        for i in range(0, n, args.batch_size):
            real = xtr[perm[i : i + args.batch_size]]
            b = real.shape[0]
            ones = torch.ones(b)
            zeros = torch.zeros(b)
            z = torch.randn(b, nz, 1, 1)
            fake = G(z)
            # D step
            D.zero_grad()
            out_real = D(real).view(-1)
            err_real = bce(out_real, ones)
            err_real.backward()
            out_fake = D(fake.detach()).view(-1)
            err_fake = bce(out_fake, zeros)
            err_fake.backward()
            opt_d.step()
            # G step
            G.zero_grad()
            err_g = bce(D(fake).view(-1), ones)
            err_g.backward()
            opt_g.step()
            sums["loss_d"] += (err_real.item() + err_fake.item()) * b
            sums["loss_g"] += err_g.item() * b
            sums["d_real"] += torch.sigmoid(out_real.detach()).sum().item()
            sums["d_fake"] += torch.sigmoid(out_fake.detach()).sum().item()
    emit({"epoch": epoch, "train_seconds": t.seconds, "images_per_s": n / t.seconds,
          **{k: v / n for k, v in sums.items()}, "peak_rss_mib": peak_rss_mib()})

final = {"final": True, "epochs": args.epochs, "train_peak_rss_mib": peak_rss_mib(), "peak_rss_mib": peak_rss_mib()}
if args.out_samples:
    G.eval()
    gen = torch.Generator().manual_seed(args.seed + 1)
    chunks = []
    with torch.no_grad(), Timer() as t:
        for i in range(0, args.samples, 1000):
            z = torch.randn(min(1000, args.samples - i), nz, 1, 1, generator=gen)
            chunks.append(((G(z) + 1.0) / 2.0).view(-1, 784))
    s = torch.cat(chunks).numpy().astype(np.float32)
    np.save(args.out_samples, s)
    # Range check instead of a picture: tanh keeps (y+1)/2 in [0,1]; the mean and the share of
    # near-black pixels should be near the data's (grey Fashion-MNIST: mean 0.286, ~50% < 0.05).
    # (data statistics from the [-1,1] tensor directly: no 190 MB copies in the peak RSS)
    final.update({
        "samples": int(s.shape[0]), "samples_file": args.out_samples, "sample_seconds": t.seconds,
        "sample_min": float(s.min()), "sample_max": float(s.max()),
        "sample_mean": float(s.mean()), "sample_std": float(s.std()),
        "sample_frac_below_0.05": float((s < 0.05).mean()),
        "data_mean": (xtr.mean().item() + 1.0) / 2.0, "data_std": xtr.std().item() / 2.0,
        "data_frac_below_0.05": (xtr < -0.9).float().mean().item(),
        "samples_in_range": bool(np.isfinite(s).all() and s.min() >= 0.0 and s.max() <= 1.0),
        "peak_rss_mib": peak_rss_mib(),
    })
emit(final)
if args.out_samples and not final["samples_in_range"]:
    raise SystemExit("dcgan.py: samples outside [0, 1] or not finite")
