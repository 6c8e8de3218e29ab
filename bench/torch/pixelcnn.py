"""PyTorch reference for `pixelcnn` (issue 14): the Gated PixelCNN of lib/models/pixelcnn_net.hpp,
layer for layer (van den Oord et al. 2016, no blind spot).

  x~ = 2x/(M-1) - 1,  x~v = x~ shifted down one row (row 0 zero)
  layer 0:  v^ = conv (K0/2 x K0) on x~v, padded K0/2-1 top, K0/2 left/right
            h^ = conv (1 x (K0/2+1)) on x~, padded K0/2 left, mask A on the last tap
  layer l:  v^ = conv ((K/2+1) x K) on v_{l-1}, padded K/2 top, K/2 left/right
            h^ = conv (1 x (K/2+1)) on h_{l-1}, padded K/2 left, mask B
  every l:  v^ += e_l[y];  h^ += conv1x1(v^) (no bias) + e_l[y]
            v_l = tanh(v^_a) sigmoid(v^_g);  g_l = tanh(h^_a) sigmoid(h^_g)   (a: the first F maps)
            h_l = conv1x1(g_l) (mask B) + h_{l-1} (l > 0)
  out:      logits = conv1x1(relu(conv1x1(relu(h_{L-1})))) (masks B), (B, C*M, H, W); channel c's
            M logits are maps c*M .. c*M+M-1; an M-way softmax per channel per pixel (M = 2 too).
Masks: the channel-group rule of nn/masked_conv2d.hpp on the output tap (with C = 1, mask A zeroes
the first layer's horizontal centre tap, mask B is all ones). Initialisation: PyTorch's default
U(+-1/sqrt(fan_in)) for weights and biases (what nn::init_torch_default does), masked weights
zeroed, label biases 0. Loss: nats per image summed over values, the batch mean; Adam lr 1e-3,
betas (0.9, 0.999), eps 1e-8, batch 100 (genmodels' defaults).

Data: Fashion-MNIST, --levels 256 (the bytes, docs/levels.md) or --levels 2 (x/255 >= 0.5, what
--binarize 0.5 gives genmodels). Reports per-epoch test NLL in nats per image and bits/dim, and
training images/s; --steps N times N training steps on random data instead (after 2 warm-up steps).
Usage: pixelcnn.py [--levels 256] [--epochs 1] [--channels 64] [--layers 7] [--threads 2]
                   [--batch 100] [--max-train N] [--max-test N] [--steps N]"""
import argparse
import math

import numpy as np

from common import Timer, blas_info, emit, load_fashion, load_fashion_grey, peak_rss_mib, setup_torch

p = argparse.ArgumentParser()
p.add_argument("--levels", type=int, default=256, choices=[2, 256])
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--channels", type=int, default=64)
p.add_argument("--layers", type=int, default=7)
p.add_argument("--kernel", type=int, default=3)
p.add_argument("--first-kernel", type=int, default=7)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--max-train", type=int, default=0, help="train on the first N images (0: all 60 000)")
p.add_argument("--max-test", type=int, default=0, help="score the first N test images (0: all 10 000)")
p.add_argument("--steps", type=int, default=0, help="time N training steps on random data, then stop")
p.add_argument("--side", type=int, default=28, help="--steps: image side")
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
torch = setup_torch(args.threads, args.seed)
nnF = torch.nn.functional
C, M = 1, args.levels


def group(i, n, groups, halves):
    m = n // halves
    return (i % m) * groups // m


def centre_mask(co, ci, kh, kw, kind, in_halves, out_halves):
    """nn::causal_mask with the output tap at the kernel's last row and column (rectangular
    causal kernels have nothing after it): only the channel-group rule remains."""
    mask = torch.ones(co, ci, kh, kw)
    for o in range(co):
        for c in range(ci):
            gi, go = group(c, ci, C, in_halves), group(o, co, C, out_halves)
            mask[o, c, kh - 1, kw - 1] = float(gi < go if kind == "A" else gi <= go)
    return mask


class Conv(torch.nn.Module):
    """Conv2d with per-side zero padding (left, right, top, bottom) and an optional fixed mask."""

    def __init__(self, ci, co, kh, kw, pad=(0, 0, 0, 0), bias=True, mask=None):
        super().__init__()
        self.conv = torch.nn.Conv2d(ci, co, (kh, kw), bias=bias)  # default init: U(+-1/sqrt(fan_in))
        self.pad = pad
        if mask is not None and bool((mask == 1).all()):
            mask = None
        if mask is not None:
            self.register_buffer("mask", mask)
            with torch.no_grad():
                self.conv.weight.mul_(mask)
        else:
            self.mask = None

    def forward(self, x):
        if any(self.pad):
            x = nnF.pad(x, self.pad)
        w = self.conv.weight if self.mask is None else self.conv.weight * self.mask
        return nnF.conv2d(x, w, self.conv.bias)


