"""PyTorch reference for `stargan` on the four-domain Fashion-MNIST task (28x28x1, no torchvision).

The training step is the official StarGAN code's (github.com/yunjey/stargan, solver.py train(),
the RaFD branch: softmax cross-entropy over one domain label), with its networks (model.py)
scaled to 28x28 exactly as genmodels' `stargan` (lib/models/stargan/stargan_nets.hpp):
  data  bench/cyclegan/domains.py stargan_domains: four disjoint quarters of the training images,
        quarter k through T_k (0 identity, 1 inversion, 2 rotation 90 degrees, 3 horizontal
        flip), labels k; --max-examples N uses the first N training images (N/4 per domain).
        x in [0,1] mapped to [-1,1]. Every epoch shuffles all rows; batches of --batch-size.
  G(x, c)  input: the image, then K planes holding the one-hot target c tiled over 28x28.
        IN = InstanceNorm2d(affine=True, track_running_stats=False): each image's own statistics
        in training and evaluation alike (the official code tracks running statistics and uses
        them in evaluation; genmodels does not, docs/gan.md), so the two agree.
        Conv(1+K -> ngf, k7 s1 p3, no bias) IN ReLU                          (ngf, 28, 28)
        Conv(ngf -> 2ngf, k4 s2 p1, no bias) IN ReLU                         (2ngf, 14, 14)
        Conv(2ngf -> 4ngf, k4 s2 p1, no bias) IN ReLU                        (4ngf, 7, 7)
        n_res x y = x + IN(Conv3(ReLU(IN(Conv3(x))))), Conv3 = k3 s1 p1 (zero padding), no bias
        ConvT(4ngf -> 2ngf, k4 s2 p1, no bias) IN ReLU                       (2ngf, 14, 14)
        ConvT(2ngf -> ngf, k4 s2 p1, no bias) IN ReLU                        (ngf, 28, 28)
        Conv(ngf -> 1, k7 s1 p3, no bias) tanh
  D(x)  Conv(1 -> ndf, k4 s2 p1) LeakyReLU(0.01); Conv(ndf -> 2ndf, k4 s2 p1) LeakyReLU(0.01)
        (28 -> 14 -> 7: the trunk stops where the map is odd); heads on the (2ndf, 7, 7) map:
        src = Conv(2ndf -> 1, k3 s1 p1, no bias) (a 7x7 patch map), cls = Conv(2ndf -> K, k7,
        no bias) (the domain logits).
  init  PyTorch's defaults (the official code does not change them).
  step  c_trg: a uniform random domain per row (the official code permutes the batch's labels;
        uniform is genmodels' choice, and the difference is immaterial with 4 balanced domains).
        D step, every iteration:
          L_D = -mean D_src(x) + mean D_src(G(x, c_trg)) + lambda_cls CE(D_cls(x), c_org)
                + lambda_gp mean_b (||grad_xhat sum_p D_src(xhat)_p||_2 - 1)^2,
          xhat = e x + (1 - e) G(x, c_trg), e ~ U(0,1) per row.
        G step, every n_critic-th iteration (iterations counted from 1, as genmodels' step):
          L_G = -mean D_src(G(x, c_trg)) + lambda_cls CE(D_cls(G(x, c_trg)), c_trg)
                + lambda_rec mean |x - G(G(x, c_trg), c_org)|
                [+ lambda_id mean |x - G(x, c_org)|, --lambda-id, 0 by default: genmodels'
                 lambda_identity, not the paper's].
        lambda_cls 1, lambda_rec 10, lambda_gp 10, n_critic 5, Adam 1e-4 betas (0.5, 0.999) for
        both (no learning-rate decay).

Output: JSON lines (common.emit): a header, one line per epoch (train_seconds; the losses are
means over the epoch's D steps / G steps), then {"final": true, ...}; with --out-dir DIR the
first --n-test test images are translated to each domain k and saved as DIR/to_k.npy (float32
(N, 784) on [0,1], (y+1)/2), and the final line gives per domain the MAE against T_k(x) and the
identity map's MAE.

Experiments (not genmodels' model; bench/RESULTS.md "stargan" gives what each did):
  --cond cin            conditional instance norm: every IN of G takes a per-domain scale and
                        shift as well (the tiled planes are constant, so IN removes them except
                        at the zero-padded border).
  --gan-loss lsgan      least-squares adversarial loss (CycleGAN's) instead of WGAN-GP.
  --lambda-id-from S    the identity term (--lambda-id) only from generator step S on.
  --keep-domains 0,1    train and score on a subset of the four domains (K = its size).
  --g-norm none         no normalisation in G (a learned per-channel bias in place of each IN).
  --first-norm none     no normalisation after G's first convolution only: instance norm removes
                        each image's mean, and with it most of what tells an inverted input
                        (bright background) from a plain one.
  --d-extra N           N more 3x3 convolutions with LeakyReLU on D's 7x7 map before the heads
                        (a deeper D, whose patches see the whole garment).

Usage: stargan.py [--epochs 1] [--threads 2] [--batch-size 16] [--seed 0] [--ngf 32] [--ndf 64]
                  [--n-res 4] [--lr 1e-4] [--n-critic 5] [--max-examples N] [--n-test 1000]
                  [--lambda-id 0] [--lambda-id-from S] [--cond input|cin] [--gan-loss wgan-gp|lsgan]
                  [--keep-domains LIST] [--g-norm in|none] [--first-norm in|none]
                  [--d-extra N]
                  [--out-dir DIR] [--log-every K]"""
