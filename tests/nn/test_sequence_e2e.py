"""End to end: a 2-layer LSTM classifier and a tiny causal transformer language model, weights copied from torch,
trained 10 Adam steps on the same batches (dropout 0): the losses agree at every step."""
from __future__ import annotations

import numpy as np
from _oracle import torch
from _seq_checks import copy_weights

import ember


def _lstm_classifier(nn):
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(6, 12, num_layers=2, batch_first=True)
            self.head = nn.Linear(12, 3)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    return Classifier()


def _causal_lm(nn, vocab=11, d=16, heads=4, length=8):
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(length, d)
            layer = nn.TransformerEncoderLayer(d, heads, 32, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(d, vocab)
            self.positions = np.arange(length)

        def forward(self, tokens, lib):
            t = tokens.shape[1]
            x = self.embed(tokens) + self.pos(lib.tensor(self.positions[:t]))
            mask = nn.Transformer.generate_square_subsequent_mask(t)
            return self.head(self.encoder(x, mask=mask, is_causal=True))

    return LM()


def _train(model, batches, lib, loss_fn):
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for batch in batches:
        opt.zero_grad()
        loss = loss_fn(model, *[lib.tensor(a) for a in batch])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_lstm_classifier_trains_like_torch():
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((16, 7, 6)).astype(np.float32) for _ in range(2)]
    batches = [(x, x[:, :, :3].sum(1).argmax(1)) for x in xs] * 5  # label: the largest summed feature
    torch.manual_seed(0)
    tm, em = _lstm_classifier(torch.nn), _lstm_classifier(ember.nn)
    copy_weights(em, tm)

    def loss(lib):
        return lambda m, x, y: lib.nn.functional.cross_entropy(m(x), y)

    t_losses = _train(tm, batches, torch, loss(torch))
    e_losses = _train(em, batches, ember, loss(ember))
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-4)
    assert t_losses[-1] < t_losses[0]


def test_causal_transformer_lm_trains_like_torch():
    rng = np.random.default_rng(1)
    vocab = 11
    starts = [rng.integers(0, vocab, (4, 1)) for _ in range(10)]
    seqs = [(s + np.arange(9)) % vocab for s in starts]  # counting sequences: learnable next tokens
    batches = [(s[:, :-1], s[:, 1:]) for s in seqs]
    torch.manual_seed(0)
    tm, em = _causal_lm(torch.nn, vocab), _causal_lm(ember.nn, vocab)
    copy_weights(em, tm)

    def loss(lib):
        return lambda m, x, y: lib.nn.functional.cross_entropy(m(x, lib).reshape(-1, vocab), y.reshape(-1))

    t_losses = _train(tm, batches, torch, loss(torch))
    e_losses = _train(em, batches, ember, loss(ember))
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-4)
    assert t_losses[-1] < t_losses[0]
