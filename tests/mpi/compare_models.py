#!/usr/bin/env python3
"""Compares the tensors of two model files (safetensors): prints the largest absolute and
relative difference over every float tensor, and exits 1 when a tensor is missing, has another
shape, or differs by more than the tolerances (--exact: any difference).

usage: compare_models.py A.safetensors B.safetensors [--exact] [--atol 1e-4] [--rtol 1e-3] [--skip PREFIX]
"""
import argparse
import array
import json
import math
import struct
import sys

# safetensors dtype -> array typecode (the standard library only: no numpy needed)
DTYPES = {"F32": "f", "F64": "d", "I64": "q", "I32": "i", "U8": "B"}


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        v = array.array(DTYPES[t["dtype"]])
        v.frombytes(body[a:b])
        out[name] = (tuple(t["shape"]), v)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--exact", action="store_true")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--skip", action="append", default=[], help="ignore tensors whose name starts with this")
    args = p.parse_args()
    ta, tb = read(args.a), read(args.b)
    names = sorted(n for n in ta if not any(n.startswith(s) for s in args.skip))
    if sorted(n for n in tb if not any(n.startswith(s) for s in args.skip)) != names:
        print("the files hold different tensors")
        return 1
    worst_abs, worst_name, bad = 0.0, "", []
    for n in names:
        (sx, x), (sy, y) = ta[n], tb[n]
        if sx != sy:
            print(f"{n}: shapes {sx} and {sy}")
            return 1
        m, close = 0.0, True
        for u, v in zip(x, y):
            d = abs(float(u) - float(v))
            if math.isnan(d):
                d = math.inf
            m = max(m, d)
            close = close and d <= args.atol + args.rtol * abs(float(v))
        if m > worst_abs:
            worst_abs, worst_name = m, n
        if args.exact and m > 0 or not args.exact and not close:
            bad.append(n)
    print(f"{len(names)} tensors; largest |a-b| = {worst_abs:.3g} ({worst_name or '-'}); "
          f"{'exact' if args.exact else f'atol {args.atol} rtol {args.rtol}'}: {'FAIL ' + ', '.join(bad[:5]) if bad else 'ok'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
