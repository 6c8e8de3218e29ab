"""PyTorch reference for `cyclegan` on grey-level Fashion-MNIST domains (28x28x1, no torchvision).

The training step is the official pytorch-CycleGAN-and-pix2pix code's (github.com/junyanz/
pytorch-CycleGAN-and-pix2pix, models/cycle_gan_model.py optimize_parameters, LSGAN loss, instance
norm, ImagePool of 50), with the ResNet generator and the PatchGAN discriminator scaled to 28x28.
  data  domain a: the first 30 000 training images; domain b: T(the other 30 000), T the --task
        (bench/cyclegan/domains.py: inversion 1-x, rotation 90 degrees counter-clockwise, flip),
        so a and b hold different images and the pairing is unknown to the model.
        --max-examples N keeps the first N of each half. x in [0,1] mapped to [-1,1] (x*2-1).
        Every epoch shuffles a and b independently; step i takes rows [i*h, (i+1)*h) of each
        permutation, h = batch/2 (batch rows = h of a + h of b; the last step may be smaller).
  G, F  (a->b and b->a, the same shape; C = 1 channel, IN = InstanceNorm2d(affine=False, eps 1e-5))
        ReflectionPad(3) Conv(C -> ngf, k7 s1, no bias) IN ReLU              (ngf, 28, 28)
        Conv(ngf -> 2ngf, k3 s2 p1, no bias) IN ReLU                          (2ngf, 14, 14)
        Conv(2ngf -> 4ngf, k3 s2 p1, no bias) IN ReLU                         (4ngf, 7, 7)
        n_res x residual block: y = x + IN(Conv3(Pad1(ReLU(IN(Conv3(Pad1(x)))))))
          (Pad1 = ReflectionPad(1), Conv3 = Conv(4ngf -> 4ngf, k3 s1 p0, no bias); no activation
          after the sum)
        ConvT(4ngf -> 2ngf, k4 s2 p1, no bias) IN ReLU                        (2ngf, 14, 14)
        ConvT(2ngf -> ngf, k4 s2 p1, no bias) IN ReLU                         (ngf, 28, 28)
        ReflectionPad(3) Conv(ngf -> C, k7 s1, bias) tanh                     (C, 28, 28)
  D_a, D_b  (PatchGAN; D_b judges domain b, D_a domain a)
        Conv(C -> ndf, k4 s2 p1, bias) LeakyReLU(0.2)                         (ndf, 14, 14)
        Conv(ndf -> 2ndf, k4 s2 p1, no bias) IN LeakyReLU(0.2)                (2ndf, 7, 7)
        Conv(2ndf -> 4ndf, k4 s1 p1, no bias) IN LeakyReLU(0.2)               (4ndf, 6, 6)
        Conv(4ndf -> 1, k4 s1 p1, bias)                                       (1, 5, 5): patch scores
  init  every conv and transposed-conv weight N(0, 0.02), every bias 0.
  step  fake_b = G(a), rec_a = F(fake_b), fake_a = F(b), rec_b = G(fake_a), idt_b = G(b),
        idt_a = F(a).
        Generator step (one Adam over G and F; D_a, D_b frozen):
          L_G = MSE(D_b(fake_b), 1) + MSE(D_a(fake_a), 1)
                + lambda * (L1(rec_a, a) + L1(rec_b, b))
                + lambda * lambda_idt * (L1(idt_b, b) + L1(idt_a, a)),  lambda 10, lambda_idt 0.5
          (MSE and L1 are means over every element of the patch map / image).
        Then the discriminator step (one Adam over D_a and D_b):
          L_Db = 0.5 * (MSE(D_b(b), 1) + MSE(D_b(pool_b(fake_b).detach()), 0)), L_Da likewise with
          a and pool_a(fake_a); backward of each, one step.
        pool: ImagePool(50), per image of the batch: while fewer than 50 are stored, store it and
        return it; after that, with probability 0.5 return a uniformly chosen stored image and
        store the new one in its place, else return the new one (random.Random(seed)).
        Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8 for both optimisers. No learning-rate decay
        (the official code's linear decay over its second 100 epochs is left out).

Output: JSON lines (common.emit): a header, one line per epoch (train_seconds covers training
only; images_per_s = rows of both domains per second of training, 2n / train_seconds; the losses
are example-weighted means over the epoch's steps: loss_g = L_G, loss_gan = its two MSE terms,
loss_cycle = L1(rec_a, a) + L1(rec_b, b), loss_idt = L1(idt_b, b) + L1(idt_a, a) (both unweighted),
loss_d_a, loss_d_b), then {"final": true, ...} (train_peak_rss_mib: the peak before
translating). With --out-translations, G (a->b) is applied to the first --n-test test images
(domain a), mapped back to [0,1] by (y+1)/2 and saved as float32 (N, 784) .npy; --out-cycled
saves F(G(x)) the same way. The final line then also gives translation_mae (mean |G(x) - T(x)| on
[0,1]), identity_mae (mean |x - T(x)|, the do-nothing baseline) and cycle_mae (mean |F(G(x)) - x|).

Usage: cyclegan.py [--epochs 1] [--threads 2] [--batch-size 16] [--seed 0] [--ngf 32] [--ndf 64]
                   [--n-res 6] [--task inversion|rotation|flip] [--max-examples N] [--n-test 1000]
                   [--out-translations FILE.npy] [--out-cycled FILE.npy] [--paired]
--paired (a diagnostic): G alone learns T from the pairs (x, T(x)) of domain a's images with an L1
loss, batch/2 pairs a step — what the generator can express when told the answer; loss_g is that
L1, the other losses 0 and F untrained (its cycle_mae means nothing).
Experiments on the rotation task (issue 15, not the paper; bench/RESULTS.md "cyclegan" has what
each gave): --cycle-noise S, --pixel-mix, --stn [--stn-similarity [--stn-scale K]], --coarse-d K,
--global-d, --lambda-dist W (their help says what each changes). With a test set the final line
also has d_b_score_target / _input / _translation, D_b's mean score on T(x), on x and on G(x),
and with --stn --stn-similarity the mean and spread of the angles G's and F's transformers chose."""
import argparse
import os
import random
import sys

