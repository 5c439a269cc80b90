"""Import time: ``import ember`` against ``import torch`` (and numpy alone, the floor), each in a fresh interpreter.

Each sample is one ``python -c "import X"`` run, wall time, bytecode cached (a first run writes it; an install
keeps it, so a user's second import is the one that counts). With PYTHONDONTWRITEBYTECODE set every import
compiles ember's 200-odd modules and takes several times longer: this script gives the interpreter a private
cache directory (PYTHONPYCACHEPREFIX) so that the figure does not depend on that setting. scipy being installed
or not must not matter (ember imports it lazily, if at all): the script says whether it is.

    python benchmarks/bench_import.py [--repeat 15]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile



_TIMED = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"


def import_seconds(module: str, env: dict, repeat: int) -> float:
    """Median time of the statement ``import module`` in a fresh interpreter (its own start not counted)."""
    cmd = [sys.executable, "-c", _TIMED.format(module)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # (writes the bytecode cache)
    return statistics.median(float(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
                             for _ in range(repeat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        times = {mod: import_seconds(mod, env, args.repeat) for mod in ("numpy", "ember", "torch")}
    print(f"python {sys.version.split()[0]}; scipy installed: {importlib.util.find_spec('scipy') is not None}; "
          f"the import statement's time, medians of {args.repeat} fresh interpreters, bytecode cached")
    for mod, t in times.items():
        print(f"import {mod:8s} {t * 1e3:7.1f} ms")
    print(f"ember/torch {times['ember'] / times['torch']:.2f}; ember above numpy (the floor): "
          f"{(times['ember'] - times['numpy']) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
