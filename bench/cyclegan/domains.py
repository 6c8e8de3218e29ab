"""Image domains for the cyclegan and stargan benchmarks: deterministic transforms of grey-level
Fashion-MNIST, so a translation can be scored against the exact target T(x).

The transforms act on (N, 784) float32 rows in [0, 1] (28x28 grey images, row-major) and return
new (N, 784) float32 arrays:
  identity   x
  inversion  1 - x
  rotation   90 degrees counter-clockwise: np.rot90 on each 28x28 grid (k = 1, axes (row, column))
  flip       horizontal flip (left-right mirror: column j -> 27 - j)
TRANSFORMS maps those names to the functions; STARGAN_DOMAINS is their order as domain indices
0..3. bench/torch/cyclegan.py imports cyclegan_domains from here, so the PyTorch reference and
genmodels train on the same arrays.

CLI (Debian's /usr/bin/python3 with numpy; Fashion-MNIST from bench/torch/common.py's path,
$GM_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist, package dataset-fashion-mnist):

  domains.py cyclegan --task inversion|rotation|flip --out DIR [--max-examples N] [--n-test M]
      DIR/a.npy            domain a: the first half of the 60 000 training images (30 000 rows)
      DIR/b.npy            domain b: T(the second half): disjoint from a, so the pairs are unknown
      DIR/test_a.npy       the 10 000 test images (domain a)
      DIR/test_target.npy  T(test images): what a perfect a->b translation gives
      --max-examples N keeps the first N rows of each half (N per domain); --n-test M keeps the
      first M test images (default all 10 000).

  domains.py stargan --out DIR [--max-examples N]
      DIR/train.npy         four disjoint quarters of the training images (15 000 rows each, or
                            N/4 with --max-examples N), quarter k transformed by domain k
                            (0 identity, 1 inversion, 2 rotation, 3 flip), concatenated in that order
      DIR/train_labels.npy  int32 (N,): the domain index of each row (genmodels' npy reader takes
                            <i4/<i8 labels: npy:DIR/train.npy:DIR/train_labels.npy)
      DIR/test.npy          the test images (domain 0)
      DIR/test_T{k}.npy     domain k of the test images, k = 0..3 (test_T0 equals test.npy)
      DIR/test_classes.npy  int32 (10 000,): the Fashion-MNIST class of each test image
      DIR/domains.json      {"domains": ["identity", "inversion", "rotation", "flip"]}

All image arrays are float32 (N, 784) in [0, 1], C order; every file is written with np.save."""
import argparse
import json
import os
import sys

import numpy as np

SIDE = 28


def _grid(x):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != SIDE * SIDE:
        raise ValueError(f"expected (N, {SIDE * SIDE}) rows, got {x.shape}")
    return x.reshape(-1, SIDE, SIDE)


def identity(x):
    return np.ascontiguousarray(_grid(x).reshape(-1, SIDE * SIDE), dtype=np.float32).copy()


def inversion(x):
    return np.ascontiguousarray(1.0 - _grid(x).reshape(-1, SIDE * SIDE), dtype=np.float32)


def rotation(x):
    """90 degrees counter-clockwise: out[r, c] = in[c, 27 - r] (np.rot90, k = 1)."""
    return np.ascontiguousarray(np.rot90(_grid(x), k=1, axes=(1, 2)).reshape(-1, SIDE * SIDE), dtype=np.float32)


def flip(x):
    """Horizontal flip: out[r, c] = in[r, 27 - c]."""
    return np.ascontiguousarray(_grid(x)[:, :, ::-1].reshape(-1, SIDE * SIDE), dtype=np.float32)


TRANSFORMS = {"identity": identity, "inversion": inversion, "rotation": rotation, "flip": flip}
STARGAN_DOMAINS = ["identity", "inversion", "rotation", "flip"]
CYCLEGAN_TASKS = ["inversion", "rotation", "flip"]


def _fashion():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "torch"))
    from common import load_fashion_grey  # noqa: E402  (bench/torch/common.py)

    return load_fashion_grey


def cyclegan_domains(xtrain, task, max_examples=0):
    """(a, b): a = the first half of xtrain, b = T(the second half); max_examples > 0 keeps the
    first max_examples rows of each half."""
    if task not in TRANSFORMS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TRANSFORMS)}")
    half = xtrain.shape[0] // 2
    a, rest = xtrain[:half], xtrain[half : 2 * half]
    if max_examples > 0:
        a, rest = a[:max_examples], rest[:max_examples]
    return np.ascontiguousarray(a, dtype=np.float32), TRANSFORMS[task](rest)


def stargan_domains(xtrain, max_examples=0):
    """(x, labels): quarter k of xtrain (or of its first max_examples rows) transformed by
    STARGAN_DOMAINS[k], concatenated; labels int32 domain indices."""
    n = xtrain.shape[0] if max_examples <= 0 else min(max_examples, xtrain.shape[0])
    q = n // len(STARGAN_DOMAINS)
    xs, ls = [], []
    for k, name in enumerate(STARGAN_DOMAINS):
        xs.append(TRANSFORMS[name](xtrain[k * q : (k + 1) * q]))
        ls.append(np.full(q, k, np.int32))
    return np.concatenate(xs), np.concatenate(ls)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cyclegan", help="two domains: a = images, b = T(other images)")
    c.add_argument("--task", required=True, choices=CYCLEGAN_TASKS)
    c.add_argument("--out", required=True)
    c.add_argument("--max-examples", type=int, default=0, help="rows per domain (0 = 30 000)")
    c.add_argument("--n-test", type=int, default=0, help="test images (0 = all 10 000)")
    s = sub.add_parser("stargan", help="four domains: identity, inversion, rotation, flip")
    s.add_argument("--out", required=True)
    s.add_argument("--max-examples", type=int, default=0, help="training rows in all (0 = 60 000)")
    args = p.parse_args(argv)
    load_fashion_grey = _fashion()
    xtr, _ = load_fashion_grey("train")
    xte, yte = load_fashion_grey("test")
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)
    if args.cmd == "cyclegan":
        a, b = cyclegan_domains(xtr, args.task, args.max_examples)
        if args.n_test > 0:
            xte = xte[: args.n_test]
        np.save(out("a.npy"), a)
        np.save(out("b.npy"), b)
        np.save(out("test_a.npy"), np.ascontiguousarray(xte, dtype=np.float32))
        np.save(out("test_target.npy"), TRANSFORMS[args.task](xte))
        print(json.dumps({"task": args.task, "a": list(a.shape), "b": list(b.shape), "test": list(xte.shape),
                          "out": args.out}))
    else:
        x, labels = stargan_domains(xtr, args.max_examples)
        np.save(out("train.npy"), x)
        np.save(out("train_labels.npy"), labels)
        np.save(out("test.npy"), np.ascontiguousarray(xte, dtype=np.float32))
        for k, name in enumerate(STARGAN_DOMAINS):
            np.save(out(f"test_T{k}.npy"), TRANSFORMS[name](xte))
        np.save(out("test_classes.npy"), yte.astype(np.int32))
        with open(out("domains.json"), "w") as f:
            json.dump({"domains": STARGAN_DOMAINS}, f)
            f.write("\n")
        print(json.dumps({"domains": STARGAN_DOMAINS, "train": list(x.shape),
                          "per_domain": int(x.shape[0] // len(STARGAN_DOMAINS)), "test": list(xte.shape),
                          "out": args.out}))


if __name__ == "__main__":
    main()
