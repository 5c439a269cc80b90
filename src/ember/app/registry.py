"""Name → class lookup over ember's components, with closest-match errors.

Kinds and where their names come from:

=============  ==============================================================================
``loss``       ``ember.nn`` modules whose name ends in ``Loss``
``activation`` ``ember.nn`` activation modules (``ReLU``, ``GELU``, ...)
``optimizer``  ``ember.optim`` optimizers (not ``LBFGS``, which needs a closure per step)
``scheduler``  ``ember.optim.lr_scheduler`` schedulers
``metric``     ``ember.metrics`` metric classes
``model``      the app's model builders (``mlp``, ``cnn``)
=============  ==============================================================================

``build(kind, name, *args, **kwargs)`` checks the keywords against the class's signature
first, so a wrong keyword names itself and shows the signature instead of a traceback.
"""
from __future__ import annotations

import inspect

from .errors import UsageError, closest, unknown

_EXCLUDED = {"optimizer": {"Optimizer", "LBFGS", "Lookahead"}, "scheduler": {"LRScheduler", "_LRScheduler"},
             "metric": {"Metric", "MetricCollection"}}


def _classes(module, base, *, predicate=lambda name, obj: True):
    out = {}
    for name in dir(module):
        obj = getattr(module, name, None)
        if inspect.isclass(obj) and issubclass(obj, base) and not name.startswith("_") and predicate(name, obj):
            out[name] = obj
    return out


def candidates(kind: str) -> dict:
    """Every name valid for ``kind``, mapped to its class (or builder function)."""
    if kind == "loss":
        import ember.nn as nn

        return _classes(nn, nn.Module, predicate=lambda n, o: n.endswith("Loss"))
    if kind == "activation":
        import ember.nn as nn
        from ember.nn.modules import activation

        names = set(getattr(activation, "__all__", ())) or {
            n for n, o in vars(activation).items() if inspect.isclass(o) and o.__module__ == activation.__name__}
        return {n: getattr(nn, n) for n in sorted(names) if hasattr(nn, n) and n not in ("Softmax", "LogSoftmax",
                                                                                       "Softmin", "MultiheadAttention")}
    if kind == "optimizer":
        import ember.optim as optim

        found = _classes(optim, optim.Optimizer)
    elif kind == "scheduler":
        from ember.optim import lr_scheduler

        base = lr_scheduler.LRScheduler
        found = _classes(lr_scheduler, base)
        if hasattr(lr_scheduler, "ReduceLROnPlateau"):
            found["ReduceLROnPlateau"] = lr_scheduler.ReduceLROnPlateau
        try:
            from ember.optim.swa_utils import SWALR

            found["SWALR"] = SWALR
        except ImportError:
            pass
    elif kind == "metric":
        try:
            import ember.metrics as metrics
        except ImportError as e:
            raise UsageError(f"ember.metrics is not available in this installation ({e})") from None
        base = getattr(metrics, "Metric", None)
        if base is None:
            return {}
        found = _classes(metrics, base)
    elif kind == "model":
        from .models import MODELS

        return dict(MODELS)
    else:
        raise ValueError(f"unknown registry kind {kind!r}")
    return {n: c for n, c in found.items() if n not in _EXCLUDED.get(kind, ())}


def lookup(kind: str, name: str):
    """The class called ``name`` (exact, else a unique case-insensitive match)."""
    table = candidates(kind)
    if name in table:
        return table[name]
    folded = [n for n in table if n.lower() == str(name).lower()]
    if len(folded) == 1:
        return table[folded[0]]
    raise unknown(f"{kind} name", name, table)


def signature_text(obj) -> str:
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return f"{obj.__name__}(...)"
    params = [p for p in sig.parameters.values() if p.name != "self"]
    return f"{obj.__name__}({', '.join(str(p) for p in params)})"


def _parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        return [p for p in inspect.signature(target).parameters.values() if p.name != "self"]
    except (TypeError, ValueError):
        return None


def accepted_keywords(kind: str, name: str) -> set | None:
    """Keywords the component takes (None when it takes ``**kwargs`` or is unknown)."""
    try:
        obj = lookup(kind, name)
    except UsageError:
        return None
    params = _parameters(obj)
    if params is None or any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def check_keywords(obj, kwargs: dict, *, supplied=(), what: str = "") -> None:
    """Raise UsageError for a keyword ``obj`` does not take, naming it and showing the signature."""
    params = _parameters(obj)
    if params is None:
        return
    open_ended = any(p.kind is p.VAR_KEYWORD for p in params)
    names = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    for key in kwargs:
        if key not in names:
            guess = closest(key, sorted(names - set(supplied)))
            if open_ended and not guess:
                continue      # **kwargs: the class itself decides (and its error is reported)
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise UsageError(f"{what or obj.__name__} does not take the keyword {key!r}{hint}. "
                             f"Signature: {signature_text(obj)}")


def build(kind: str, name: str, *args, supplied=(), **kwargs):
    """Look up ``name`` and call it with ``args`` and ``kwargs``; errors become UsageError.

    ``supplied`` names the arguments the app passes itself (the parameters, num_classes), which
    are never suggested as corrections."""
    obj = lookup(kind, name)
    check_keywords(obj, kwargs, supplied=supplied, what=f"{kind} {obj.__name__}")
    try:
        return obj(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise UsageError(f"{kind} {obj.__name__}: {e}. Signature: {signature_text(obj)}") from None


def signature_defaults(kind: str, name: str) -> dict:
    """The keyword defaults of a component that a TOML file can hold (numbers, strings, lists)."""
    params = _parameters(lookup(kind, name)) or []
    out = {}
    for p in params:
        d = p.default
        if p.default is p.empty or d is None:
            continue
        if isinstance(d, tuple):
            d = list(d)
        if isinstance(d, (bool, int, float, str)) or (isinstance(d, list) and all(
                isinstance(x, (bool, int, float, str)) for x in d)):
            out[p.name] = d
    return out
