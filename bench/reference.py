#!/usr/bin/env python3
"""gdlab's numpy reference for Question 2: the homework's algorithm, written the plain numpy way.

784 -> 32 -> 32 -> 10 MLP, sigmoid hidden layers, softmax output, summed cross-entropy,
per-sample SGD (lr 0.003, no shuffling), inputs scaled to [0, 1] unless --raw-pixels.
The weights are drawn from the same seeded generator as gdlab (xoshiro256** seeded by
SplitMix64, Box-Muller normals, layer by layer, row-major (n_in, n_out)), so both start from
identical weights and their results can be compared number for number.

`lab bench` runs this script in the same invocation as gdlab's own kernels and prints the
ratio of their times. Output: one JSON object on stdout.
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np

MASK = (1 << 64) - 1


class SeededGenerator:
    """xoshiro256** seeded by SplitMix64; mirrors Sources/LabSupport/SeededGenerator.swift."""

    def __init__(self, seed):
        x = seed & MASK
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state
        self.spare = None

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def unit_open(self):
        return ((self.next() >> 11) + 0.5) * 2.0 ** -53

    def gaussian(self):
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        u1, u2 = self.unit_open(), self.unit_open()
        radius = math.sqrt(-2.0 * math.log(u1))
        angle = 2.0 * math.pi * u2
        self.spare = radius * math.sin(angle)
        return radius * math.cos(angle)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def find(folder, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"reference.py: {name} not found in {folder}; pass --data-dir or set MNIST_DIR")


def init_network(sizes, seed):
    rng = SeededGenerator(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        std = math.sqrt(1.0 / max(n_in, n_out))
        w = np.array([rng.gaussian() * std for _ in range(n_in * n_out)]).reshape(n_in, n_out)
        params.append([w, np.zeros(n_out)])
    return params


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(params, x):
    activations = [x]
    for w, b in params[:-1]:
        activations.append(sigmoid(activations[-1] @ w + b))
    w, b = params[-1]
    logits = activations[-1] @ w + b
    shifted = logits - logits.max(axis=-1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    return activations, probabilities


def sgd_epoch(params, images, labels, lr):
    total = 0.0
    for x, y in zip(images, labels):
        activations, p = forward(params, x)
        total -= math.log(max(p[y], 1e-300))
        delta = p.copy()
        delta[y] -= 1.0
        for layer in range(len(params) - 1, -1, -1):
            w, b = params[layer]
            a = activations[layer]
            previous = (w @ delta) * a * (1.0 - a) if layer > 0 else None
            w -= lr * np.outer(a, delta)
            b -= lr * delta
            delta = previous
    return total / len(labels)


def minibatch_epoch(params, images, labels, lr, batch_size):
    """Mini-batch SGD on the summed loss: each step applies the SUM of the batch's gradients."""
    total = 0.0
    for start in range(0, len(labels), batch_size):
        x, y = images[start:start + batch_size], labels[start:start + batch_size]
        activations, p = forward(params, x)
        rows = np.arange(len(y))
        total -= np.log(np.maximum(p[rows, y], 1e-300)).sum()
        delta = p.copy()
        delta[rows, y] -= 1.0
        for layer in range(len(params) - 1, -1, -1):
            w, b = params[layer]
            a = activations[layer]
            previous = (delta @ w.T) * a * (1.0 - a) if layer > 0 else None
            w -= lr * (a.T @ delta)
            b -= lr * delta.sum(axis=0)
            delta = previous
    return total / len(labels)


def evaluate(params, images, labels):
    _, p = forward(params, images)
    loss = -np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-300)).mean()
    return float(loss), float((p.argmax(axis=1) == labels).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR", ""))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--train-limit", type=int, default=60000)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--seed", type=int, default=80085)
    parser.add_argument("--raw-pixels", action="store_true")
    parser.add_argument("--batch-size", type=int, default=1,
                        help="1: the homework's per-sample SGD; B > 1: mini-batch SGD on the summed loss")
    parser.add_argument("--save", help="write the trained weights to this .npz")
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("reference.py: pass --data-dir or set MNIST_DIR")

    scale = 1.0 if args.raw_pixels else 1.0 / 255.0
    train_x = read_idx(find(args.data_dir, "train-images-idx3-ubyte"))[: args.train_limit]
    train_y = read_idx(find(args.data_dir, "train-labels-idx1-ubyte"))[: args.train_limit]
    test_x = read_idx(find(args.data_dir, "t10k-images-idx3-ubyte")).reshape(-1, 784) * scale
    test_y = read_idx(find(args.data_dir, "t10k-labels-idx1-ubyte"))
    train_x = train_x.reshape(-1, 784) * scale

    params = init_network([784, 32, 32, 10], args.seed)
    epochs = []
    with np.errstate(over="ignore"):
        for _ in range(args.epochs):
            start = time.perf_counter()
            if args.batch_size > 1:
                train_loss = minibatch_epoch(params, train_x, train_y.astype(np.int64), args.lr, args.batch_size)
            else:
                train_loss = sgd_epoch(params, train_x, train_y.astype(np.int64), args.lr)
            seconds = time.perf_counter() - start
            test_loss, accuracy = evaluate(params, test_x, test_y)
            epochs.append({"seconds": seconds, "train_loss": train_loss,
                           "test_loss": test_loss, "test_accuracy": accuracy})
    if args.save:
        arrays = {}
        for i, (w, b) in enumerate(params, start=1):
            arrays[f"w{i}"], arrays[f"b{i}"] = w, b
        np.savez(args.save, **arrays)
    json.dump({"numpy": np.__version__, "samples": int(len(train_y)), "batch_size": args.batch_size,
               "epochs": epochs},
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
