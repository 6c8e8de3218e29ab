#!/usr/bin/env python3
"""The communication cost of a data-parallel fit (docs/distributed.md) and the speed-up it
allows on P machines, for bench/RESULTS.md "Distributed fit".

Per optimiser step every rank sums the flat float32 gradient buffer over P ranks. A ring
all-reduce (reduce-scatter + all-gather) sends and receives 2(P-1)/P x 4 x params bytes per
rank in 2(P-1) messages, so with bandwidth b and per-message latency a:

    t_comm(P) = 2(P-1) a + 2(P-1)/P x 4 x params / b      (per all-reduce)

The GAN step sums two buffers (discriminator, generator): two all-reduces, the same bytes in
total and twice the latency terms. The compute of a step on one machine is t1 = batch /
(images per second of one process); on P machines each computes batch/P rows, t1/P, if the
per-machine batch is large enough to keep the same per-image speed (an assumption: small
batches run slower per image). The all-reduce does not overlap the backward pass (version 1):

    strong scaling (global batch fixed):       speed-up(P) = t1 / (t1/P + t_comm(P))
    weak scaling (batch per machine fixed):    speed-up(P) = P t1 / (t1 + t_comm(P))

Strong scaling at P = 32 leaves 2-3 rows per machine for a batch of 64-100, far below where
the per-image speed holds; the weak-scaling column (a global batch of P x batch, which changes
the optimisation) is the realistic one for many machines.

usage: model.py NAME PARAMS IMAGES_PER_S BATCH ALLREDUCES_PER_STEP [...more groups of 5]
"""
import sys

GBIT = 1e9 / 8  # bytes per second in 1 Gb/s
BANDWIDTH = 10 * GBIT * 0.8  # 10 Gb/s Ethernet at 80% of line rate for large TCP messages
LATENCY = 30e-6  # per message, TCP over 10 GbE (Open MPI's tcp transport: 20-50 us)


def comm_seconds(params, machines, allreduces):
    if machines == 1:
        return 0.0
    p = machines
    return allreduces * 2 * (p - 1) * LATENCY + 2 * (p - 1) / p * 4 * params / BANDWIDTH


def main(argv):
    print(f"bandwidth {BANDWIDTH / 1e9:.2f} GB/s (10 Gb/s at 80%), latency {LATENCY * 1e6:.0f} us per message, ring "
          "all-reduce, no overlap with compute")
    print("| kind | parameters | bytes all-reduced per rank per step, P = 8 / 32 | step compute on 1 machine | "
          "comm per step, P = 8 / 32 | speed-up on 8 / 32, global batch fixed | on 8 / 32, batch per machine fixed |")
    print("|---|---|---|---|---|---|---|")
    for i in range(0, len(argv), 5):
        name, params, ips, batch, allreduces = argv[i], int(argv[i + 1]), float(argv[i + 2]), int(argv[i + 3]), int(
            argv[i + 4])
        t1 = batch / ips
        row = [name, f"{params:,}"]
        sent = [2 * (p - 1) / p * 4 * params for p in (8, 32)]
        row.append(" / ".join(f"{s / 1e6:.2f} MB" for s in sent))
        row.append(f"{t1 * 1e3:.1f} ms (batch {batch})")
        comm = [comm_seconds(params, p, allreduces) for p in (8, 32)]
        row.append(" / ".join(f"{c * 1e3:.2f} ms" for c in comm))
        row.append(" / ".join(f"{t1 / (t1 / p + c):.1f}x" for p, c in zip((8, 32), comm)))
        row.append(" / ".join(f"{p * t1 / (t1 + c):.1f}x" for p, c in zip((8, 32), comm)))
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
