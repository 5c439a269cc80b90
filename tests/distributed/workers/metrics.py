"""Metrics over ranks equal the metric over all data: each rank sees a different number of samples."""
import numpy as np

import ember
import ember.distributed as dist
import ember.metrics as em
from _say import say

dist.init_process_group()
rank, size = dist.get_rank(), dist.get_world_size()
C = 4


def data(r):
    rng = np.random.default_rng(50 + r)
    n = 20 + 7 * r  # uneven shards: cat states of different lengths
    logits = rng.standard_normal((n, C)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return probs, rng.integers(0, C, n)


everything = [data(r) for r in range(size)]
all_p = np.concatenate([p for p, _ in everything])
all_t = np.concatenate([t for _, t in everything])
mine_p, mine_t = everything[rank]


def make():
    return {"acc": em.MulticlassAccuracy(num_classes=C), "f1": em.MulticlassF1Score(num_classes=C, average="macro"),
            "auroc": em.MulticlassAUROC(num_classes=C), "bin_auroc": em.BinaryAUROC(), "mean": em.MeanMetric()}


def feed(metric, name, p, t, half):
    if name == "bin_auroc":
        metric.update(ember.tensor(p[half, 0]), ember.tensor((t[half] == 0).astype(np.int64)))
    elif name == "mean":
        metric.update(ember.tensor(p[half, 0]))
    else:
        metric.update(ember.tensor(p[half]), ember.tensor(t[half]))


for name in make():
    synced, full = make()[name], make()[name]
    n = len(mine_t)
    for half in (slice(0, n // 2), slice(n // 2, n)):  # two updates per rank
        feed(synced, name, mine_p, mine_t, half)
    feed(full, name, all_p, all_t, slice(None))
    got, want = synced.compute().numpy(), full.compute().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    # compute() restores the local states afterwards: a second compute gives the same synced value
    np.testing.assert_allclose(synced.compute().numpy(), want, rtol=1e-5, atol=1e-6)

# sync_on_compute=False keeps the metric local
acc_local = em.MulticlassAccuracy(num_classes=C, sync_on_compute=False)
acc_local.update(ember.tensor(mine_p), ember.tensor(mine_t))
expect_local = (mine_p.argmax(1) == mine_t).astype(float)
np.testing.assert_allclose(acc_local.compute().numpy(),
                           np.mean([expect_local[mine_t == c].mean() for c in range(C)]), rtol=1e-6)

# forward returns the local batch value, unless dist_sync_on_step
for on_step in (False, True):
    m = em.MulticlassAccuracy(num_classes=C, average="micro", dist_sync_on_step=on_step)
    value = m(ember.tensor(mine_p), ember.tensor(mine_t)).numpy()
    expect = (all_p.argmax(1) == all_t).mean() if on_step else (mine_p.argmax(1) == mine_t).mean()
    np.testing.assert_allclose(value, expect, rtol=1e-6)

# a rank that saw nothing adds nothing to a cat state
au = em.BinaryAUROC()
if rank != 0:
    au.update(ember.tensor(mine_p[:, 0]), ember.tensor((mine_t == 0).astype(np.int64)))
ref = em.BinaryAUROC()
ref.update(ember.tensor(np.concatenate([p[:, 0] for p, _ in everything[1:]])),
           ember.tensor(np.concatenate([(t == 0).astype(np.int64) for _, t in everything[1:]])))
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    np.testing.assert_allclose(au.compute().numpy(), ref.compute().numpy(), rtol=1e-6)

# MetricCollection syncs each member (with compute groups sharing states)
mc = em.MetricCollection({"acc": em.MulticlassAccuracy(num_classes=C), "f1": em.MulticlassF1Score(num_classes=C),
                          "prec": em.MulticlassPrecision(num_classes=C)})
mc.update(ember.tensor(mine_p), ember.tensor(mine_t))
ref = em.MetricCollection({"acc": em.MulticlassAccuracy(num_classes=C), "f1": em.MulticlassF1Score(num_classes=C),
                           "prec": em.MulticlassPrecision(num_classes=C)})
ref.update(ember.tensor(all_p), ember.tensor(all_t))
got, want = mc.compute(), ref.compute()
for k in want:
    np.testing.assert_allclose(got[k].numpy(), want[k].numpy(), rtol=1e-6, err_msg=k)
say(f"OK {rank}")
