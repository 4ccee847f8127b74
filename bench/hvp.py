#!/usr/bin/env python3
"""gdlab's numpy reference for the curvature labs: one exact Hessian-vector product of the mean
cross-entropy over the first N training images, by Pearlmutter's R-operator, in float64.

The 784-32-32-10 sigmoid MLP starts from gdlab's seeded weights (reference.py's generator), the
direction v is gdlab's too (seed 1, standard normals, parameter order W1, b1, W2, b2, W3, b3),
so `lab bench` can check that both computed the same product before it compares their times.
Dense batches of images (numpy has no cheaper way to skip the zero pixels), one BLAS thread when
the caller sets OPENBLAS_NUM_THREADS=1. Output: one JSON object on stdout.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import SeededGenerator, find, init_network, read_idx  # noqa: E402


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def hvp(params, direction, x, y):
    """Sums over the batch of (loss, H v) by the R-operator (see Sources/Curvature/NetworkLoss.swift)."""
    (w1, b1), (w2, b2), (w3, b3) = params
    (v1, c1), (v2, c2), (v3, c3) = direction
    a1 = sigmoid(x @ w1 + b1)
    ra1 = a1 * (1 - a1) * (x @ v1 + c1)
    a2 = sigmoid(a1 @ w2 + b2)
    ra2 = a2 * (1 - a2) * (ra1 @ w2 + a1 @ v2 + c2)
    z3 = a2 @ w3 + b3
    rz3 = ra2 @ w3 + a2 @ v3 + c3
    z3 = z3 - z3.max(axis=1, keepdims=True)
    logp = z3 - np.log(np.exp(z3).sum(axis=1, keepdims=True))
    p = np.exp(logp)
    loss = -logp[np.arange(len(y)), y].sum()
    d3 = p.copy()
    d3[np.arange(len(y)), y] -= 1
    rd3 = p * (rz3 - (p * rz3).sum(axis=1, keepdims=True))
    h3 = (ra2.T @ d3 + a2.T @ rd3, rd3.sum(axis=0))
    s2 = a2 * (1 - a2)
    wd2 = d3 @ w3.T
    d2 = wd2 * s2
    rd2 = (d3 @ v3.T + rd3 @ w3.T) * s2 + wd2 * (1 - 2 * a2) * ra2
    h2 = (ra1.T @ d2 + a1.T @ rd2, rd2.sum(axis=0))
    s1 = a1 * (1 - a1)
    wd1 = d2 @ w2.T
    rd1 = (d2 @ v2.T + rd2 @ w2.T) * s1 + wd1 * (1 - 2 * a1) * ra1
    h1 = (x.T @ rd1, rd1.sum(axis=0))
    return loss, [h1, h2, h3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR", ""))
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10000, help="images per dense batch")
    parser.add_argument("--raw-pixels", action="store_true")
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("hvp.py: pass --data-dir or set MNIST_DIR")
    scale = 1.0 if args.raw_pixels else 1.0 / 255.0
    images = read_idx(find(args.data_dir, "train-images-idx3-ubyte"))[: args.samples].reshape(-1, 784)
    labels = read_idx(find(args.data_dir, "train-labels-idx1-ubyte"))[: args.samples].astype(np.int64)
    sizes = [784, 32, 32, 10]
    params = init_network(sizes, 80085)
    g = SeededGenerator(1)
    direction = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        v = np.array([g.gaussian() for _ in range(n_in * n_out)]).reshape(n_in, n_out)
        c = np.array([g.gaussian() for _ in range(n_out)])
        direction.append((v, c))
    seconds = []
    for _ in range(args.passes):
        start = time.perf_counter()
        loss = 0.0
        total = [(np.zeros_like(w), np.zeros_like(b)) for w, b in params]
        for first in range(0, len(labels), args.batch):
            x = images[first:first + args.batch] * scale  # float64, converted batch by batch
            part_loss, part = hvp(params, direction, x, labels[first:first + args.batch])
            loss += part_loss
            total = [(tw + pw, tb + pb) for (tw, tb), (pw, pb) in zip(total, part)]
        n = len(labels)
        product = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in total]) / n
        seconds.append(time.perf_counter() - start)
    json.dump({"numpy": np.__version__, "samples": int(len(labels)), "seconds": sorted(seconds)[len(seconds) // 2],
               "loss": loss / n, "norm": float(np.linalg.norm(product)), "first": product[:3].tolist()}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