import argparse
import os
import sys

import numpy as np

from common import Timer, blas_info, emit, load_fashion_grey, peak_rss_mib, setup_torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cyclegan"))
from domains import STARGAN_DOMAINS, TRANSFORMS, stargan_domains  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch-size", type=int, default=16)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--ngf", type=int, default=32)
p.add_argument("--ndf", type=int, default=64)
p.add_argument("--n-res", type=int, default=4)
p.add_argument("--lr", type=float, default=1e-4)
p.add_argument("--n-critic", type=int, default=5)
p.add_argument("--lambda-cls", type=float, default=1.0)
p.add_argument("--lambda-rec", type=float, default=10.0)
p.add_argument("--lambda-gp", type=float, default=10.0)
p.add_argument("--lambda-id", type=float, default=0.0, help="genmodels' lambda_identity: L1(G(x, c_org), x), not the paper's")
p.add_argument("--lambda-id-from", type=int, default=0,
               help="the identity term counts from this generator step on (0: from the start; an experiment)")
p.add_argument("--cond", choices=["input", "cin"], default="input",
               help="how G reads the target: input = tiled planes only (the paper's); cin = also conditional "
                    "instance norm, a per-domain scale and shift in every IN of G (an experiment)")
p.add_argument("--g-norm", choices=["in", "none"], default="in",
               help="experiment: G's normalisation, or none at all (a learned bias instead)")
p.add_argument("--first-norm", choices=["in", "none"], default="in",
               help="experiment: drop the norm after G's first convolution only (it keeps a bias)")
p.add_argument("--d-extra", type=int, default=0,
               help="experiment: N more 3x3 convolutions (2ndf, LeakyReLU) on D's last map, before the heads")
p.add_argument("--gan-loss", choices=["wgan-gp", "lsgan"], default="wgan-gp",
               help="the adversarial loss on D_src: wgan-gp (the paper's) or lsgan (least squares, no "
                    "penalty, CycleGAN's; an experiment)")
p.add_argument("--keep-domains", default="",
               help="comma-separated domain indices to train on (e.g. 0,1: identity and inversion only); "
                    "default all four (an experiment)")
p.add_argument("--max-examples", type=int, default=0, help="use only the first N training images (N/4 per domain)")
p.add_argument("--n-test", type=int, default=1000)
p.add_argument("--out-dir", default=None, help="write DIR/to_k.npy, the test images translated to domain k")
p.add_argument("--log-every", type=int, default=0, help="also emit the running losses every K iterations")
args = p.parse_args()
torch = setup_torch(args.threads, args.seed)
nn = torch.nn
F = torch.nn.functional

