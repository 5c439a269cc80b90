"""Shared helpers for the metric tests: random inputs per task and input kind, torch conversion, comparison."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchmetrics = pytest.importorskip("torchmetrics")

N, C, L, X = 60, 5, 4, 3  # samples, classes, labels, extra positions (samplewise / multidim)


def make_inputs(task, kind, variant="random", multidim=False, seed=0, n=N):
    """(preds, target) as NumPy arrays. kind: 'probs' | 'logits' | 'labels'; variant: 'random' | 'absent' (the last
    class never occurs) | 'single' (every target is class 1)."""
    rng = np.random.default_rng(seed)
    extra = (X,) if multidim else ()
    if task == "binary":
        target = rng.integers(0, 2, (n,) + extra)
        scores = rng.standard_normal((n,) + extra).astype(np.float32) * 2
        if kind == "probs":
            preds = 1 / (1 + np.exp(-scores))
        elif kind == "logits":
            preds = scores
        else:
            preds = (scores > 0).astype(np.int64)
    elif task == "multiclass":
        k = C - 1 if variant == "absent" else C
        target = rng.integers(0, k, (n,) + extra)
        scores = rng.standard_normal((n, C) + extra).astype(np.float32) * 2
        if variant == "absent":
            scores[:, C - 1] -= 100
        if kind == "probs":
            e = np.exp(scores - scores.max(1, keepdims=True))
            preds = (e / e.sum(1, keepdims=True)).astype(np.float32)
        elif kind == "logits":
            preds = scores
        else:
            preds = scores.argmax(1)
    else:
        target = rng.integers(0, 2, (n, L) + extra)
        scores = rng.standard_normal((n, L) + extra).astype(np.float32) * 2
        if kind == "probs":
            preds = (1 / (1 + np.exp(-scores))).astype(np.float32)
        elif kind == "logits":
            preds = scores
        else:
            preds = (scores > 0).astype(np.int64)
    if variant == "single":
        target = np.ones_like(target)
    return preds, target


def with_ignore(target, ignore_index, seed=1, frac=0.15):
    rng = np.random.default_rng(seed)
    t = target.copy()
    t[rng.random(t.shape) < frac] = ignore_index
    return t


def tt(x):
    return torch.from_numpy(np.ascontiguousarray(x))


def assert_close(ours, ref, name="", rtol=1e-4, atol=1e-5):
    """ours: ember tensor(s); ref: torch tensor(s) — same structure, shape and values (nan == nan)."""
    if isinstance(ref, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(ref), f"{name}: structure {type(ours)} vs {len(ref)}"
        for o, r in zip(ours, ref):
            assert_close(o, r, name, rtol, atol)
        return
    if isinstance(ref, dict):
        assert set(ours) == set(ref), f"{name}: keys {sorted(ours)} vs {sorted(ref)}"
        for k in ref:
            assert_close(ours[k], ref[k], f"{name}[{k}]", rtol, atol)
        return
    a = np.asarray(ours)
    b = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref)
    assert a.shape == b.shape, f"{name}: shape {a.shape} vs torchmetrics {b.shape}"
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=name)
