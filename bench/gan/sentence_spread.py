#!/usr/bin/python3
"""Variety within a sentence (issue 17): the mean pairwise distance, mean |x_i - x_j| over
pixels, among the REPEAT samples of each sentence, averaged over the sentences, next to the same
figure for REPEAT real Fashion-MNIST test images of the sentence's class (5 random draws per
sentence, seed 0). A generator that ignores z scores near 0; one as varied as the data, near 1.

Usage: sentence_spread.py SAMPLES.npy LABELS.npy REPEAT   (rows grouped by sentence, REPEAT each)
Prints one JSON line: spread, real_spread, ratio."""
import gzip
import json
import os
import sys

import numpy as np


def pairwise(x):
    x = x.reshape(len(x), -1).astype(np.float64)
    d = np.abs(x[:, None, :] - x[None, :, :]).mean(-1)
    return d.sum() / (len(x) * (len(x) - 1))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    x, labels, r = np.load(sys.argv[1]), np.load(sys.argv[2]), int(sys.argv[3])
    if r < 2 or len(x) != len(labels) or len(x) % r:
        sys.exit(f"sentence_spread.py: need REPEAT >= 2 and {len(labels)} labels for {len(x)} rows, a multiple of {r}")
    folder = os.environ.get("GM_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    try:
        with gzip.open(f"{folder}/t10k-images-idx3-ubyte.gz") as f:
            real = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
        with gzip.open(f"{folder}/t10k-labels-idx1-ubyte.gz") as f:
            real_labels = np.frombuffer(f.read(), np.uint8, offset=8)
    except OSError as e:
        sys.exit(f"sentence_spread.py: cannot read Fashion-MNIST in {folder} ({e}); apt-get install dataset-fashion-mnist")
    rng = np.random.default_rng(0)
    groups = range(len(x) // r)
    spread = float(np.mean([pairwise(x[i * r:(i + 1) * r]) for i in groups]))
    real_spread = float(np.mean([pairwise(real[rng.choice(np.flatnonzero(real_labels == labels[i * r]), r, replace=False)])
                                 for i in groups for _ in range(5)]))
    print(json.dumps({"spread": spread, "real_spread": real_spread, "ratio": spread / real_spread}))


if __name__ == "__main__":
    main()