import numpy as np

from common import Timer, blas_info, emit, load_fashion_grey, peak_rss_mib, setup_torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cyclegan"))
from domains import CYCLEGAN_TASKS, TRANSFORMS, cyclegan_domains  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch-size", type=int, default=16, help="rows per step: half of domain a, half of b")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--ngf", type=int, default=32)
p.add_argument("--ndf", type=int, default=64)
p.add_argument("--n-res", type=int, default=6)
p.add_argument("--lr", type=float, default=2e-4)
p.add_argument("--lambda-cycle", type=float, default=10.0)
p.add_argument("--lambda-idt", type=float, default=0.5)
p.add_argument("--pool-size", type=int, default=50)
p.add_argument("--task", default="inversion", choices=CYCLEGAN_TASKS)
p.add_argument("--max-examples", type=int, default=0, help="use only the first N images of each domain")
p.add_argument("--n-test", type=int, default=1000, help="test images to translate")
p.add_argument("--out-translations", default=None)
p.add_argument("--out-cycled", default=None)
p.add_argument("--cycle-noise", type=float, default=0.0,
               help="an experiment, not the paper: Gaussian noise of this std (on [-1, 1]) added to G's and F's "
                    "outputs before the other maps them back in the cycle, against hiding x in invisible detail "
                    "(Chu et al. 2017, 'CycleGAN, a master of steganography')")
p.add_argument("--pixel-mix", action="store_true",
               help="an experiment, not the paper: G and F start with y = x + M x over the image's 784 positions "
                    "(M learned, 0 at the start), a layer that can express any permutation of pixels exactly, "
                    "rotation included")
p.add_argument("--stn", action="store_true",
               help="an experiment, not the paper: G and F start with a spatial transformer (Jaderberg et al. "
                    "2015): a small localisation network predicts an affine map theta from the image (the "
                    "identity at the start) and the image is resampled through it (bilinear, border padding)")
