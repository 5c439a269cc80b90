"""Train a small MLP on three interleaved spirals, end to end with ember's PyTorch-style API.

    python examples/train_mlp.py [--epochs 15] [--seed 0]

The data are made here (a fixed seed, no download); 80 % trains, 20 % is held out. Each epoch
prints the mean training loss; the last line is the held-out accuracy. Replace ``import ember
as torch`` by ``import torch`` (and ``ember.utils.data`` by ``torch.utils.data``) and the same
script runs on PyTorch.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim  # (makes torch.optim available; `import torch` does this itself)
from ember.utils.data import DataLoader, TensorDataset, random_split


def spirals(n_per_class: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """Points on ``classes`` interleaved spiral arms in 2-d; label = arm.

    Arm k, point i: r = i/n, θ = 4r + 2πk/classes + ε·noise, (x, y) = (r·sin θ, r·cos θ).
    """
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.05, 1.0, n_per_class), classes)
    label = np.repeat(np.arange(classes), n_per_class)
    theta = 4.0 * r + 2.0 * np.pi * label / classes + noise * rng.standard_normal(r.size)
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(label.astype(np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x, y = spirals(seed=args.seed)
    train_set, test_set = random_split(TensorDataset(x, y), [0.8, 0.2],
                                       generator=torch.Generator().manual_seed(args.seed))
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True,
                              generator=torch.Generator().manual_seed(args.seed))
    test_loader = DataLoader(test_set, batch_size=256)

    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        print(f"epoch {epoch:3d}  loss {total / count:.4f}")

    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in test_loader:
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.2f} s")
    print(f"accuracy {correct / len(test_set):.4f}")


if __name__ == "__main__":
    main()