class PixelCNN(torch.nn.Module):
    def __init__(self, F, L, K, K0, classes=0):
        super().__init__()
        self.F, self.L = F, L
        self.v, self.h, self.vh, self.hh = (torch.nn.ModuleList() for _ in range(4))
        for l in range(L):
            ci = C if l == 0 else F
            if l == 0:
                self.v.append(Conv(C, 2 * F, K0 // 2, K0, (K0 // 2, K0 // 2, K0 // 2 - 1, 0)))
            else:
                self.v.append(Conv(F, 2 * F, K // 2 + 1, K, (K // 2, K // 2, K // 2, 0)))
            kw = (K0 if l == 0 else K) // 2 + 1
            self.h.append(Conv(ci, 2 * F, 1, kw, (kw - 1, 0, 0, 0),
                               mask=centre_mask(2 * F, ci, 1, kw, "A" if l == 0 else "B", 1, 2)))
            self.vh.append(Conv(2 * F, 2 * F, 1, 1, bias=False))
            self.hh.append(Conv(F, F, 1, 1, mask=centre_mask(F, F, 1, 1, "B", 1, 1)))
        self.label = torch.nn.Parameter(torch.zeros(L, classes, 2 * F)) if classes else None
        self.out1 = Conv(F, F, 1, 1, mask=centre_mask(F, F, 1, 1, "B", 1, 1))
        self.out2 = Conv(F, C * M, 1, 1, mask=centre_mask(C * M, F, 1, 1, "B", 1, 1))

    def gate(self, pre):
        a, g = pre[:, : self.F], pre[:, self.F :]
        return torch.tanh(a) * torch.sigmoid(g)

    def forward(self, x, y=None):  # x (B, C, H, W) levels as floats
        xin = x * (2.0 / (M - 1)) - 1.0
        xshift = nnF.pad(xin, (0, 0, 1, 0))[:, :, :-1]
        v, h = xshift, xin
        for l in range(self.L):
            vpre = self.v[l](v)
            if self.label is not None:
                vpre = vpre + self.label[l][y][:, :, None, None]
            hpre = self.h[l](h) + self.vh[l](vpre)
            if self.label is not None:
                hpre = hpre + self.label[l][y][:, :, None, None]
            if l + 1 < self.L:
                v = self.gate(vpre)
            hn = self.hh[l](self.gate(hpre))
            h = hn + h if l > 0 else hn
        return self.out2(torch.relu(self.out1(torch.relu(h))))

    def log_prob(self, x):
        """Sum over the image of log softmax(logits)[x], per row."""
        B, _, H, W = x.shape
        logits = self(x).view(B, C, M, H, W)
        lp = nnF.cross_entropy(logits.reshape(B * C, M, H, W), x.reshape(B * C, H, W).long(), reduction="none")
        return -lp.view(B, -1).sum(1)


net = PixelCNN(args.channels, args.layers, args.kernel, args.first_kernel)
opt = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
n_params = sum(t.numel() for t in net.parameters())
emit({"model": "pixelcnn", "impl": "torch", "levels": M, "channels": args.channels, "layers": args.layers,
      "batch": args.batch, "parameters": n_params, **blas_info()})


def step(xb):
    loss = -net.log_prob(xb).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


if args.steps:
    g = torch.Generator().manual_seed(1)
    xb = torch.randint(0, M, (args.batch, C, args.side, args.side), generator=g).float()
    for _ in range(2):
        step(xb)
    with Timer() as t:
        for _ in range(args.steps):
            step(xb)
    emit({"final": True, "seconds_per_step": t.seconds / args.steps, "images_per_s": args.steps * args.batch / t.seconds,
          "peak_rss_mib": peak_rss_mib()})
    raise SystemExit


def load(split):
    if M == 2:
        x, _ = load_fashion(split)
    else:
        g, _ = load_fashion_grey(split)
        x = np.rint(g * 255.0).astype(np.float32)  # the bytes: docs/levels.md, floor(x * 256) capped at 255
    return torch.from_numpy(x).view(-1, 1, 28, 28)


xtr, xte = load("train"), load("test")
if args.max_train:
    xtr = xtr[: args.max_train]
if args.max_test:
    xte = xte[: args.max_test]
n, D = xtr.shape[0], C * 28 * 28


def test_nll():
    with torch.no_grad():
        lp = torch.cat([net.log_prob(xte[i : i + 100]) for i in range(0, xte.shape[0], 100)]).double()
    nll = -lp.mean().item()
    return nll, (-lp).std().item() / math.sqrt(lp.numel())


for epoch in range(1, args.epochs + 1):
    perm = torch.randperm(n)
    total = 0.0
    with Timer() as t:
        for i in range(0, n, args.batch):
            total += step(xtr[perm[i : i + args.batch]]) * min(args.batch, n - i)
    with Timer() as te:
        nll, se = test_nll()
    emit({"epoch": epoch, "train_images": n, "train_seconds": t.seconds, "images_per_s": n / t.seconds,
          "train_nll": total / n, "test_images": xte.shape[0], "test_nll": nll, "test_nll_stderr": se,
          "bits_per_dim": nll / (D * math.log(2)), "test_seconds": te.seconds, "peak_rss_mib": peak_rss_mib()})