p.add_argument("--stn-similarity", action="store_true",
               help="with --stn: theta is a similarity (angle, log scale, shift x, shift y), no shear or "
                    "anisotropic scale")
p.add_argument("--coarse-d", type=int, default=0,
               help="an experiment, not the paper: a second discriminator per domain on the images average-"
                    "pooled by this factor (pix2pixHD's multi-scale discriminators): it sees only the layout")
p.add_argument("--stn-scale", type=float, default=1.0,
               help="with --stn-similarity: the angle, log scale and shifts are this times the network's output "
                    "(Adam moves a parameter about lr per step: at 2e-4 an angle of pi/2 takes 7 850 steps "
                    "unscaled)")
p.add_argument("--negatives", type=float, default=0.0,
               help="an experiment, not the paper: each discriminator also learns the other domain's real images "
                    "as fakes, with this weight (D_b: x of domain a is not b), so it judges the domain, not "
                    "only the texture")
p.add_argument("--idt-warmup", type=int, default=0,
               help="an experiment, not the paper: lambda_idt applies in full for this many steps, then falls "
                    "linearly to 0 over as many more (G and F start near the identity map, then are free)")
p.add_argument("--cycle-warmup", type=int, default=0,
               help="an experiment, not the paper: lambda_cycle rises linearly from 0 to its value over this many "
                    "steps (G first learns to make b images, then to keep x in them)")
p.add_argument("--global-d", action="store_true",
               help="an experiment, not the paper: the discriminators end in one linear score over the whole "
                    "(4ndf, 6, 6) feature block instead of the 5x5 patch map")
p.add_argument("--lambda-dist", type=float, default=0.0,
               help="an experiment, not the paper: DistanceGAN's term (Benaim & Wolf 2017), weight of "
                    "|d(x_i, x_j) - d(G(x_i), G(x_j))| over the pairs of each half batch (d: mean absolute "
                    "difference), for G on a and F on b")
p.add_argument("--paired", action="store_true",
               help="a diagnostic, not CycleGAN: train G alone on the pairs (x, T(x)) of domain a's images with "
                    "L1 (no D, no F, no cycle), the architecture's supervised ceiling for T")
args = p.parse_args()
if args.batch_size < 2 or args.batch_size % 2:
    raise SystemExit("cyclegan.py: --batch-size must be even (half domain a, half domain b)")
torch = setup_torch(args.threads, args.seed)
nn = torch.nn

xtr, _ = load_fashion_grey("train")
xa, xb = cyclegan_domains(xtr, args.task, args.max_examples)
del xtr
if args.paired:  # the pairs the unpaired task hides: b := T(a), row for row
    xb = TRANSFORMS[args.task](xa)
xa = torch.from_numpy(xa * 2.0 - 1.0).view(-1, 1, 28, 28)
xb = torch.from_numpy(xb * 2.0 - 1.0).view(-1, 1, 28, 28)
n = min(xa.shape[0], xb.shape[0])
C, ngf, ndf = 1, args.ngf, args.ndf


def norm(c):
    return nn.InstanceNorm2d(c, affine=False, eps=1e-5)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, 1, 0, bias=False), norm(c), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, 1, 0, bias=False), norm(c))

    def forward(self, x):
        return x + self.body(x)


class PixelMix(nn.Module):
    """y = x + M x over the positions of a one-channel image (M: (H W) x (H W), zero at the start)."""

    def __init__(self, positions):
        super().__init__()
        self.m = nn.Parameter(torch.zeros(positions, positions))

    def forward(self, x):
        flat = x.reshape(x.shape[0], -1)
        return (flat + flat @ self.m.t()).view_as(x)


