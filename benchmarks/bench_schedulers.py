"""Time 10,000 scheduler.step() calls, ember vs torch, in one run.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_schedulers.py
Prints the median over repeats of each library and the ratio ember / torch (lower is better).
"""
import statistics
import time
import warnings

import numpy as np
import torch

import ember
import ember.optim as eoptim

STEPS = 10_000
REPEATS = 7
GROUPS = 2


def optimizers():
    e_groups = [{"params": [ember.tensor(np.zeros(4, np.float32), requires_grad=True)], "lr": 0.1 / (i + 1)}
                for i in range(GROUPS)]
    t_groups = [{"params": [torch.nn.Parameter(torch.zeros(4))], "lr": 0.1 / (i + 1)} for i in range(GROUPS)]
    return eoptim.SGD(e_groups, lr=0.1, momentum=0.9), torch.optim.SGD(t_groups, lr=0.1, momentum=0.9)


CASES = {
    "CosineAnnealingLR(T_max=1000)": lambda M, o: M.CosineAnnealingLR(o, T_max=1000, eta_min=1e-4),
    "OneCycleLR(total_steps=10000)": lambda M, o: M.OneCycleLR(o, max_lr=0.1, total_steps=STEPS),
}


def time_steps(make, lib_sched, opt):
    sched = make(lib_sched, opt)
    opt.step()                                  # torch warns if the scheduler steps first
    step = sched.step
    t0 = time.perf_counter()
    for _ in range(STEPS):
        step()
    return time.perf_counter() - t0


def main():
    warnings.simplefilter("ignore")
    print(f"{STEPS} scheduler.step() calls, {GROUPS} param groups, median of {REPEATS} (ms)")
    print(f"{'scheduler':32s} {'ember':>9s} {'torch':>9s} {'ember/torch':>12s}")
    for name, make in CASES.items():
        e_times, t_times = [], []
        for _ in range(REPEATS):
            eo, to = optimizers()
            e_times.append(time_steps(make, eoptim.lr_scheduler, eo))
            t_times.append(time_steps(make, torch.optim.lr_scheduler, to))
            assert np.allclose([g["lr"] for g in eo.param_groups], [g["lr"] for g in to.param_groups], rtol=1e-6)
        e, t = statistics.median(e_times) * 1e3, statistics.median(t_times) * 1e3
        print(f"{name:32s} {e:9.2f} {t:9.2f} {e / t:11.2f}x")


if __name__ == "__main__":
    main()
