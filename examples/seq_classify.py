"""Classify variable-length sequences with a 2-layer LSTM on padded, packed batches.

    python examples/seq_classify.py [--epochs 8] [--seed 0]

Each sequence is 3 to 24 tokens from a vocabulary of 6; its label says which of the tokens 1 and 2 occurs more
often (ties never occur: they are redrawn). A batch is padded with ``pad_sequence`` and packed with
``pack_padded_sequence(..., enforce_sorted=False)``, so the LSTM stops at each sequence's own last token and
``h_n[-1]`` is the state after it (on the padded tensor without packing, the padding would be read too). Each
epoch prints the mean training loss; the last line prints the accuracy on held-out sequences. Replace
``import ember as torch`` by ``import torch`` and the same script runs on PyTorch.
"""
from __future__ import annotations

import argparse

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim  # (makes torch.optim available; `import torch` does this itself)
from ember.nn.utils.rnn import pack_padded_sequence, pad_sequence


def make_data(rng, count):
    """``count`` (token sequence, label) pairs; label 1 when token 1 occurs more often than token 2."""
    data = []
    while len(data) < count:
        seq = rng.integers(0, 6, rng.integers(3, 25))
        ones, twos = int((seq == 1).sum()), int((seq == 2).sum())
        if ones != twos:
            data.append((seq, int(ones > twos)))
    return data


class Classifier(nn.Module):
    def __init__(self, vocab=6, d_model=16, hidden=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.rnn = nn.LSTM(d_model, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.tok(padded), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.rnn(packed)
        return self.head(h_n[-1])


def batches(data, size):
    for start in range(0, len(data), size):
        chunk = data[start:start + size]
        padded = pad_sequence([torch.from_numpy(s) for s, _ in chunk], batch_first=True)
        lengths = torch.tensor([len(s) for s, _ in chunk])
        yield padded, lengths, torch.tensor([label for _, label in chunk])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train, test = make_data(rng, 1024), make_data(rng, 256)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(train))
        total = 0.0
        for padded, lengths, labels in batches([train[i] for i in order], 64):
            loss = F.cross_entropy(model(padded, lengths), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(labels)
        print(f"epoch {epoch:3d} loss {total / len(train):.4f}")
    model.eval()
    correct = 0
    with torch.no_grad():
        for padded, lengths, labels in batches(test, 256):
            correct += int((model(padded, lengths).argmax(1) == labels).sum().item())
    print(f"accuracy {correct / len(test):.3f}")


if __name__ == "__main__":
    main()
