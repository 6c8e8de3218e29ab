"""Shared pieces of the PyTorch references: Fashion-MNIST (binarised or grey) straight from Debian's
IDX files (no torchvision), threads, timing and peak memory.

Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy). Install
libopenblas0-pthread first, or torch runs on the reference BLAS and the comparison
flatters genmodels."""
import gzip
import json
import os
import resource
import sys
import time

import numpy as np

FASHION = os.environ.get("GM_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def load_fashion(split, binarize=0.5):
    """(N, 784) float32 in {0,1} (x/255 >= binarize), and the labels."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(f"{FASHION}/{prefix}-images-idx3-ubyte.gz", "rb") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(f"{FASHION}/{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    x = raw.reshape(-1, 784).astype(np.float32) / 255.0
    return (x >= binarize).astype(np.float32), labels


def load_fashion_grey(split):
    """(N, 784) float32 grey levels x/255 in [0, 1] (not binarised), and the labels."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(f"{FASHION}/{prefix}-images-idx3-ubyte.gz", "rb") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(f"{FASHION}/{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return raw.reshape(-1, 784).astype(np.float32) / 255.0, labels


def setup_torch(threads=2, seed=0):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    return torch


def blas_info():
    import torch

    cfg = torch.__config__.show()
    blas = [l.strip() for l in cfg.splitlines() if "BLAS" in l]
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def emit(record):
    """One JSON object per line on stdout, for bench scripts to collect."""
    print(json.dumps(record), flush=True)
    sys.stdout.flush()
