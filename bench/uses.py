"""The seed's uses of a generative model on binarised Fashion-MNIST, through the genmodels
command line:

  anomaly   for each class c: fit on the training images of c, score every test image;
            AUROC with which the NLL separates the other classes (positives) from c.
            Reports the per-class AUROC and their mean.
  features  fit on all training images, encode train and test, train a multinomial logistic
            regression on the features, report test accuracy (and the same regression on raw
            binarised pixels as the baseline).

Usage: /usr/bin/python3 bench/uses.py anomaly|features --kind KIND [--config JSON]
           [--epochs N] [--build build]
Prints Markdown rows and a JSON line per result."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "torch"))
from common import load_fashion  # noqa: E402  (numpy only; no torch needed)


def auroc(scores_pos, scores_neg):
    """P(score of a positive > score of a negative), ties counting one half (Mann-Whitney)."""
    scores = np.concatenate([scores_pos, scores_neg])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j) + 1
        i = j + 1
    n_pos, n_neg = len(scores_pos), len(scores_neg)
    return (ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def run(args, *cmd):
    exe = os.path.join(args.build, "tools", "genmodels", "genmodels")
    subprocess.run([exe, *cmd], check=True, stdout=subprocess.DEVNULL)


def fit_args(args):
    out = ["--config", args.config, "--seed", "1"]
    if args.epochs:
        out += ["--epochs", str(args.epochs)]
    return out


def anomaly(args, tmp):
    xtr, ytr = load_fashion("train")
    xte, yte = load_fashion("test")
    np.save(f"{tmp}/test.npy", xte.reshape(-1, 1, 28, 28))
    aucs = []
    start = time.time()
    for c in range(10):
        np.save(f"{tmp}/train_{c}.npy", xtr[ytr == c].reshape(-1, 1, 28, 28))
        run(args, "fit", args.kind, "--data", f"npy:{tmp}/train_{c}.npy", "--out", f"{tmp}/m.safetensors",
            *fit_args(args))
        run(args, "log-prob", f"{tmp}/m.safetensors", "--data", f"npy:{tmp}/test.npy", "--out", f"{tmp}/lp.npy")
        nll = -np.load(f"{tmp}/lp.npy")
        aucs.append(auroc(nll[yte != c], nll[yte == c]))
        print(f"  class {c}: AUROC {aucs[-1]:.4f}", file=sys.stderr, flush=True)
    mean = float(np.mean(aucs))
    print(f"| {args.kind} {args.config} | {mean:.3f} | " + " ".join(f"{a:.3f}" for a in aucs) + " |")
    print(json.dumps({"use": "anomaly", "kind": args.kind, "config": args.config, "epochs": args.epochs,
                      "mean_auroc": mean, "auroc": aucs, "seconds": time.time() - start}))


def logistic_regression(ftr, ytr, fte, yte, iters=300, lr=0.05, l2=1e-4):
    """Multinomial logistic regression, full-batch Adam on standardised features."""
    mu, sd = ftr.mean(0), ftr.std(0) + 1e-6
    ftr, fte = (ftr - mu) / sd, (fte - mu) / sd
    n, d = ftr.shape
    w = np.zeros((d, 10), np.float64)
    b = np.zeros(10)
    onehot = np.eye(10)[ytr]
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for t in range(1, iters + 1):
        z = ftr @ w + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / n
        grads = [ftr.T @ g + l2 * w, g.sum(0)]
        for k, (param, grad) in enumerate(zip((w, b), grads)):
            m[k] = 0.9 * m[k] + 0.1 * grad
            v[k] = 0.999 * v[k] + 0.001 * grad**2
            param -= lr * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return float(((fte @ w + b).argmax(1) == yte).mean())


def features(args, tmp):
    xtr, ytr = load_fashion("train")
    xte, yte = load_fashion("test")
    start = time.time()
    run(args, "fit", args.kind, "--data", "fashion-mnist:train", "--binarize", "0.5", "--out",
        f"{tmp}/m.safetensors", *fit_args(args))
    for split in ("train", "test"):
        run(args, "encode", f"{tmp}/m.safetensors", "--data", f"fashion-mnist:{split}", "--binarize", "0.5",
            "--out", f"{tmp}/{split}.npy")
    ftr, fte = np.load(f"{tmp}/train.npy"), np.load(f"{tmp}/test.npy")
    if args.means_only:  # e.g. a VAE's (mu, logvar): keep mu
        ftr, fte = ftr[:, : ftr.shape[1] // 2], fte[:, : fte.shape[1] // 2]
    acc = logistic_regression(ftr.astype(np.float64), ytr, fte.astype(np.float64), yte)
    raw = logistic_regression(xtr.astype(np.float64), ytr, xte.astype(np.float64), yte) if args.raw else None
    print(f"| {args.kind} {args.config} | {ftr.shape[1]} | {100 * acc:.1f}% |" +
          (f" raw pixels {100 * raw:.1f}% |" if raw is not None else ""))
    print(json.dumps({"use": "features", "kind": args.kind, "config": args.config, "epochs": args.epochs,
                      "dims": int(ftr.shape[1]), "accuracy": acc, "raw_pixel_accuracy": raw,
                      "seconds": time.time() - start}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("use", choices=["anomaly", "features"])
    p.add_argument("--kind", required=True)
    p.add_argument("--config", default="{}")
    p.add_argument("--epochs", type=int, default=0)
    p.add_argument("--build", default="build")
    p.add_argument("--means-only", action="store_true", help="features: keep the first half of encode's output")
    p.add_argument("--raw", action="store_true", help="features: also report raw pixels")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (anomaly if args.use == "anomaly" else features)(args, tmp)


if __name__ == "__main__":
    main()
