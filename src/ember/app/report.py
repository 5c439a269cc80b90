"""What the user sees while a run goes: a progress bar per epoch (rich, when installed and the
output is a terminal), one line per epoch, a final table; ``--quiet`` and ``--json`` silence it."""
from __future__ import annotations

import json
import math
import sys


def _fmt(v) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3e}"
        return f"{v:.4f}"
    return str(v)


def epoch_line(row: dict, epochs: int) -> str:
    parts = [f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}"]
    for k, v in row.items():
        if k in ("epoch",):
            continue
        parts.append(f"{k} {_fmt(v)}" if k != "time_s" else f"{v:.1f}s")
    return "  ".join(parts)


def summary_rows(summary: dict) -> list[tuple[str, str]]:
    rows = []
    weights = summary.get("final_weights", "model")
    names = {"test": f"test ({weights} weights)" if weights != "model" else "test",
             "test_last": "test (last-epoch weights)", "val": f"val ({weights} weights)" if weights != "model" else "val"}
    for split in ("test", "test_last", "val"):
        for k, v in (summary.get(split) or {}).items():
            if isinstance(v, (int, float)):
                rows.append((f"{names[split]} {k}", _fmt(float(v))))
    if summary.get("best_epoch") is not None:
        rows.append((f"best {summary['monitor']}", f"{_fmt(summary['best_value'])} (epoch {summary['best_epoch']})"))
    rows.append(("epochs run", str(summary.get("epochs_run"))))
    rows.append(("wall time", f"{summary.get('wall_time_s', 0):.1f} s"))
    rows.append(("run directory", str(summary.get("run_dir"))))
    return rows


class Reporter:
    """Plain-text reporter (also the base: ``quiet`` prints nothing, ``json`` only the summary)."""

    def __init__(self, *, quiet=False, json_out=False, stream=None):
        self.quiet, self.json_out = quiet, json_out
        self.stream = stream or sys.stdout

    @property
    def silent(self) -> bool:
        return self.quiet or self.json_out

    def print(self, text: str = "") -> None:
        if not self.silent:
            print(text, file=self.stream, flush=True)

    def start(self, text: str) -> None:
        self.print(text)

    def epoch_start(self, epoch: int, epochs: int, n_batches: int, start: int = 0) -> None:
        pass

    def batch(self, done: int, loss: float) -> None:
        pass

    def epoch_end(self, row: dict, epochs: int) -> None:
        self.print(epoch_line(row, epochs))

    def table(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        if self.silent:
            return
        widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
        self.print(title)
        self.print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
        self.print("  ".join("-" * w for w in widths))
        for r in rows:
            self.print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))

    def final(self, summary: dict) -> None:
        if self.json_out:
            print(json.dumps(summary, default=_json_default), file=self.stream, flush=True)
            return
        self.table("results", ["", "value"], [list(r) for r in summary_rows(summary)])

    def close(self) -> None:
        pass


def _json_default(o):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.integer, np.floating)):
        return o.item()
    return str(o)


class RichReporter(Reporter):
    """A live rich progress bar per epoch and rich tables."""

    def __init__(self, *, stream=None):
        super().__init__(stream=stream)
        from rich.console import Console

        self.console = Console(file=self.stream)
        self.progress = None

    def print(self, text: str = "") -> None:
        self.console.print(text, highlight=False, markup=False)

    def epoch_start(self, epoch, epochs, n_batches, start=0):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn(f"epoch {epoch}/{epochs}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(),
                                 console=self.console, transient=True)
        self.task = self.progress.add_task("train", total=n_batches, completed=start, loss="-")
        self.progress.start()

    def batch(self, done, loss):
        if self.progress is not None:
            self.progress.update(self.task, completed=done, loss=_fmt(loss))

    def epoch_end(self, row, epochs):
        self.close()
        super().epoch_end(row, epochs)

    def table(self, title, header, rows):
        from rich.table import Table

        t = Table(title=title)
        for h in header:
            t.add_column(h)
        for r in rows:
            t.add_row(*[str(c) for c in r])
        self.console.print(t)

    def close(self):
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def make_reporter(*, quiet=False, json_out=False, stream=None) -> Reporter:
    """Rich when it is installed and the output is a terminal; plain lines otherwise."""
    stream = stream or sys.stdout
    if not (quiet or json_out) and getattr(stream, "isatty", lambda: False)():
        try:
            import rich  # noqa: F401
        except ImportError:
            return Reporter(stream=stream)
        return RichReporter(stream=stream)
    return Reporter(quiet=quiet, json_out=json_out, stream=stream)
