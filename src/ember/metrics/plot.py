"""`Metric.plot`: a scalar as a point, a per-class vector as bars, a sequence of values as a line over steps
(matplotlib, an optional dependency: ``pip install 'ember[app]'``)."""
from __future__ import annotations

import numpy as np

from .utilities import to_numpy


def plot_metric(metric, val=None, ax=None):
    """Draw ``val`` (default: ``metric.compute()``) on ``ax`` (default: a new figure); returns (figure, axes)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ModuleNotFoundError("plot() needs matplotlib: pip install 'ember[app]'") from err
    val = metric.compute() if val is None else val
    fig, ax = plt.subplots() if ax is None else (ax.get_figure(), ax)
    if isinstance(val, (list, tuple)):
        ys = np.stack([np.asarray(to_numpy(v), dtype=float) for v in val])
        ax.plot(np.arange(len(ys)), ys.reshape(len(ys), -1), marker="o")
        ax.set_xlabel("Step")
    else:
        arr = np.asarray(to_numpy(val), dtype=float)
        if arr.ndim == 0:
            ax.plot([0], [arr], marker="o")
        else:
            ax.bar(np.arange(arr.size), arr.ravel())
            ax.set_xlabel("Class")
    if metric.plot_lower_bound is not None and metric.plot_upper_bound is not None:
        ax.set_ylim(metric.plot_lower_bound, metric.plot_upper_bound)
    ax.set_title(type(metric).__name__)
    return fig, ax
