"""Forward + backward of the layers of issue #19 that sit in training loops, ember vs torch, float32, in one run.

    InstanceNorm2d(64, affine=True)   input (16, 64, 32, 32)
    PixelShuffle(2)                   input (16, 64, 32, 32)
    Unfold(3, padding=1)              input (16, 16, 32, 32)
    Fold((32, 32), 3, padding=1)      input (16, 144, 1024)
    Conv3d(8, 16, 3, padding=1)       input (4, 8, 16, 16, 16)
    F.grid_sample bilinear, zeros     input (8, 16, 32, 32), grid (8, 32, 32, 2) (gradients of input and grid)

Each timing is one forward and one backward of sum(y·v) (input and parameter gradients reset to None first),
timed by benchmarks/_timing.py (alternating, settled samples); the table prints the medians of ember (numba
kernels, the ``fast`` extra), ember-np (the NumPy path, kernels switched off in the same process) and torch, and
the ratios ember / torch and ember-np / torch (target: ≤ 1.0). The machine is shared and noisy: compare ratios,
rerun to confirm.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_layers.py [--threads N] [names...]
      (--threads N: N threads for torch and OpenBLAS, via threadpoolctl; default: each library's own;
       names: only the rows whose name contains one of them, e.g. conv3d instance)
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare  # noqa: E402

import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
from ember import _numba  # noqa: E402


def _case(name, make, shape, rng, floor=None):
    t_mod, e_mod = make(torch.nn), make(enn)
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()})
    x = rng.standard_normal(shape, dtype=np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_shape = tuple(t_mod(tx).shape)
    v = rng.standard_normal(out_shape, dtype=np.float32)
    ev, tv = ember.tensor(v), torch.tensor(v)

    def e_step():
        ex.grad = None
        for p in e_mod.parameters():
            p.grad = None
        (e_mod(ex) * ev).sum().backward()

    def t_step():
        tx.grad = None
        for p in t_mod.parameters():
            p.grad = None
        (t_mod(tx) * tv).sum().backward()

    def np_step():
        previous = _numba.set_enabled(False)
        try:
            e_step()
        finally:
            _numba.set_enabled(previous)

    for step in (e_step, np_step):
        step(), t_step()
        assert np.allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-3, atol=1e-4), name
    fns = {"ember": e_step, "ember-np": np_step, "torch": t_step}
    if floor is not None:
        fns["floor"] = floor(rng)
    med = compare(fns, repeat=7)
    e, n, t = (med[k] * 1e3 for k in ("ember", "ember-np", "torch"))
    print(f"| {name:<48} | {e:9.3f} | {n:9.3f} | {t:9.3f} | {e / t:5.2f}x | {n / t:5.2f}x |", flush=True)
    if floor is not None:
        f = med["floor"] * 1e3
        print(f"| {'  its im2col GEMMs alone in NumPy (the floor)':<48} | {f:9.3f} | {f:9.3f} | {t:9.3f} | {f / t:5.2f}x "
              f"| {f / t:5.2f}x |", flush=True)


def _conv3d_gemms(rng):
    """The three products of Conv3d(8, 16, 3, padding=1) on (4, 8, 16, 16, 16) as ember's op runs them: out = W·cols,
    dW = g·colsᵀ, dcols = Wᵀ·g, cols (8·27, 4·16³). No im2col+GEMM convolution on this BLAS is faster."""
    w = rng.standard_normal((1, 16, 216), dtype=np.float32)
    cols = rng.standard_normal((1, 216, 4 * 16 ** 3), dtype=np.float32)
    g = rng.standard_normal((1, 16, 4 * 16 ** 3), dtype=np.float32)
    from ember.autograd.ops.conv import _weight_grad

    def run():
        np.matmul(w, cols), _weight_grad(g, cols), np.matmul(w.swapaxes(1, 2), g)

    return run


def _GridSample(nn):
    """grid_sample as a module with a fixed random affine grid that requires grad (timed with it)."""
    lib = torch if nn is torch.nn else ember
    theta = np.array([[[0.9, 0.2, 0.05], [-0.1, 1.1, 0.0]]] * 8, dtype=np.float32)
    grid_np = torch.nn.functional.affine_grid(torch.tensor(theta), [8, 16, 32, 32], align_corners=False).numpy()

    class GridSample(nn.Module):
        def __init__(self):
            super().__init__()
            self.grid = nn.Parameter(lib.tensor(grid_np.copy()))

        def forward(self, x):
            return nn.functional.grid_sample(x, self.grid, "bilinear", "zeros", align_corners=False)

    return GridSample()


def main():
    args = sys.argv[1:]
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i: i + 2]
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, numba kernels "
          f"{'on' if _numba.module() is not None else 'off'}; load average {os.getloadavg()[0]:.1f}; median ms per "
          "forward+backward")
    print("| layer (float32)                                  | ember ms  | ember-np  | torch ms  | ratio | np/torch |")
    print("|--------------------------------------------------|-----------|-----------|-----------|-------|----------|")
    cases = [
        ("InstanceNorm2d(64, affine) (16, 64, 32, 32)", lambda nn: nn.InstanceNorm2d(64, affine=True), (16, 64, 32, 32)),
        ("PixelShuffle(2) (16, 64, 32, 32)", lambda nn: nn.PixelShuffle(2), (16, 64, 32, 32)),
        ("Unfold(3, padding=1) (16, 16, 32, 32)", lambda nn: nn.Unfold(3, padding=1), (16, 16, 32, 32)),
        ("Fold((32, 32), 3, padding=1) (16, 144, 1024)", lambda nn: nn.Fold((32, 32), 3, padding=1), (16, 144, 1024)),
        ("Conv3d(8, 16, 3, padding=1) (4, 8, 16, 16, 16)", lambda nn: nn.Conv3d(8, 16, 3, padding=1), (4, 8, 16, 16, 16),
         _conv3d_gemms),
    ]
    cases.append(("grid_sample bilinear (8, 16, 32, 32)", _GridSample, (8, 16, 32, 32)))
    only = args
    for name, make, shape, *floor in cases:
        if not only or any(o.lower() in name.lower() for o in only):
            _case(name, make, shape, rng, *floor)


if __name__ == "__main__":
    main()
