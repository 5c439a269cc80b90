"""ember.metrics vs torchmetrics on the same inputs, in one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_metrics.py [--quick] [--no-numba]

Cases (issue 7): MulticlassAccuracy forward, MulticlassF1Score(macro) update, MulticlassConfusionMatrix update,
MulticlassAUROC and BinaryAUROC update+compute (exact), MeanSquaredError update; batches (10, 5), (4096, 100),
(100000, 10). Prints the median time per call of each library and the ratio ember/torchmetrics (targets: updates
≤ 0.5, exact AUROC update+compute ≤ 0.3). ember gets ember tensors, torchmetrics torch tensors, same values.
With numba installed (the ``fast`` extra) the multiclass argmax/confusion counts, exact AUROC and MSE use one-pass
kernels (ember/metrics/_kernels.py); ``--no-numba`` times the NumPy fallback.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch
import torchmetrics.classification as TC
import torchmetrics.regression as TR

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402
import ember.metrics as em  # noqa: E402

BATCHES = ((10, 5), (4096, 100), (100000, 10))


def _compare(ours, ref, samples=7):
    """Median seconds per call of ember's and torchmetrics' callables (benchmarks/_timing.py)."""
    med = compare({"ember": ours, "torchmetrics": ref}, repeat=samples)
    return med["ember"], med["torchmetrics"]


def _inputs(n, c, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)).astype(np.float32)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    target = rng.integers(0, c, n)
    binary_probs = (1 / (1 + np.exp(-logits[:, 0]))).astype(np.float32)
    binary_target = rng.integers(0, 2, n)
    return probs, target, binary_probs, binary_target


def _cases(n, c):
    probs, target, bprobs, btarget = _inputs(n, c)
    e = {k: ember.tensor(v) for k, v in dict(p=probs, t=target, bp=bprobs, bt=btarget).items()}
    t = {k: torch.from_numpy(v) for k, v in dict(p=probs, t=target, bp=bprobs, bt=btarget).items()}

    def forward(metric, x):
        return lambda: metric(x["p"], x["t"])

    def update(metric, x, pk="p", tk="t"):
        return lambda: metric.update(x[pk], x[tk])

    def update_compute(make, x, pk, tk):
        def run():
            metric = make()
            metric.update(x[pk], x[tk])
            return metric.compute()
        return run

    return [
        ("MulticlassAccuracy forward", 0.5,
         forward(em.MulticlassAccuracy(num_classes=c), e), forward(TC.MulticlassAccuracy(num_classes=c), t)),
        ("MulticlassF1Score(macro) update", 0.5,
         update(em.MulticlassF1Score(num_classes=c, average="macro"), e),
         update(TC.MulticlassF1Score(num_classes=c, average="macro"), t)),
        ("MulticlassConfusionMatrix update", 0.5,
         update(em.MulticlassConfusionMatrix(num_classes=c), e), update(TC.MulticlassConfusionMatrix(num_classes=c), t)),
        ("MulticlassAUROC update+compute", 0.3,
         update_compute(lambda: em.MulticlassAUROC(num_classes=c), e, "p", "t"),
         update_compute(lambda: TC.MulticlassAUROC(num_classes=c), t, "p", "t")),
        ("BinaryAUROC update+compute", 0.3,
         update_compute(em.BinaryAUROC, e, "bp", "bt"), update_compute(TC.BinaryAUROC, t, "bp", "bt")),
        ("MeanSquaredError update", 0.5,
         update(em.MeanSquaredError(), e, "p", "p"), update(TR.MeanSquaredError(), t, "p", "p")),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--torch-threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--no-numba", action="store_true", help="time ember's NumPy path (no numba kernels)")
    args = parser.parse_args()
    try:
        from ember.metrics import _kernels
    except ImportError:  # an ember without the kernels module (older checkout)
        _kernels = None
    if args.no_numba and _kernels is not None:
        _kernels.set_enabled(False)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    samples = 3 if args.quick else 7
    kernels = "on" if _kernels is not None and _kernels.numba_available() else "off"
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}  numpy {np.__version__}  "
          f"ember numba kernels: {kernels}")
    print(f"{'case':34s} {'batch':>12s} {'ember ms':>10s} {'torchmetrics ms':>16s} {'ratio':>7s} {'target':>7s}")
    worst = {}
    for n, c in BATCHES:
        for name, target, ours, ref in _cases(n, c):
            t_ours, t_ref = _compare(ours, ref, samples=samples)
            ratio = t_ours / t_ref
            worst[name] = max(worst.get(name, 0), ratio)
            flag = "ok" if ratio <= target else "MISS"
            print(f"{name:34s} {str((n, c)):>12s} {t_ours * 1e3:10.3f} {t_ref * 1e3:16.3f} {ratio:7.2f} "
                  f"{'≤' + str(target):>6s} {flag}")
    print("worst ratio per case: " + ", ".join(f"{k}: {v:.2f}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
