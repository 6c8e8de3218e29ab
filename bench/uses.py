"""The seed's uses of a generative model on binarised Fashion-MNIST, through the genmodels
command line:

  anomaly   for each class c: fit on the training images of c, score every test image;
            AUROC with which the NLL separates the other classes (positives) from c.
            Reports the per-class AUROC and their mean. --split validation runs the same
            protocol inside the training set (the last 1 000 images of each class held out),
            so that a configuration can be chosen without looking at the test set.
  features  fit on all training images, encode train and test, train a multinomial logistic
            regression on the features, report test accuracy (`--kind raw`: the same
            regression on the raw binarised pixels, no model).

Logistic regression recipe (features): sklearn's LogisticRegression (lbfgs, multinomial,
tol 1e-4, max_iter 5000) on features standardised with the training mean and standard
deviation. C is chosen from LR_GRID = 0.001, 0.01, 0.1 (extended by decades up to LR_MAX_C = 1
while the best is at the top edge) by accuracy on a held-out 10 000 of the training images
(fixed shuffle, seed 0; fitted on the other 50 000, each C warm-started from the previous one),
then refitted on all 60 000 (warm-started) and scored on the 10 000 test images. Without sklearn
it falls back to a numpy full-batch Adam regression and says so.

Usage: /usr/bin/python3 bench/uses.py anomaly|features --kind KIND [--config JSON]
           [--epochs N] [--samples K] [--means-only] [--split test|validation] [--seed 1] [--build build]
Prints Markdown rows and a JSON line per result; progress on stderr."""
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
    """Runs one genmodels command; returns its wall time in seconds."""
    exe = os.path.join(args.build, "tools", "genmodels", "genmodels")
    t = time.time()
    subprocess.run([exe, *cmd], check=True, stdout=subprocess.DEVNULL)
    return time.time() - t


def score_args(args):
    return ["--samples", str(args.samples)] if args.samples else []


def fit_args(args):
    out = ["--config", args.config, "--seed", str(args.seed)]
    if args.epochs:
        out += ["--epochs", str(args.epochs)]
    return out


def validation_split(xtr, ytr):
    """The last 1 000 training images of each class are held out: (fit images, fit labels,
    held-out images, held-out labels). The held-out set has the test set's shape (10 x 1 000)."""
    held = np.zeros(len(ytr), bool)
    for c in range(10):
        held[np.flatnonzero(ytr == c)[-1000:]] = True
    return xtr[~held], ytr[~held], xtr[held], ytr[held]


def anomaly(args, tmp):
    xtr, ytr = load_fashion("train")
    xte, yte = load_fashion("test")
    if args.split == "validation":  # model selection without the test set
        xtr, ytr, xte, yte = validation_split(xtr, ytr)
    np.save(f"{tmp}/test.npy", xte.reshape(-1, 1, 28, 28))
    aucs, fit_s, score_s, own_nll = [], [], [], []
    start = time.time()
    for c in range(10):
        np.save(f"{tmp}/train_{c}.npy", xtr[ytr == c].reshape(-1, 1, 28, 28))
        fit_s.append(run(args, "fit", args.kind, "--data", f"npy:{tmp}/train_{c}.npy", "--out",
                         f"{tmp}/m.safetensors", *fit_args(args)))
        score_s.append(run(args, "log-prob", f"{tmp}/m.safetensors", "--data", f"npy:{tmp}/test.npy",
                           "--out", f"{tmp}/lp.npy", *score_args(args)))
        nll = -np.load(f"{tmp}/lp.npy")
        aucs.append(auroc(nll[yte != c], nll[yte == c]))
        own_nll.append(float(nll[yte == c].mean()))
        print(f"  class {c}: AUROC {aucs[-1]:.4f}  test NLL of class {c} {own_nll[-1]:.2f}  "
              f"fit {fit_s[-1]:.1f} s  score {score_s[-1]:.1f} s", file=sys.stderr, flush=True)
    mean = float(np.mean(aucs))
    print(f"| {args.kind} {args.config} ({args.split}) | {mean:.3f} | " + " ".join(f"{a:.3f}" for a in aucs) + " |")
    print(json.dumps({"use": "anomaly", "split": args.split, "seed": args.seed, "kind": args.kind, "config": args.config,
                      "epochs": args.epochs,
                      "samples": args.samples, "mean_auroc": mean, "auroc": aucs, "own_class_nll": own_nll,
                      "fit_seconds": fit_s, "score_seconds": score_s, "seconds": time.time() - start}))


LR_GRID = (0.001, 0.01, 0.1)
LR_MAX_C = 1.0


def standardise(ftr, fte):
    mu, sd = ftr.mean(0), ftr.std(0)
    sd[sd == 0] = 1.0  # constant features stay 0
    return (ftr - mu) / sd, (fte - mu) / sd


def numpy_logistic_regression(ftr, ytr, fte, yte, iters=300, lr=0.05, l2=1e-4):
    """Fallback: multinomial logistic regression, full-batch Adam on standardised features."""
    ftr, fte = standardise(ftr, fte)
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
    return {"accuracy": float(((fte @ w + b).argmax(1) == yte).mean()), "solver": "numpy-adam-300"}


