"""``ember plot optimizers``: the paths of optimizers on 2-D test functions (PNG + animated GIF).

Each function is written once over ``+ − × **`` and a ``cos`` that is ``ember.cos`` for the
optimisation (autograd gives the gradient) and ``numpy.cos`` for the contour grid.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._atomic import TMP_SUFFIX, file_error, prepare_dir
from .config import MAX_FRAMES, MAX_STEPS
from .errors import UsageError, check_range, unknown


def rosenbrock(x, y, cos=None):
    """f = (1 − x)² + 100·(y − x²)²; minimum 0 at (1, 1) at the end of a curved valley."""
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def beale(x, y, cos=None):
    """f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum 0 at (3, 0.5)."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def himmelblau(x, y, cos=None):
    """f = (x² + y − 11)² + (x + y² − 7)²; four minima of 0, e.g. at (3, 2)."""
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def rastrigin(x, y, cos=np.cos):
    """f = 20 + x² − 10·cos(2πx) + y² − 10·cos(2πy); global minimum 0 at (0, 0), many local minima."""
    return 20 + x ** 2 - 10 * cos(2 * math.pi * x) + y ** 2 - 10 * cos(2 * math.pi * y)


@dataclass(frozen=True)
class Surface:
    fn: Callable[..., Any]  # f(x, y, cos): the surface, with ember.cos or np.cos
    start: tuple
    xlim: tuple
    ylim: tuple
    minima: tuple
    log_levels: bool
    lrs: dict          # default lr per optimizer on this surface


_LR_SMALL = {"SGD": 1e-3, "Momentum": 2e-4, "Nesterov": 2e-4, "RMSprop": 1e-2, "Adagrad": 0.5, "Adam": 0.05,
             "AdamW": 0.05, "Adadelta": 1.0, "Adamax": 0.05, "NAdam": 0.05, "RAdam": 0.05, "Lion": 0.01,
             "Rprop": 1e-3, "ASGD": 1e-3}
SURFACES = {
    "rosenbrock": Surface(rosenbrock, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0), ((1.0, 1.0),), True,
                          {**_LR_SMALL, "SGD": 1.5e-3, "Momentum": 5e-4, "Nesterov": 5e-4, "Adagrad": 0.8,
                           "Adam": 0.1, "AdamW": 0.1}),
    "beale": Surface(beale, (1.0, 1.5), (-4.5, 4.5), (-4.5, 4.5), ((3.0, 0.5),), True,
                     {**_LR_SMALL, "SGD": 1e-3, "Momentum": 5e-4, "Nesterov": 5e-4, "Adam": 0.05, "Adagrad": 0.5}),
    "himmelblau": Surface(himmelblau, (-0.5, 0.5), (-5.0, 5.0), (-5.0, 5.0),
                          ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), True,
                          {**_LR_SMALL, "SGD": 5e-3, "Momentum": 2e-3, "Nesterov": 2e-3, "Adam": 0.1}),
    "rastrigin": Surface(rastrigin, (-4.3, 4.1), (-5.12, 5.12), (-5.12, 5.12), ((0.0, 0.0),), False,
                         {**_LR_SMALL, "SGD": 2e-3, "Momentum": 1e-3, "Nesterov": 1e-3, "Adam": 0.2,
                          "RMSprop": 0.05, "Adagrad": 1.0}),
}
PSEUDO = {"Momentum": ("SGD", {"momentum": 0.9}), "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True})}


def optimizer_path(function: str, optimizer: str, *, lr=None, steps=300, start=None, **kwargs) -> np.ndarray:
    """The (steps + 1, 2) positions an optimizer visits on a test function, from its start point.

    ``optimizer`` is an ember.optim class name, or ``Momentum`` / ``Nesterov`` (SGD with momentum
    0.9). Rows after a non-finite value are NaN (the optimizer diverged)."""
    import ember
    from ember.nn import Parameter

    from .registry import build

    if function not in SURFACES:
        raise unknown("function", function, SURFACES)
    surface = SURFACES[function]
    cls_name, extra = PSEUDO.get(optimizer, (optimizer, {}))
    lr = surface.lrs.get(optimizer, 0.01) if lr is None else lr
    p = Parameter(ember.tensor(list(start or surface.start), dtype=ember.float64))
    opt = build("optimizer", cls_name, [p], supplied=("params",), lr=lr, **{**extra, **kwargs})
    path = np.full((steps + 1, 2), np.nan)
    path[0] = p._data
    for i in range(steps):
        opt.zero_grad()
        loss = surface.fn(p[0], p[1], ember.cos)
        loss.backward()
        opt.step()
        if not np.all(np.isfinite(p._data)):
            break
        path[i + 1] = p._data
    return path


def _background(ax, surface):
    xs = np.linspace(*surface.xlim, 300)
    ys = np.linspace(*surface.ylim, 300)
    X, Y = np.meshgrid(xs, ys)
    Z = surface.fn(X, Y, np.cos)
    if surface.log_levels:
        levels = np.logspace(np.log10(max(Z.min(), 1e-3) + 1e-3), np.log10(Z.max()), 30)
        ax.contourf(X, Y, Z, levels=levels, norm=_lognorm(), cmap="viridis", alpha=0.55)
        ax.contour(X, Y, Z, levels=levels, norm=_lognorm(), colors="k", linewidths=0.3, alpha=0.4)
    else:
        ax.contourf(X, Y, Z, levels=30, cmap="viridis", alpha=0.55)
    for mx, my in surface.minima:
        ax.plot(mx, my, "*", color="gold", markersize=14, markeredgecolor="k")
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)


