"""PNG plots of runs (matplotlib, Agg backend, imported only when a plot is drawn)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import UsageError


class MissingDependency(UsageError):
    """An optional package the app needs for this is not installed."""


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend, or a clear install hint."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependency("plots need matplotlib: pip install 'ember[app]' (or pip install matplotlib)") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    """Write ``fig`` as a PNG, atomically (a failed write keeps the old file, names the path)."""
    from ._atomic import prepare_dir, write_atomic

    path = Path(path)
    try:
        prepare_dir(path.parent)
        write_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=110, bbox_inches="tight"))
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path


def curves(history: list[dict], path, title="training curves") -> Path:
    """Loss (train and validation) and the scalar metrics per epoch, one panel each."""
    plt = pyplot()
    epochs = [r["epoch"] for r in history]
    metric_keys = []
    for r in history:
        metric_keys += [k for k in r if k not in metric_keys and k not in ("epoch", "lr", "time_s")
                        and not k.endswith("loss")]
    names = sorted({k.split("_", 1)[1] for k in metric_keys if "_" in k})
    panels = ["loss"] + names
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, name in zip(axes[0], panels):
        for split, style in (("train", "-"), ("val", "--")):
            key = f"{split}_{name}"
            ys = [r.get(key, np.nan) for r in history]
            if not all(np.isnan(ys)):
                ax.plot(epochs, ys, style, marker=".", label=split)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        if name == "loss":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title, y=1.03)
    return _save(fig, path)


def lr_curve(lrs, path, *, title="learning rate", xlabel="step", labels=None, log=False, marks=None) -> Path:
    """One line per param group (``lrs``: list of sequences)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    keep = [i for i, row in enumerate(lrs) if not any(list(row) == list(lrs[j]) for j in range(i))]
    lrs = [lrs[i] for i in keep]                      # groups with identical lrs: one line
    labels = [labels[i] for i in keep] if labels else None
    for i, row in enumerate(lrs):
        ax.plot(np.arange(len(row)), row, drawstyle="steps-post",
                label=(labels[i] if labels else f"group {keep[i]}") if len(lrs) > 1 else None)
    for x, text in (marks or []):
        ax.axvline(x, color="grey", ls=":", lw=1)
        ax.text(x, ax.get_ylim()[1], text, rotation=90, va="top", ha="right", fontsize=8, color="grey")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("lr")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(lrs) > 1:
        ax.legend()
    return _save(fig, path)


def confusion_matrix(cm, path, title="confusion matrix (test)") -> Path:
    plt = pyplot()
    cm = np.asarray(cm)
    k = cm.shape[0]
    fig, ax = plt.subplots(figsize=(0.45 * k + 2.6, 0.45 * k + 2.2))
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    if k <= 20:
        top = cm.max() if cm.size else 0
        for i in range(k):
            for j in range(k):
                v = cm[i, j]
                txt = f"{v:.2f}" if cm.dtype.kind == "f" and not float(v).is_integer() else f"{int(v)}"
                ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                        color="white" if v > top / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, path)


def run_plots(run_dir, history, step_lrs, arrays, steps_per_epoch) -> list[Path]:
    """The plots of one run: curves.png, lr.png, confusion_matrix.png (when the metric is on)."""
    run_dir = Path(run_dir)
    out = [curves(history, run_dir / "curves.png", title=f"{run_dir.name}: loss and metrics")]
    if step_lrs:
        out.append(lr_curve([step_lrs], run_dir / "lr.png", title=f"{run_dir.name}: lr per optimizer step",
                            xlabel=f"optimizer step ({steps_per_epoch} per epoch)"))
    for key, value in arrays.items():
        a = np.asarray(value)
        if a.ndim == 2 and a.shape[0] == a.shape[1] and key.startswith("test_"):
            out.append(confusion_matrix(a, run_dir / "confusion_matrix.png",
                                        title=f"{key[5:].replace('_', ' ')} (test set, final weights)"))
    return out


def overlay(results: list[dict], key: str, path, title) -> Path:
    """Overlaid per-epoch curves of ``key`` for several runs (``results``: label + history)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for res in results:
        ys = [r.get(key, np.nan) for r in res["history"]]
        ax.plot([r["epoch"] for r in res["history"]], ys, marker=".", label=res["label"])
    ax.set_xlabel("epoch")
    ax.set_ylabel(key)
    if key.endswith("loss"):
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)