xtr, _ = load_fashion_grey("train")
x_np, l_np = stargan_domains(xtr, args.max_examples)
del xtr
X = torch.from_numpy(x_np * 2.0 - 1.0).view(-1, 1, 28, 28)
L = torch.from_numpy(l_np.astype(np.int64))
NAMES = list(STARGAN_DOMAINS)
if args.keep_domains:
    kept = [int(k) for k in args.keep_domains.split(",")]
    if len(set(kept)) != len(kept) or len(kept) < 2 or not all(0 <= k < len(NAMES) for k in kept):
        p.error(f"--keep-domains wants at least two distinct indices in 0..{len(NAMES) - 1}, got {args.keep_domains}")
    rows = torch.cat([torch.nonzero(L == k).view(-1) for k in kept])
    new_index = torch.full((len(NAMES),), -1, dtype=torch.int64)
    new_index[kept] = torch.arange(len(kept))
    X, L = X[rows], new_index[L[rows]]
    NAMES = [NAMES[k] for k in kept]
if args.d_extra < 0:
    p.error(f"--d-extra wants 0 or more layers, got {args.d_extra}")
n, K, C, ngf, ndf = X.shape[0], len(NAMES), 1, args.ngf, args.ndf


class CondNorm(nn.Module):
    """Instance norm whose scale and shift are looked up by the target domain (Dumoulin et al.
    2017): the tiled planes are constant over the image, so the first IN removes all of them
    but the zero-padding border; these survive every normalisation."""
    current = None  # the batch's target domains, set by Generator.forward

    def __init__(self, c):
        super().__init__()
        self.norm = nn.InstanceNorm2d(c, affine=False, track_running_stats=False)
        self.gamma = nn.Parameter(torch.ones(K, c))
        self.beta = nn.Parameter(torch.zeros(K, c))

    def forward(self, x):
        c = CondNorm.current
        return self.norm(x) * self.gamma[c][:, :, None, None] + self.beta[c][:, :, None, None]


class Bias(nn.Module):
    """A per-channel learned shift: what a convolution without bias needs where no norm follows."""

    def __init__(self, c):
        super().__init__()
        self.b = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return x + self.b[None, :, None, None]