def _lognorm():
    from matplotlib.colors import LogNorm

    return LogNorm()


def plot_paths(function: str, paths: dict, stem, *, gif=True, frames=60) -> list[Path]:
    """``STEM.png`` with every path, and ``STEM.gif`` animating them (matplotlib PillowWriter)."""
    from .plots import _save, pyplot

    plt = pyplot()
    surface = SURFACES[function]
    stem = Path(stem)
    outputs = []

    def figure():
        fig, ax = plt.subplots(figsize=(8.0, 5.6))
        fig.subplots_adjust(left=0.08, right=0.78, bottom=0.08, top=0.92)   # room for the legend (GIF too)
        _background(ax, surface)
        ax.plot(*next(iter(paths.values()))[0], "o", color="white", markeredgecolor="k")
        ax.set_title(f"{function}: {len(next(iter(paths.values()))) - 1} steps")
        return fig, ax

    fig, ax = figure()
    for i, (name, path) in enumerate(paths.items()):
        ax.plot(path[:, 0], path[:, 1], "-", color=f"C{i}", lw=1.6, label=_label(name, path))
        last = path[np.isfinite(path[:, 0])][-1]
        ax.plot(*last, "o", color=f"C{i}", markersize=5)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    outputs.append(_save(fig, stem.with_suffix(".png")))
    if gif:
        from matplotlib.animation import FuncAnimation, PillowWriter

        fig, ax = figure()
        lines = [ax.plot([], [], "-", color=f"C{i}", lw=1.6, label=name)[0] for i, name in enumerate(paths)]
        heads = [ax.plot([], [], "o", color=f"C{i}", markersize=5)[0] for i in range(len(paths))]
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        n = len(next(iter(paths.values())))
        idx = np.unique(np.linspace(1, n, frames).astype(int))

        def update(k):
            for line, head, path in zip(lines, heads, paths.values()):
                seg = path[:k]
                seg = seg[np.isfinite(seg[:, 0])]
                line.set_data(seg[:, 0], seg[:, 1])
                head.set_data(seg[-1:, 0], seg[-1:, 1])
            return lines + heads

        anim = FuncAnimation(fig, update, frames=list(idx), blit=True)
        path = stem.with_suffix(".gif")
        tmp = path.with_name(f".{path.stem}.{os.getpid()}{TMP_SUFFIX}.gif")   # Pillow picks the format by suffix
        try:
            anim.save(tmp, writer=PillowWriter(fps=15))
            os.replace(tmp, path)
        except OSError as e:
            raise file_error(path, e) from None
        finally:
            tmp.unlink(missing_ok=True)
            plt.close(fig)
        outputs.append(path)
    return outputs


def _label(name, path) -> str:
    finite = path[np.isfinite(path[:, 0])]
    tag = " (diverged)" if len(finite) < len(path) else ""
    return f"{name}{tag}"


def plot_command(args) -> int:
    if args.function not in SURFACES:
        raise unknown("function", args.function, SURFACES)
    check_range("--steps", args.steps, 1, MAX_STEPS)
    check_range("--frames", args.frames, 2, MAX_FRAMES)
    prepare_dir(Path(args.output).parent)
    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    if not names:
        raise UsageError("--optimizers: give at least one optimizer name, e.g. SGD,Adam")
    from .registry import candidates, lookup

    valid = set(candidates("optimizer")) | set(PSEUDO)
    for n in names:
        if n not in PSEUDO:
            try:
                lookup("optimizer", n)
            except UsageError:
                raise unknown("optimizer name", n, valid) from None
    lrs = {}
    for item in args.lr:
        if "=" not in item:
            raise UsageError(f"--lr expects NAME=LR (e.g. Adam=0.05), got {item!r}")
        k, v = item.split("=", 1)
        if k not in names:
            raise UsageError(f"--lr {item}: {k!r} is not among --optimizers ({', '.join(names)})")
        try:
            lrs[k] = float(v)
        except ValueError:
            raise UsageError(f"--lr {item}: {v!r} is not a number") from None
    start = None
    if args.start:
        try:
            start = tuple(float(v) for v in args.start.split(","))
            assert len(start) == 2
        except (ValueError, AssertionError):
            raise UsageError(f"--start expects x,y (e.g. -1.5,2), got {args.start!r}") from None
    paths = {}
    for n in names:
        paths[n] = optimizer_path(args.function, n, lr=lrs.get(n), steps=args.steps, start=start)
    outs = plot_paths(args.function, paths, args.output, gif=not args.no_gif, frames=args.frames)
    surface = SURFACES[args.function]
    final = {}
    for n, p in paths.items():
        finite = p[np.isfinite(p[:, 0])]
        x, y = finite[-1]
        final[n] = {"x": float(x), "y": float(y), "f": float(surface.fn(x, y, np.cos)),
                    "lr": lrs.get(n, surface.lrs.get(n, 0.01)), "diverged": len(finite) < len(p)}
    if args.json:
        print(json.dumps({"function": args.function, "final": final, "files": [str(o) for o in outs]}))
    elif not args.quiet:
        for n, f in final.items():
            print(f"{n:>10}: lr {f['lr']:g} -> ({f['x']:.4f}, {f['y']:.4f}), f = {f['f']:.4g}"
                  + (" (diverged)" if f["diverged"] else ""))
        print("wrote " + ", ".join(str(o) for o in outs))
    return 0
