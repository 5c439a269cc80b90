"""``ember``: train, compare, plot and find-lr from a config (``python -m ember`` too).

Exit status: 0 success; 2 for anything caused by the config, the data, the file system or the
environment (one ``ember: error: ...`` line naming the key or file and what is allowed, never a
traceback); 1 for an internal error (a bug in ember: one line, ``--debug`` shows the traceback);
130 interrupted by Ctrl-C (a checkpoint was saved; continue with ``ember train --resume RUN_DIR``).
"""
from __future__ import annotations

import argparse
import contextlib
import sys

from .errors import UsageError, error_line

EPILOG = """examples:
  ember train                                   default recipe on the bundled digits
  ember train my.toml --set optimizer.lr=1e-3   a config file plus overrides
  ember train --resume runs/20260101-120000-mlp-AdamW
  ember compare my.toml --vary optimizer.name=SGD,Adam,RMSprop,Adagrad
  ember plot lr --scheduler StepLR --set step_size=30 --set gamma=0.1 --epochs 100
  ember plot optimizers --function rosenbrock --optimizers SGD,Adam,RMSprop
  ember find-lr
  ember export runs/20260101-120000-mlp-AdamW --to model.safetensors
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ember", description="Train, compare and plot ember models from a TOML config.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show the traceback of an error (also after the command)")
    sub = p.add_subparsers(dest="command", metavar="{train,compare,plot,find-lr,export}", parser_class=_Parser)

    def common(q, *, config=True):
        if config:
            q.add_argument("config", nargs="?", help="TOML config file (default: the built-in recipe)")
        q.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config value, e.g. optimizer.lr=0.01 (repeatable)")
        q.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
        q.add_argument("--json", action="store_true", help="print one JSON object with the results")

    t = sub.add_parser("train", help="train a model (no config: the default recipe on the bundled digits)")
    common(t)
    t.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run exactly")
    t.add_argument("--tensorboard", action="store_true", help="also write TensorBoard event files (tensorboardX)")
    t.add_argument("--print-config", action="store_true",
                   help="print the merged config as TOML (a starting point for your own) and exit")

    c = sub.add_parser("compare", help="train every variant of a grid and rank them")
    common(c)
    c.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="a key and its values; several --vary make a grid")

    pl = sub.add_parser("plot", help="plot a learning-rate schedule or optimizer paths (no training)")
    psub = pl.add_subparsers(dest="what", metavar="{lr,optimizers}", parser_class=_Parser)
    lr = psub.add_parser("lr", help="the lr curve of a scheduler, a chain, or a config's schedule")
    lr.add_argument("--scheduler", help="scheduler class name, or several joined by '+' (run in sequence)")
    lr.add_argument("--config", help="take the schedule from a config file (with its [train] epochs and [swa])")
    lr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="scheduler keyword (with --scheduler) or config key (with --config)")
    lr.add_argument("--epochs", type=int, default=None, help="number of scheduler steps to plot (default 100)")
    lr.add_argument("--lr", type=float, default=0.1, help="the optimizer's lr (with --scheduler; default 0.1)")
    lr.add_argument("--output", "-o", default="lr.png", help="PNG path (default lr.png)")
    lr.add_argument("--quiet", "-q", action="store_true")
    lr.add_argument("--json", action="store_true")
    op = psub.add_parser("optimizers", help="optimizer paths on a 2-D test function (GIF + PNG)")
    op.add_argument("--function", default="rosenbrock", help="rosenbrock | beale | himmelblau | rastrigin")
    op.add_argument("--optimizers", default="SGD,Momentum,RMSprop,Adagrad,Adam",
                    help="comma-separated optimizer names (Momentum = SGD with momentum 0.9)")
    op.add_argument("--steps", type=int, default=500, help="steps per optimizer (default 500)")
    op.add_argument("--lr", action="append", default=[], metavar="NAME=LR",
                    help="lr for one optimizer, e.g. --lr Adam=0.05 (repeatable)")
    op.add_argument("--start", default=None, help="start point x,y (default: per function)")
    op.add_argument("--output", "-o", default="optimizers", help="path stem: writes STEM.gif and STEM.png")
    op.add_argument("--no-gif", action="store_true", help="write the PNG only")
    op.add_argument("--frames", type=int, default=60, help="frames of the GIF (default 60)")
    op.add_argument("--quiet", "-q", action="store_true")
    op.add_argument("--json", action="store_true")

    f = sub.add_parser("find-lr", help="learning-rate range test (Smith, 2017)")
    common(f)
    f.add_argument("--start-lr", type=float, default=1e-6)
    f.add_argument("--end-lr", type=float, default=10.0)
    f.add_argument("--steps", type=int, default=200)
    f.add_argument("--output", "-o", default=None, help="PNG path (default: find_lr.png in output.dir)")

    e = sub.add_parser("export", help="write a run's trained weights alone (safetensors or torch .pt)")
    e.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by ember train")
    e.add_argument("--to", required=True, metavar="PATH",
                   help="output file: .safetensors, or .pt/.pth/.bin (torch.load(weights_only=True) opens it)")
    e.add_argument("--checkpoint", default="best", choices=("best", "last"),
                   help="which checkpoint's weights (default best)")
    e.add_argument("--swa", action="store_true", help="export the SWA-averaged weights instead")
    e.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    e.add_argument("--json", action="store_true", help="print one JSON object with what was written")
    return p


def main(argv=None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    from .parallel import end_job_on_error

    with limit_threads():
        try:
            return end_job_on_error(_main(argv))
        except UsageError as e:
            if debug:
                raise
            print(f"ember: error: {e}", file=sys.stderr)
            return end_job_on_error(2)
        except BrokenPipeError:
            return end_job_on_error(1)
        except Exception as e:
            if debug:
                raise
            code, line = error_line(e)
            print(line, file=sys.stderr)
            return end_job_on_error(code)


def _main(argv) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command is None:
            _parser().print_help()
            return 2
        if args.command == "train":
            return _train(args)
        if args.command == "compare":
            from .compare import compare_command

            return compare_command(args)
        if args.command == "plot":
            if args.what == "lr":
                return _plot_lr(args)
            if args.what == "optimizers":
                from .optim_paths import plot_command

                return plot_command(args)
            raise UsageError("ember plot: say what to plot: lr or optimizers")
        if args.command == "find-lr":
            from .find_lr import find_lr_command

            return find_lr_command(args)
        if args.command == "export":
            from .export import export_command

            return export_command(args)
        raise UsageError(f"unknown command {args.command!r}")
    except KeyboardInterrupt:
        print("ember: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # an Interrupted run inside compare
        if type(e).__name__ == "Interrupted":
            print(f"ember: interrupted; the current run's checkpoint is in {getattr(e, 'run_dir', '?')}",
                  file=sys.stderr)
            return 130
        raise
    except SystemExit as e:          # --help
        return e.code if isinstance(e.code, int) else 0


@contextlib.contextmanager
def limit_threads(n=None):
    """Run the command with ``EMBER_NUM_THREADS`` (default 1) BLAS and ember/numba threads.

    The app trains small models: a multi-threaded BLAS spends more time waking threads than
    multiplying 64×128 matrices, and on a busy machine it can be 100× slower (measured:
    48 µs vs 4.9 ms per 64×64×128 matmul on 2 loaded cores). ``ember._threads.blas_threads`` sets BLAS's count
    (with threadpoolctl, or NumPy's bundled OpenBLAS directly on a core install).
    The previous settings are restored afterwards (``main`` may run inside a larger program)."""
    import os

    import ember
    from ember._threads import blas_threads

    n = int(n or os.environ.get("EMBER_NUM_THREADS", "1") or 1)
    blas = blas_threads(n)
    before = ember.get_num_threads() if hasattr(ember, "get_num_threads") else None
    try:
        if before is not None:
            ember.set_num_threads(n)      # ember's own kernels and numba's pool
        with blas:
            yield
    finally:
        if before is not None:
            ember.set_num_threads(before)


def _reporter(args):
    from .parallel import is_main
    from .report import make_reporter

    quiet = args.quiet or not is_main()  # under mpiexec, rank 0 prints
    return make_reporter(quiet=quiet, json_out=args.json and is_main())


def _train(args) -> int:
    from . import config as C
    from . import train as T

    reporter = _reporter(args)
    try:
        if args.resume:
            if args.config or args.set:
                raise UsageError("--resume continues a run with its saved config; leave out CONFIG and --set")
            trainer, summary = T.resume(args.resume, reporter, tensorboard=args.tensorboard)
        else:
            cfg = C.load(args.config, args.set)
            if args.print_config:
                print(C.to_toml(cfg), end="")
                return 0
            trainer, summary = T.start(cfg, reporter, tensorboard=args.tensorboard)
    except T.Interrupted as e:
        print(f"ember: interrupted; checkpoint saved to {e.run_dir / 'last.ckpt'}. "
              f"Continue with: ember train --resume {e.run_dir}", file=sys.stderr)
        return 130
    except T.NonFiniteLoss as e:
        if e.good_epoch is None:
            note = "No epoch had finished, so there is no checkpoint."
        else:
            note = f"The last good checkpoint (end of epoch {e.good_epoch}) is kept: {e.run_dir / 'last.ckpt'}."
        raise UsageError(f"{e}; the run stopped. {note}") from None
    reporter.final(summary)
    return 0


def _plot_lr(args) -> int:
    from .schedule_preview import plot_lr_command

    return plot_lr_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
