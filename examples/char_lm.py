"""Train a character-level language model on a bundled public-domain text, then sample from it.

    python examples/char_lm.py [--model lstm|transformer] [--steps 80] [--seed 0]

Characters are tokens; the text is the opening of *Alice's Adventures in Wonderland* (``ember.datasets.load_text``).
Two models, selectable:

- ``lstm``: embedding, a 2-layer ``nn.LSTM`` (batch_first) and a linear head over the vocabulary;
- ``transformer``: a miniature GPT: token + position embeddings, a 2-layer pre-norm ``nn.TransformerEncoder`` under
  the causal mask (each position sees only itself and the past) and a linear head.

Each logged step prints the training cross-entropy; the last line prints a greedy continuation of "Alice was ".
Replace ``import ember as torch`` by ``import torch`` (and the text by any string) and the same script runs on
PyTorch.
"""
from __future__ import annotations

import argparse

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
import ember.optim  # (makes torch.optim available; `import torch` does this itself)
from ember.datasets import load_text


class CharLSTM(nn.Module):
    def __init__(self, vocab, d_model=64, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.rnn = nn.LSTM(d_model, d_model, layers, batch_first=True)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx):
        return self.head(self.rnn(self.tok(idx))[0])


class TinyGPT(nn.Module):
    def __init__(self, vocab, context, d_model=48, nhead=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(context, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.blocks = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        return self.head(self.blocks(x, mask=mask, is_causal=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("lstm", "transformer"), default="lstm")
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = load_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    context, batch = 32, 32
    model = CharLSTM(len(chars)) if args.model == "lstm" else TinyGPT(len(chars), context)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2 if args.model == "lstm" else 3e-3)
    for step in range(1, args.steps + 1):
        starts = rng.integers(0, len(data) - context - 1, batch)
        x = torch.from_numpy(np.stack([data[s:s + context] for s in starts]))
        y = torch.from_numpy(np.stack([data[s + 1:s + context + 1] for s in starts]))
        loss = F.cross_entropy(model(x).reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 1 or step % 10 == 0:
            print(f"step {step:4d} loss {loss.item():.4f}")
    model.eval()
    idx = [stoi[c] for c in "Alice was "]
    with torch.no_grad():
        for _ in range(40):
            logits = model(torch.tensor([idx[-context:]]))
            idx.append(int(logits[0, -1].argmax().item()))
    print("sample:", "".join(chars[i] for i in idx))


if __name__ == "__main__":
    main()
