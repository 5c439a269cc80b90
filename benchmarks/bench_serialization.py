"""Saving and loading a 400 MB state dict: ember vs torch, in one run.

The state dict: 200 float32 tensors of 1000 x 500 (2 MB each, 400 MB in all), the same values
in both libraries. Rows (median seconds over interleaved repeats, in a temporary directory):
    save         ember.save(sd, "e.pt")  vs torch.save(sd, "t.pt")     (both torch's zip format;
                 ember's write is atomic: temp file + rename; neither fsyncs)
    save to file ember.save(sd, fh)      vs torch.save(sd, fh), fh an open file (no rename:
                 the same work for both)
    load         ember.load("e.pt")      vs torch.load("t.pt", weights_only=True)
    load torch's ember.load("t.pt")      vs torch.load("t.pt", weights_only=True)
    mmap-load    ember.load("e.pt", mmap=True) vs torch.load("t.pt", mmap=True, weights_only=True)
and the ratio ember / torch (target: at most 1.0 for each). Loads read from the page cache
(the files were just written), for both libraries alike. Every timed call starts after an
untimed ``os.sync()``, so that no call pays for the write-back of the files an earlier row wrote.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_serialization.py [--repeat N] [--mb 400]
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time

import numpy as np
import torch

import ember


def _to_file(save, sd, path) -> None:
    with open(path, "wb") as fh:
        save(sd, fh)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mb", type=int, default=400)
    args = ap.parse_args()
    n = args.mb // 2
    rng = np.random.default_rng(0)
    arrays = {f"layer{i}.weight": rng.standard_normal((1000, 500), dtype=np.float32) for i in range(n)}
    esd = {k: ember.from_numpy(a) for k, a in arrays.items()}
    tsd = {k: torch.from_numpy(a) for k, a in arrays.items()}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        e_path, t_path = os.path.join(d, "e.pt"), os.path.join(d, "t.pt")
        rows = {
            "save": (lambda: ember.save(esd, e_path), lambda: torch.save(tsd, t_path)),
            "save to file": (lambda: _to_file(ember.save, esd, e_path), lambda: _to_file(torch.save, tsd, t_path)),
            "load": (lambda: ember.load(e_path), lambda: torch.load(t_path, weights_only=True)),
            "load torch's file": (lambda: ember.load(t_path), lambda: torch.load(t_path, weights_only=True)),
            "mmap-load": (lambda: ember.load(e_path, mmap=True),
                          lambda: torch.load(t_path, mmap=True, weights_only=True)),
        }
        rows["save"][0](), rows["save"][1]()
        for e_fn, t_fn in rows.values():           # correctness once: both read the same values
            a, b = e_fn(), t_fn()
            if a is not None:
                np.testing.assert_array_equal(a["layer0.weight"].numpy(), b["layer0.weight"].numpy())
        times = {(row, lib): [] for row in rows for lib in ("ember", "torch")}
        for _ in range(args.repeat):
            for row, fns in rows.items():
                for lib, fn in zip(("ember", "torch"), fns):
                    gc.collect()
                    os.sync()
                    t0 = time.perf_counter()
                    out = fn()
                    times[row, lib].append(time.perf_counter() - t0)
                    del out
    print(f"state dict: {n} float32 tensors of 1000x500 ({n * 2} MB); median of {args.repeat} interleaved runs")
    print(f"{'':20s} {'ember s':>9s} {'torch s':>9s} {'ember/torch':>12s}")
    for row in rows:
        e, t = statistics.median(times[row, "ember"]), statistics.median(times[row, "torch"])
        print(f"{row:20s} {e:9.3f} {t:9.3f} {e / t:11.2f}x")
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
