"""Distributed data parallel on MPI: all-reduce bandwidth (ember's call vs raw mpi4py) and DDP step times.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_distributed.py [--ranks 1 2] [--steps 30]

The script launches itself under ``mpiexec -n R`` for each R in ``--ranks`` (one thread per rank: OpenBLAS,
numba and ember) and prints, from rank 0:

* all-reduce: ``dist.all_reduce(t)`` against ``comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM)`` on the same float32
  buffer (1, 10, 40 MB), alternating samples (benchmarks/_timing.py, fixed call counts so that every rank makes
  the same calls); bandwidth = bytes / time, and the ratio ember / raw;
* DDP training step (zero_grad, forward, cross-entropy, backward with the averaging, SGD step) of the
  784-256-256-10 MLP and of LeNet (benchmarks/bench_cnn.py's model) on a global batch of 128 split over the
  ranks; the slowest rank's median step, and the share of the step spent waiting for the reductions
  (``DistributedDataParallel.comm_wait_s``) at the end of backward. With several ranks each model is also run
  with a single bucket (``bucket_cap_mb=1000``): its reduction starts only when backward has finished, which
  shows what starting the buckets during backward (the default) gains.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def worker(steps: int) -> None:
    import time

    from _timing import compare
    from bench_cnn import build as lenet
    from mpi4py import MPI

    import ember
    import ember.distributed as dist
    import ember.nn.functional as F
    from ember import nn
    from ember.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group()
    rank, size = dist.get_rank(), dist.get_world_size()
    comm = dist.group.WORLD.comm
    lines = []
    if size > 1:
        for mb in (1, 10, 40):
            t = ember.zeros(mb * 1024 * 1024 // 4)
            a = t._data
            times = compare({"ember": lambda t=t: dist.all_reduce(t),
                             "raw": lambda a=a: comm.Allreduce(MPI.IN_PLACE, a, MPI.SUM)},
                            repeat=7, number=max(1, 40 // mb), settle_s=0.0)
            gb = lambda s, mb=mb: mb / 1024 / s
            lines.append(f"all_reduce {mb:>3} MB  ember {times['ember'] * 1e3:8.2f} ms ({gb(times['ember']):5.2f} "
                         f"GB/s)  raw mpi4py {times['raw'] * 1e3:8.2f} ms ({gb(times['raw']):5.2f} GB/s)  "
                         f"ember/raw speed {times['raw'] / times['ember']:.2f}")
    global_batch = 128
    local = global_batch // size
    rng = np.random.default_rng(rank)
    models = {
        "MLP 784-256-256-10": (lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                                     nn.Linear(256, 10)), (784,)),
        "LeNet": (lambda: lenet(nn), (1, 28, 28)),
    }
    configs = [(name, build, shape, cap) for name, (build, shape) in models.items()
               for cap in ((None, 1000) if size > 1 else (None,))]
    for name, build, shape, cap in configs:
        ember.manual_seed(0)
        model = DDP(build(), bucket_cap_mb=cap)
        opt = ember.optim.SGD(model.parameters(), lr=0.01)
        x = ember.tensor(rng.standard_normal((local,) + shape).astype(np.float32))
        y = ember.tensor(rng.integers(0, 10, local))

        def step(model=model, opt=opt, x=x, y=y):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        for _ in range(5):
            step()
        comm.Barrier()
        times, waits = [], []
        for _ in range(steps):
            w0 = model.comm_wait_s
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
            waits.append(model.comm_wait_s - w0)
        med = float(np.median(times))
        share = float(np.sum(waits) / np.sum(times))
        worst = comm.allreduce(med, op=MPI.MAX)
        share_max = comm.allreduce(share, op=MPI.MAX)
        buckets = "default buckets" if cap is None else "one bucket, reduced after backward (no overlap)"
        lines.append(f"DDP step {name:<19} ranks {size}  batch {local:>3}/rank  step {worst * 1e3:7.2f} ms  "
                     f"waiting for communication {share_max * 100:5.1f}% of the step  [{buckets}]")
    if rank == 0:
        print("\n".join(lines), flush=True)
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.steps)
        return
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1", EMBER_NUM_THREADS="1")
    for n in args.ranks:
        subprocess.run(["mpiexec", "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
                        "--steps", str(args.steps)], env=env, check=True)


if __name__ == "__main__":
    main()