class SpatialTransformer(nn.Module):
    """x -> x sampled on the grid theta(x) (affine, 2 x 3), theta from a small network, the identity at first."""

    def __init__(self):
        super().__init__()
        self.loc = nn.Sequential(
            nn.Conv2d(C, 8, 5, 2, 2), nn.ReLU(True), nn.Conv2d(8, 16, 5, 2, 2), nn.ReLU(True), nn.Flatten(),
            nn.Linear(16 * 7 * 7, 32), nn.ReLU(True))
        self.theta = nn.Linear(32, 4 if args.stn_similarity else 6)

    def init_identity(self):
        nn.init.zeros_(self.theta.weight)
        ident = [0.0, 0.0, 0.0, 0.0] if args.stn_similarity else [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        self.theta.bias.data.copy_(torch.tensor(ident))

    def forward(self, x):
        t = self.theta(self.loc(x))
        if args.stn_similarity:
            t = args.stn_scale * t
        if args.stn_similarity:  # s R(phi) with s = exp(t1), shift (t2, t3)
            phi, s = t[:, 0], torch.exp(t[:, 1])
            c, si = s * torch.cos(phi), s * torch.sin(phi)
            theta = torch.stack([c, -si, t[:, 2], si, c, t[:, 3]], 1).view(-1, 2, 3)
        else:
            theta = t.view(-1, 2, 3)
        grid = torch.nn.functional.affine_grid(theta, x.shape, align_corners=False)
        return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def generator():
    return nn.Sequential(
        *([SpatialTransformer()] if args.stn else []),
        *([PixelMix(28 * 28)] if args.pixel_mix else []),
        nn.ReflectionPad2d(3), nn.Conv2d(C, ngf, 7, 1, 0, bias=False), norm(ngf), nn.ReLU(True),
        nn.Conv2d(ngf, 2 * ngf, 3, 2, 1, bias=False), norm(2 * ngf), nn.ReLU(True),
        nn.Conv2d(2 * ngf, 4 * ngf, 3, 2, 1, bias=False), norm(4 * ngf), nn.ReLU(True),
        *[ResBlock(4 * ngf) for _ in range(args.n_res)],
        nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False), norm(2 * ngf), nn.ReLU(True),
        nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), norm(ngf), nn.ReLU(True),
        nn.ReflectionPad2d(3), nn.Conv2d(ngf, C, 7, 1, 0, bias=True), nn.Tanh())


def discriminator():
    return nn.Sequential(
        nn.Conv2d(C, ndf, 4, 2, 1, bias=True), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), norm(2 * ndf), nn.LeakyReLU(0.2, True),
        nn.Conv2d(2 * ndf, 4 * ndf, 4, 1, 1, bias=False), norm(4 * ndf), nn.LeakyReLU(0.2, True),
        *([nn.Flatten(), nn.Linear(4 * ndf * 6 * 6, 1)] if args.global_d else [nn.Conv2d(4 * ndf, 1, 4, 1, 1, bias=True)]))


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight.data, 0.0, 0.02)
        if m.bias is not None:
            nn.init.constant_(m.bias.data, 0.0)


def coarse_discriminator():
    k = args.coarse_d
    return nn.Sequential(
        nn.AvgPool2d(k), nn.Conv2d(C, ndf, 3, 1, 1, bias=True), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, 2 * ndf, 3, 2, 1, bias=False), norm(2 * ndf), nn.LeakyReLU(0.2, True),
        nn.Conv2d(2 * ndf, 1, 3, 1, 1, bias=True))


class Judge(nn.Module):
    """A discriminator's scores, with the coarse one's appended when --coarse-d is on."""

    def __init__(self):
        super().__init__()
        self.fine = discriminator()
        self.coarse = coarse_discriminator() if args.coarse_d else None

    def forward(self, x):
        out = self.fine(x).flatten(1)
        return out if self.coarse is None else torch.cat([out, self.coarse(x).flatten(1)], 1)


G, Fn, Da, Db = generator(), generator(), Judge(), Judge()
for net in (G, Fn, Da, Db):
    net.apply(weights_init)
for net in (G, Fn):
    for m in net.modules():
        if isinstance(m, SpatialTransformer):
            m.init_identity()
