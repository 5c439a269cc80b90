"""``ember export RUN_DIR --to model.safetensors|model.pt``: a run's trained weights alone.

The run's checkpoints (``best.ckpt``, ``last.ckpt``) hold the whole training state in torch's
format; ``export`` writes only the model's ``state_dict`` (or the SWA-averaged one), as
safetensors or as a torch file that ``torch.load(path, weights_only=True)`` opens.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

_FORMATS = {".safetensors": "safetensors", ".pt": "torch", ".pth": "torch", ".bin": "torch"}


def export(run_dir, to, checkpoint: str = "best", swa: bool = False) -> dict:
    """Write the weights of ``run_dir``'s ``checkpoint`` (best or last) to ``to``; return a summary."""
    import ember

    run_dir, to = Path(run_dir), Path(to)
    fmt = _FORMATS.get(to.suffix.lower())
    if fmt is None:
        raise UsageError(f"--to {str(to)!r}: the file name must end in .safetensors, .pt, .pth or .bin")
    if not run_dir.is_dir():
        raise UsageError(f"run directory {str(run_dir)!r} does not exist")
    if checkpoint not in ("best", "last"):
        raise UsageError(f"--checkpoint must be best or last, got {checkpoint!r}")
    ckpt = run_dir / f"{checkpoint}.ckpt"
    if not ckpt.is_file():
        raise UsageError(f"{str(ckpt)!r} is missing; is {str(run_dir)!r} a run directory?")
    try:
        state = ember.load(ckpt)
    except (RuntimeError, OSError) as e:
        raise UsageError(f"{ckpt}: cannot read the checkpoint ({e})") from None
    key = "swa_model" if swa else "model"
    weights = state.get(key) if isinstance(state, dict) else None
    if weights is None:
        raise UsageError(f"{ckpt} holds no {'SWA model (the run did not average)' if swa else 'model'}")
    if swa:     # AveragedModel's state: module.<name> plus n_averaged
        weights = {k[len("module."):]: v for k, v in weights.items() if k.startswith("module.")}
    try:
        ember.save(dict(weights), to, format=fmt)
    except OSError as e:
        raise UsageError(f"--to {str(to)!r}: cannot write ({e.strerror or e})") from None
    return {"path": str(to), "format": fmt, "tensors": len(weights), "bytes": os.path.getsize(to),
            "checkpoint": str(ckpt)}


def export_command(args) -> int:
    summary = export(args.run_dir, args.to, args.checkpoint, args.swa)
    if args.json:
        import json

        print(json.dumps(summary))
    elif not args.quiet:
        print(f"ember export: wrote {summary['tensors']} tensors ({summary['bytes']:,} bytes, {summary['format']}) "
              f"from {summary['checkpoint']} to {summary['path']}")
    return 0
