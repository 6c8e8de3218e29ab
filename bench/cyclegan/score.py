"""Scores and pictures for the cyclegan benchmark (Debian's /usr/bin/python3 with numpy; no PIL).

  score.py TRANSLATED.npy TARGET.npy [SOURCE.npy] [--label NAME]
      One JSON line: the mean absolute pixel error between the translations and the targets
      ("mae", pixels clipped to [0, 1] first; both float32 (N, 784) rows, or any (N, ...) shape
      with the same number of values per row). With SOURCE (the images that were translated),
      also the do-nothing baseline "identity_mae" = mean |SOURCE - TARGET| and "mae_over_identity"
      (below 1: the translation beats returning the input unchanged). TARGET and SOURCE may hold
      more rows than TRANSLATED: their first N rows are used. Non-finite translations are errors.
      The same call scores a cycle: score.py CYCLED.npy SOURCE.npy gives mean |F(G(x)) - x|.

  score.py grid --out FILE.png INPUT.npy TRANSLATED.npy CYCLED.npy [--n 8]
      A grey PNG of the first n images of each array as 28x28 tiles: row 1 the inputs, row 2 their
      translations, row 3 the translations mapped back (the cycle). Pixels are clipped to [0, 1];
      tiles are separated (and framed) by 2-pixel mid-grey (128) gaps, so black-background and
      white-background (inverted) images both stand out. Any number of arrays can be given (one
      row each); the three above are the benchmark's use."""
import argparse
import json
import struct
import sys
import zlib

import numpy as np

SIDE = 28
GAP = 2
GAP_VALUE = 128


def rows(path, n=None):
    try:
        x = np.load(path)
    except (OSError, ValueError) as e:
        raise SystemExit(f"score.py: cannot read {path}: {e}")
    if x.ndim < 1 or x.shape[0] == 0:
        raise SystemExit(f"score.py: {path} holds no rows (shape {x.shape})")
    x = x.reshape(x.shape[0], -1).astype(np.float32)
    if n is not None:
        if x.shape[0] < n:
            raise SystemExit(f"score.py: {path} has {x.shape[0]} rows; {n} are needed")
        x = x[:n]
    return x


def score(translated, target, source=None, label=None):
    y = rows(translated)
    n = y.shape[0]
    if not np.isfinite(y).all():
        raise SystemExit(f"score.py: {translated} holds non-finite values")
    t = rows(target, n)
    if t.shape[1] != y.shape[1]:
        raise SystemExit(f"score.py: {translated} has {y.shape[1]} values per row, {target} {t.shape[1]}")
    out = {"translated": translated, "target": target, "n": int(n),
           "mae": float(np.abs(np.clip(y, 0.0, 1.0) - np.clip(t, 0.0, 1.0)).mean()),
           "translated_min": float(y.min()), "translated_max": float(y.max()),
           "translated_mean": float(y.mean()), "target_mean": float(t.mean())}
    if label:
        out = {"label": label, **out}
    if source:
        s = rows(source, n)
        if s.shape[1] != y.shape[1]:
            raise SystemExit(f"score.py: {source} has {s.shape[1]} values per row, {translated} {y.shape[1]}")
        out["source"] = source
        out["identity_mae"] = float(np.abs(np.clip(s, 0.0, 1.0) - np.clip(t, 0.0, 1.0)).mean())
        out["mae_over_identity"] = out["mae"] / out["identity_mae"] if out["identity_mae"] > 0 else None
    return out


def write_png_grey(path, img):
    """8-bit greyscale PNG (colour type 0, no interlace) of a (H, W) uint8 array."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))  # filter type 0 per scanline

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def grid_image(arrays, n):
    """(H, W) uint8: one row of n SIDE x SIDE tiles per array, GAP-pixel GAP_VALUE gaps and frame."""
    cell = SIDE + GAP
    img = np.full((GAP + len(arrays) * cell, GAP + n * cell), GAP_VALUE, np.uint8)
    for r, x in enumerate(arrays):
        x = np.clip(np.nan_to_num(x[:n], nan=0.0), 0.0, 1.0)
        for c, im in enumerate(x):
            y0, x0 = GAP + r * cell, GAP + c * cell
            img[y0 : y0 + SIDE, x0 : x0 + SIDE] = (im.reshape(SIDE, SIDE) * 255.0 + 0.5).astype(np.uint8)
    return img


def grid(out, paths, n):
    arrays = []
    for p in paths:
        x = rows(p)
        if x.shape[1] != SIDE * SIDE:
            raise SystemExit(f"score.py grid: {p} has {x.shape[1]} values per row; 28x28 grey images ({SIDE * SIDE}) are needed")
        arrays.append(x)
    n = min([n] + [x.shape[0] for x in arrays])
    write_png_grey(out, grid_image(arrays, n))
    return {"grid": out, "rows": len(arrays), "columns": int(n), "inputs": paths}


def main(argv):
    if argv and argv[0] == "grid":
        p = argparse.ArgumentParser(prog="score.py grid", description="PNG grid: input, translated, cycled rows")
        p.add_argument("--out", required=True)
        p.add_argument("--n", type=int, default=8, help="images per row")
        p.add_argument("arrays", nargs="+", help="INPUT.npy TRANSLATED.npy CYCLED.npy (one grid row each)")
        a = p.parse_args(argv[1:])
        if a.n < 1:
            p.error("--n must be at least 1")
        print(json.dumps(grid(a.out, a.arrays, a.n)))
        return
    p = argparse.ArgumentParser(prog="score.py", description="mean absolute pixel error of translations")
    p.add_argument("translated")
    p.add_argument("target")
    p.add_argument("source", nargs="?", default=None)
    p.add_argument("--label", default=None, help="a name to put in the JSON line")
    a = p.parse_args(argv)
    print(json.dumps(score(a.translated, a.target, a.source, a.label)))


if __name__ == "__main__":
    main(sys.argv[1:])