def logistic_regression(ftr, ytr, fte, yte):
    """The recipe in the module docstring; returns accuracy, the chosen C and the held-out scores."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("  sklearn missing: numpy fallback regression", file=sys.stderr, flush=True)
        return numpy_logistic_regression(ftr, ytr, fte, yte)
    import copy
    import warnings
    from sklearn.exceptions import ConvergenceWarning

    def fit(clf, x, y):
        t = time.time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf.fit(x, y)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return converged, int(clf.n_iter_.max()), time.time() - t

    order = np.random.default_rng(0).permutation(len(ftr))
    held, rest = order[:10000], order[10000:]
    a, h = standardise(ftr[rest], ftr[held])
    # The C path in increasing order, each fit warm-started from the previous optimum (the
    # objective is strictly convex, so the start changes the iteration count, not the answer).
    clf = LogisticRegression(solver="lbfgs", max_iter=5000, warm_start=True)
    held_acc, fitted = {}, {}
    grid = list(LR_GRID)
    for c in grid:
        clf.set_params(C=c)
        converged, iters, secs = fit(clf, a, ytr[rest])
        held_acc[c] = float((clf.predict(h) == ytr[held]).mean())
        fitted[c] = copy.deepcopy(clf)
        print(f"  C {c:g}: held-out accuracy {100 * held_acc[c]:.2f}% ({iters} iterations"
              f"{'' if converged else ', NOT converged'}, {secs:.1f} s)", file=sys.stderr, flush=True)
        if c == grid[-1] and c < LR_MAX_C and held_acc[c] == max(held_acc.values()):
            grid.append(c * 10)  # the best so far is at the top edge: try a decade more
    best = max(grid, key=lambda c: held_acc[c])
    a, b = standardise(ftr, fte)
    clf = fitted[best]  # warm start from the 50 000-image optimum
    converged, iters, secs = fit(clf, a, ytr)
    acc = float((clf.predict(b) == yte).mean())
    print(f"  refit C {best:g} on 60 000: test accuracy {100 * acc:.2f}% ({iters} iterations"
          f"{'' if converged else ', NOT converged'}, {secs:.1f} s)", file=sys.stderr, flush=True)
    return {"accuracy": acc, "C": best, "held_out": {str(c): v for c, v in held_acc.items()},
            "iterations": iters, "converged": converged, "solver": "sklearn-lbfgs"}


def features(args, tmp):
    xtr, ytr = load_fashion("train")
    xte, yte = load_fashion("test")
    start = time.time()
    fit_s = encode_s = 0.0
    if args.kind == "raw":
        ftr, fte = xtr, xte
    else:
        fit_s = run(args, "fit", args.kind, "--data", "fashion-mnist:train", "--binarize", "0.5", "--out",
                    f"{tmp}/m.safetensors", *fit_args(args))
        for split in ("train", "test"):
            encode_s += run(args, "encode", f"{tmp}/m.safetensors", "--data", f"fashion-mnist:{split}",
                            "--binarize", "0.5", "--out", f"{tmp}/{split}.npy")
        ftr, fte = np.load(f"{tmp}/train.npy"), np.load(f"{tmp}/test.npy")
        if args.means_only:  # e.g. a VAE's (mu, logvar): keep mu
            ftr, fte = ftr[:, : ftr.shape[1] // 2], fte[:, : fte.shape[1] // 2]
        print(f"  fit {fit_s:.1f} s, encode {encode_s:.1f} s, features {ftr.shape[1]}", file=sys.stderr, flush=True)
    t = time.time()
    res = logistic_regression(ftr.astype(np.float64), ytr, fte.astype(np.float64), yte)
    lr_s = time.time() - t
    print(f"| {args.kind} {args.config} | {ftr.shape[1]} | {100 * res['accuracy']:.1f}% | C {res.get('C')} |")
    print(json.dumps({"use": "features", "seed": args.seed, "kind": args.kind, "config": args.config, "epochs": args.epochs,
                      "means_only": args.means_only, "dims": int(ftr.shape[1]), **res, "fit_seconds": fit_s,
                      "encode_seconds": encode_s, "regression_seconds": lr_s, "seconds": time.time() - start}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("use", choices=["anomaly", "features"])
    p.add_argument("--kind", required=True, help="a genmodels kind; features also takes raw")
    p.add_argument("--config", default="{}")
    p.add_argument("--epochs", type=int, default=0)
    p.add_argument("--build", default="build")
    p.add_argument("--samples", type=int, default=0, help="anomaly: log-prob --samples (0 = the kind's default)")
    p.add_argument("--means-only", action="store_true", help="features: keep the first half of encode's output")
    p.add_argument("--seed", type=int, default=1, help="genmodels fit --seed")
    p.add_argument("--split", choices=["test", "validation"], default="test",
                   help="anomaly: score the test set, or fit without the last 1 000 training images of each "
                        "class and score those (for choosing a configuration without the test set)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (anomaly if args.use == "anomaly" else features)(args, tmp)


if __name__ == "__main__":
    main()
