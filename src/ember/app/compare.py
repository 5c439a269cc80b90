"""``ember compare CONFIG --vary key=v1,v2 [--vary ...]``: a grid of runs, ranked.

Every combination of the ``--vary`` values is applied to the config like ``--set`` and trained
(quietly) into ``<output.dir>/compare-<time>/<variant>/`` (metrics, checkpoints, no per-run PNGs). The command prints a table ranked by
the test value of the monitored metric (validation when there is no test split), with the best
validation value, its epoch and the wall time, and writes ``compare.csv``, ``compare.json`` and
overlaid curves (``compare_<metric>.png``) for the validation loss and the monitored metric.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
import time
from datetime import datetime
from pathlib import Path

from . import config as C
from ._atomic import prepare_dir, write_text
from .errors import UsageError


def split_values(text: str) -> list[str]:
    """Split ``v1,v2,...`` on commas outside brackets, braces and quotes (``[64,32],[128]``)."""
    out, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return [v for v in out if v]


def parse_vary(item: str) -> tuple[str, list[str]]:
    if "=" not in item:
        raise UsageError(f"--vary expects key=v1,v2,... (e.g. optimizer.name=SGD,Adam), got {item!r}")
    key, values = item.split("=", 1)
    vals = split_values(values)
    if not key.strip() or not vals:
        raise UsageError(f"--vary {item!r}: needs a key and at least one value")
    return key.strip(), vals


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")[:80] or "variant"


def variants(base: dict, varies: list[str]) -> list[tuple[str, dict]]:
    """(label, config) for each point of the grid, validated before anything trains."""
    axes = [parse_vary(v) for v in varies]
    if not axes:
        raise UsageError("ember compare: give at least one --vary key=v1,v2,...")
    out = []
    for combo in itertools.product(*[[(k, v) for v in vals] for k, vals in axes]):
        sets = [f"{k}={v}" for k, v in combo]
        cfg = C.apply_sets(base, sets)
        C.validate(cfg)
        label = " ".join(f"{k.split('.')[0] if k.endswith('.name') else k.split('.')[-1]}={v}" for k, v in combo)
        out.append((label, cfg))
    return out


def compare_command(args) -> int:
    from .plots import MissingDependency, overlay
    from .report import Reporter, make_reporter
    from .train import NonFiniteLoss, Run, Trainer, new_run_dir, write_config

    base = C.load(args.config, args.set)
    grid = variants(base, args.vary)
    reporter = make_reporter(quiet=args.quiet, json_out=args.json)
    root = Path(base["output"]["dir"]) / f"compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    k = 1
    while root.exists():
        root = root.with_name(root.name.split("~")[0] + f"~{k}")
        k += 1
    configs = []
    for i, (label, cfg) in enumerate(grid, 1):
        cfg = json.loads(json.dumps(cfg))
        # each variant keeps its metrics and checkpoints; the plots are the overlaid ones below
        cfg["output"] = dict(cfg["output"], dir=str(root), name=f"{i:02d}-{_slug(label)}", plots=False)
        try:
            Run(cfg)            # every variant's dry build passes before the first one trains
        except UsageError as e:
            raise UsageError(f"variant {label}: {e}") from None
        configs.append((label, cfg))
    prepare_dir(root)
    reporter.print(f"ember compare: {len(grid)} runs into {root}")
    results = []
    for i, (label, cfg) in enumerate(configs, 1):
        t0 = time.perf_counter()
        run = Run(cfg)
        run_dir = new_run_dir(cfg)
        write_config(run, run_dir)
        trainer = Trainer(run, run_dir, Reporter(quiet=True))
        status = "ok"
        try:
            summary = trainer.train()
        except NonFiniteLoss as e:
            summary, status = {}, f"diverged: {e}"
        wall = time.perf_counter() - t0
        monitor = run.monitor
        metric = monitor.split("_", 1)[1] if monitor.startswith(("val_", "train_")) else monitor
        res = {"label": label, "run_dir": str(run_dir), "status": status, "history": trainer.history,
               "monitor": monitor, "mode": run.mode, "best_value": trainer.best_value,
               "best_epoch": trainer.best_epoch, "wall_time_s": wall,
               "final": (summary.get("test") or summary.get("val") or {}),
               "final_split": "test" if summary.get("test") else "val", "metric": metric}
        results.append(res)
        score = res["final"].get(metric)
        reporter.print(f"[{i}/{len(grid)}] {label}: {status}"
                       + (f", {res['final_split']} {metric} {score:.4f}" if isinstance(score, float) else "")
                       + f", {wall:.1f}s")

    def key(r):
        v = r["final"].get(r["metric"])
        if v is None:
            return (1, 0.0)
        return (0, -v if r["mode"] == "max" else v)

    ranked = sorted(results, key=key)
    metric_names = []
    for r in ranked:
        metric_names += [m for m in r["final"] if m not in metric_names]
    header = ["rank", "variant"] + [f"{r0['final_split']} {m}" for r0 in ranked[:1] for m in metric_names] + \
             [f"best {ranked[0]['monitor']}", "best epoch", "wall s", "status"]
    rows = []
    for i, r in enumerate(ranked, 1):
        rows.append([i, r["label"]] + [f"{r['final'][m]:.4f}" if m in r["final"] else "-" for m in metric_names]
                    + [f"{r['best_value']:.4f}" if isinstance(r["best_value"], float) else "-",
                       r["best_epoch"] or "-", f"{r['wall_time_s']:.1f}", r["status"].split(":")[0]])
    text = io.StringIO(newline="")
    w = csv.writer(text)
    w.writerow(header)
    w.writerows(rows)
    write_text(root / "compare.csv", text.getvalue())
    write_text(root / "compare.json", json.dumps([{k: v for k, v in r.items()} for r in ranked], indent=1,
                                                 default=str))
    plots = []
    if base["output"]["plots"]:
        try:
            for key_name in dict.fromkeys(["val_loss", ranked[0]["monitor"], "train_loss"]):
                if any(key_name in row for r in results for row in r["history"]):
                    plots.append(str(overlay(results, key_name, root / f"compare_{key_name}.png",
                                             title=f"{key_name} per epoch")))
        except MissingDependency as e:
            reporter.print(f"note: no plots written: {e}")
    if args.json:
        print(json.dumps({"dir": str(root), "ranked": [{k: v for k, v in r.items() if k != "history"}
                                                       for r in ranked], "plots": plots}, default=str))
    else:
        reporter.table(f"ranked by {ranked[0]['final_split']} {ranked[0]['metric']}", header,
                       [[str(c) for c in r] for r in rows])
        reporter.print(f"results: {root / 'compare.csv'}" + (f"; curves: {', '.join(plots)}" if plots else ""))
    return 0