def norm(c):
    if args.g_norm == "none":
        return Bias(c)
    if args.cond == "cin":
        return CondNorm(c)
    return nn.InstanceNorm2d(c, affine=True, track_running_stats=False)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), norm(c), nn.ReLU(True),
                                  nn.Conv2d(c, c, 3, 1, 1, bias=False), norm(c))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(C + K, ngf, 7, 1, 3, bias=False), Bias(ngf) if args.first_norm == "none" else norm(ngf),
            nn.ReLU(True),
            nn.Conv2d(ngf, 2 * ngf, 4, 2, 1, bias=False), norm(2 * ngf), nn.ReLU(True),
            nn.Conv2d(2 * ngf, 4 * ngf, 4, 2, 1, bias=False), norm(4 * ngf), nn.ReLU(True),
            *[ResBlock(4 * ngf) for _ in range(args.n_res)],
            nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False), norm(2 * ngf), nn.ReLU(True),
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), norm(ngf), nn.ReLU(True),
            nn.Conv2d(ngf, C, 7, 1, 3, bias=False), nn.Tanh())

    def forward(self, x, c):
        CondNorm.current = c
        planes = F.one_hot(c, K).to(x.dtype).view(-1, K, 1, 1).expand(-1, K, x.shape[2], x.shape[3])
        return self.main(torch.cat([x, planes], 1))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv2d(C, ndf, 4, 2, 1), nn.LeakyReLU(0.01),
                                   nn.Conv2d(ndf, 2 * ndf, 4, 2, 1), nn.LeakyReLU(0.01),
                                   *[m for _ in range(args.d_extra)
                                     for m in (nn.Conv2d(2 * ndf, 2 * ndf, 3, 1, 1), nn.LeakyReLU(0.01))])
        self.src = nn.Conv2d(2 * ndf, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(2 * ndf, K, 7, 1, 0, bias=False)

    def forward(self, x):
        h = self.trunk(x)
        return self.src(h), self.cls(h).view(-1, K)


G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
count = lambda net: sum(q.numel() for q in net.parameters())
emit({"model": "stargan", "impl": "torch", **blas_info(), "rows": n, "domains": K, "batch_size": args.batch_size,
      "ngf": ngf, "ndf": ndf, "n_res": args.n_res, "cond": args.cond, "g_norm": args.g_norm,
      "first_norm": args.first_norm, "d_extra": args.d_extra, "gan_loss": args.gan_loss,
      "parameters_g": count(G), "parameters_d": count(D)})

keys_d = ("d_real", "d_fake", "d_cls", "d_gp", "loss_d")
keys_g = ("g_fake", "g_cls", "g_rec", "loss_g")
lsgan = args.gan_loss == "lsgan"
it = g_steps = 0  # iterations, generator steps
for epoch in range(1, args.epochs + 1):
    G.train()
    D.train()
    perm = torch.randperm(n)
    sd, sg = dict.fromkeys(keys_d, 0.0), dict.fromkeys(keys_g, 0.0)
    nd = ng = 0
    with Timer() as t:
        for i in range(0, n, args.batch_size):
            it += 1
            idx = perm[i : i + args.batch_size]
            x, c_org = X[idx], L[idx]
            c_trg = torch.randint(0, K, c_org.shape)
            # discriminator step
            src, cls = D(x)
            d_real = 0.5 * ((src - 1) ** 2).mean() if lsgan else -src.mean()
            d_cls = F.cross_entropy(cls, c_org)
            x_fake = G(x, c_trg)
            src, _ = D(x_fake.detach())
            d_fake = 0.5 * (src**2).mean() if lsgan else src.mean()
            if lsgan:
                d_gp = torch.zeros(())
            else:
                e = torch.rand(x.shape[0], 1, 1, 1)
                x_hat = (e * x + (1 - e) * x_fake.detach()).requires_grad_(True)
                src, _ = D(x_hat)
                g = torch.autograd.grad(src, x_hat, torch.ones_like(src), create_graph=True)[0].view(x.shape[0], -1)
                d_gp = ((g.norm(2, dim=1) - 1) ** 2).mean()
            loss_d = d_real + d_fake + args.lambda_cls * d_cls + args.lambda_gp * d_gp
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            for k, v in zip(keys_d, (d_real, d_fake, d_cls, d_gp, loss_d)):
                sd[k] += v.item()
            nd += 1
            # generator step
            if it % args.n_critic == 0:
                x_fake = G(x, c_trg)
                src, cls = D(x_fake)
                g_fake = 0.5 * ((src - 1) ** 2).mean() if lsgan else -src.mean()
                g_cls = F.cross_entropy(cls, c_trg)
                g_rec = (x - G(x_fake, c_org)).abs().mean()
                loss_g = g_fake + args.lambda_rec * g_rec + args.lambda_cls * g_cls
                if args.lambda_id > 0 and g_steps >= args.lambda_id_from:
                    loss_g = loss_g + args.lambda_id * (x - G(x, c_org)).abs().mean()
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
                for k, v in zip(keys_g, (g_fake, g_cls, g_rec, loss_g)):
                    sg[k] += v.item()
                ng += 1
                g_steps += 1
            if args.log_every and it % args.log_every == 0:
                emit({"iteration": it, **{k: v / max(nd, 1) for k, v in sd.items()},
                      **{k: v / max(ng, 1) for k, v in sg.items()}})
    emit({"epoch": epoch, "train_seconds": t.seconds, "images_per_s": n / t.seconds,
          **{k: v / max(nd, 1) for k, v in sd.items()}, **{k: v / max(ng, 1) for k, v in sg.items()},
          "peak_rss_mib": peak_rss_mib()})

final = {"final": True, "epochs": args.epochs, "iterations": it, "peak_rss_mib": peak_rss_mib()}
if args.out_dir:
    os.makedirs(args.out_dir, exist_ok=True)
    G.eval()
    xte = load_fashion_grey("test")[0][: args.n_test]
    with torch.no_grad():
        for k, name in enumerate(NAMES):
            ys = []
            for i in range(0, xte.shape[0], 100):
                x = torch.from_numpy(xte[i : i + 100] * 2.0 - 1.0).view(-1, 1, 28, 28)
                ys.append(((G(x, torch.full((x.shape[0],), k)) + 1.0) / 2.0).reshape(-1, 784))
            y = torch.cat(ys).numpy().astype(np.float32)
            np.save(os.path.join(args.out_dir, f"to_{k}.npy"), y)
            target = TRANSFORMS[name](xte)
            final[f"mae_{k}_{name}"] = float(np.abs(y - target).mean())
            final[f"identity_mae_{k}"] = float(np.abs(xte - target).mean())
emit(final)