opt_g = torch.optim.Adam(list(G.parameters()) + list(Fn.parameters()), lr=args.lr, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(list(Da.parameters()) + list(Db.parameters()), lr=args.lr, betas=(0.5, 0.999))
mse = nn.MSELoss()
l1 = nn.L1Loss()
pool_rng = random.Random(args.seed)


class ImagePool:
    """CycleGAN's util/image_pool.py: a history of generated images for the discriminators."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, images):
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif pool_rng.uniform(0, 1) > 0.5:
                k = pool_rng.randint(0, self.size - 1)
                out.append(self.images[k].clone())
                self.images[k] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


pool_a, pool_b = ImagePool(args.pool_size), ImagePool(args.pool_size)


def set_requires_grad(nets, flag):
    for net in nets:
        for q in net.parameters():
            q.requires_grad = flag


def gan_loss(pred, real):
    return mse(pred, torch.ones_like(pred) if real else torch.zeros_like(pred))


def distance_loss(x, y):
    """Mean over pairs i < j of |d(x_i, x_j) - d(y_i, y_j)|, d the mean absolute pixel difference."""
    fx, fy = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
    dx = (fx[:, None, :] - fx[None, :, :]).abs().mean(-1)
    dy = (fy[:, None, :] - fy[None, :, :]).abs().mean(-1)
    i, j = torch.triu_indices(x.shape[0], x.shape[0], 1)
    return (dx[i, j] - dy[i, j]).abs().mean()


count = lambda net: sum(q.numel() for q in net.parameters())
emit({"model": "cyclegan", "impl": "torch", **blas_info(), "task": args.task, "n_per_domain": n,
      "batch_size": args.batch_size, "ngf": ngf, "ndf": ndf, "n_res": args.n_res,
      "parameters_g": count(G), "parameters_f": count(Fn), "parameters_d_a": count(Da), "parameters_d_b": count(Db)})

half = args.batch_size // 2
lam, lam_idt = args.lambda_cycle, args.lambda_idt
step_count = 0


def idt_weight():
    if args.idt_warmup <= 0:
        return lam_idt
    return lam_idt * min(1.0, max(0.0, 2.0 - step_count / args.idt_warmup))

for epoch in range(1, args.epochs + 1):
    for net in (G, Fn, Da, Db):
        net.train()
    perm_a, perm_b = torch.randperm(xa.shape[0])[:n], torch.randperm(xb.shape[0])[:n]
    keys = ("loss_g", "loss_gan", "loss_cycle", "loss_idt", "loss_d_a", "loss_d_b")
    sums = dict.fromkeys(keys, 0.0)
    with Timer() as t:
        for i in range(0, n, half):
            if args.paired:  # G alone on (x, T(x)), the same rows per step as the unpaired step's a side
                rows = perm_a[i : i + half]
                opt_g.zero_grad()
                loss_pair = l1(G(xa[rows]), xb[rows])
                loss_pair.backward()
                opt_g.step()
                sums["loss_g"] += loss_pair.item() * rows.shape[0]
                continue
            real_a, real_b = xa[perm_a[i : i + half]], xb[perm_b[i : i + half]]
            m = real_a.shape[0]
            # forward (cycle_gan_model.forward)
            fake_b = G(real_a)
            fake_a = Fn(real_b)
            if args.cycle_noise > 0:  # the cycle reads a noisy copy: only visible content survives
                rec_a = Fn(fake_b + args.cycle_noise * torch.randn_like(fake_b))
                rec_b = G(fake_a + args.cycle_noise * torch.randn_like(fake_a))
            else:
                rec_a = Fn(fake_b)
                rec_b = G(fake_a)
            # generator step (backward_G), discriminators frozen
            set_requires_grad((Da, Db), False)
            opt_g.zero_grad()
            idt_b = G(real_b)
            idt_a = Fn(real_a)
            loss_idt = l1(idt_b, real_b) + l1(idt_a, real_a)
            loss_gan = gan_loss(Db(fake_b), True) + gan_loss(Da(fake_a), True)
            loss_cycle = l1(rec_a, real_a) + l1(rec_b, real_b)
            lam_now = lam * min(1.0, step_count / args.cycle_warmup) if args.cycle_warmup > 0 else lam
            loss_g = loss_gan + lam_now * loss_cycle + lam * idt_weight() * loss_idt
            step_count += 1
            if args.lambda_dist > 0:
                loss_g = loss_g + args.lambda_dist * (distance_loss(real_a, fake_b) + distance_loss(real_b, fake_a))
            loss_g.backward()
            opt_g.step()
            # discriminator step (backward_D_A, backward_D_B)
            set_requires_grad((Da, Db), True)
            opt_d.zero_grad()
            pooled_b = pool_b.query(fake_b)
            loss_d_b = 0.5 * (gan_loss(Db(real_b), True) + gan_loss(Db(pooled_b.detach()), False))
            if args.negatives > 0:
                loss_d_b = loss_d_b + 0.5 * args.negatives * gan_loss(Db(real_a), False)
            loss_d_b.backward()
            pooled_a = pool_a.query(fake_a)
            loss_d_a = 0.5 * (gan_loss(Da(real_a), True) + gan_loss(Da(pooled_a.detach()), False))
            if args.negatives > 0:
                loss_d_a = loss_d_a + 0.5 * args.negatives * gan_loss(Da(real_b), False)
            loss_d_a.backward()
            opt_d.step()
            for k, v in zip(keys, (loss_g, loss_gan, loss_cycle, loss_idt, loss_d_a, loss_d_b)):
                sums[k] += v.item() * m
    emit({"epoch": epoch, "train_seconds": t.seconds, "images_per_s": 2 * n / t.seconds,
          **{k: v / n for k, v in sums.items()}, "peak_rss_mib": peak_rss_mib()})

final = {"final": True, "epochs": args.epochs, "train_peak_rss_mib": peak_rss_mib(), "peak_rss_mib": peak_rss_mib()}
if args.out_translations or args.out_cycled:
    G.eval()
    Fn.eval()
    xte, _ = load_fashion_grey("test")
    xte = xte[: args.n_test]
    target = TRANSFORMS[args.task](xte)
    fwd, back = [], []
    with torch.no_grad(), Timer() as t:
        for i in range(0, xte.shape[0], 100):
            x = torch.from_numpy(xte[i : i + 100] * 2.0 - 1.0).view(-1, 1, 28, 28)
            y = G(x)
            fwd.append(((y + 1.0) / 2.0).reshape(-1, 784))
            back.append(((Fn(y) + 1.0) / 2.0).reshape(-1, 784))
    y = torch.cat(fwd).numpy().astype(np.float32)
    z = torch.cat(back).numpy().astype(np.float32)
    if args.stn and args.stn_similarity:  # the angles the transformers chose, in degrees
        with torch.no_grad():
            xt = torch.from_numpy(xte * 2.0 - 1.0).view(-1, 1, 28, 28)
            for name, net in (("g", G), ("f", Fn)):
                stn = net[0]
                a = (args.stn_scale * stn.theta(stn.loc(xt)))[:, 0] * 180.0 / np.pi
                final[f"stn_angle_{name}_mean"], final[f"stn_angle_{name}_std"] = float(a.mean()), float(a.std())
    # What D_b makes of three sets (mean score; LSGAN targets 1 real, 0 fake): domain b's own
    # kind of image T(x), the untranslated x (for rotation: upright garments), and G(x).
    with torch.no_grad():
        to_net = lambda v: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32) * 2.0 - 1.0).view(-1, 1, 28, 28)
        for name, v in (("target", target), ("input", xte), ("translation", y)):
            final[f"d_b_score_{name}"] = float(Db(to_net(v)).mean())
    if args.out_translations:
        np.save(args.out_translations, y)
    if args.out_cycled:
        np.save(args.out_cycled, z)
    final.update({
        "n_test": int(y.shape[0]), "translations_file": args.out_translations, "cycled_file": args.out_cycled,
        "translate_seconds": t.seconds,
        "translation_mae": float(np.abs(y - target).mean()), "identity_mae": float(np.abs(xte - target).mean()),
        "cycle_mae": float(np.abs(z - xte).mean()),
        "translations_in_range": bool(np.isfinite(y).all() and y.min() >= 0.0 and y.max() <= 1.0),
        "peak_rss_mib": peak_rss_mib(),
    })
emit(final)
if (args.out_translations or args.out_cycled) and not final["translations_in_range"]:
    raise SystemExit("cyclegan.py: translations outside [0, 1] or not finite")
