"""Name → class lookup over ember's components, with closest-match errors.

Kinds and where their names come from:

=============  ==============================================================================
``loss``       ``ember.nn`` modules whose name ends in ``Loss``
``activation`` ``ember.nn`` activation modules (``ReLU``, ``GELU``, ...)
``optimizer``  ``ember.optim`` optimizers (not ``LBFGS``: see ``NOT_OFFERED``)
``scheduler``  ``ember.optim.lr_scheduler`` schedulers
``metric``     ``ember.metrics`` metric classes
``model``      the app's model builders (``mlp``, ``cnn``)
=============  ==============================================================================

``build(kind, name, *args, **kwargs)`` checks the keywords against the class's signature
and their values against the types of the signature's defaults first, so a wrong keyword or a
value of the wrong type names itself (``optimizer.lr must be a number``) instead of a traceback.
"""
from __future__ import annotations

import inspect

from .errors import UsageError, closest, unknown

# classes that exist in ember but that the command cannot run, with the reason it says
NOT_OFFERED = {"optimizer": {"LBFGS": "LBFGS needs a closure that re-evaluates the model several times per step, "
                                      "which `ember train` does not run; use it from Python with "
                                      "optimizer.step(closure), or pick another optimizer"}}
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

        base: type | None = lr_scheduler.LRScheduler
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
    for other, reason in NOT_OFFERED.get(kind, {}).items():
        if other.lower() == str(name).lower():
            raise UsageError(f"{kind} {other} is not offered by the command: {reason}")
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


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _expected(default, *, fixed_length: bool):
    """(test, description) of the values a keyword with this default takes, or None (no rule)."""
    if isinstance(default, bool):
        return (lambda v: isinstance(v, bool)), "a boolean (true or false)"
    if _is_number(default):
        return _is_number, "a number"
    if isinstance(default, str):
        return (lambda v: isinstance(v, str)), "a string"
    if isinstance(default, (tuple, list)) and default and all(_is_number(x) for x in default):
        n = len(default)
        if fixed_length:
            return (lambda v: isinstance(v, (list, tuple)) and len(v) == n and all(map(_is_number, v))), \
                f"a list of {n} numbers"
        return (lambda v: isinstance(v, (list, tuple)) and all(map(_is_number, v))), "a list of numbers"
    return None


def check_values(obj, kwargs: dict, *, where: str, fixed_length: bool = True) -> None:
    """Raise UsageError for a value whose type does not fit the keyword's default.

    The rule comes from the signature: a keyword defaulting to a number takes a number, to a
    string a string, to a boolean a boolean, to a tuple of numbers a list of numbers (of the same
    length when ``fixed_length``: ``betas``); keywords without a default or defaulting to None
    are left to the component itself (the dry build reports what it rejects).
    ``where`` is the config key of the section, e.g. ``optimizer`` or ``scheduler.1``."""
    params = _parameters(obj) or []
    defaults = {p.name: p.default for p in params if p.default is not p.empty}
    for key, value in kwargs.items():
        rule = _expected(defaults.get(key), fixed_length=fixed_length)
        if rule is not None and not rule[0](value):
            d = defaults[key]
            shown = list(d) if isinstance(d, tuple) else d
            raise UsageError(f"{where}.{key} must be {rule[1]} (default of {obj.__name__}: "
                             f"{json_value(shown)}), got {json_value(value)}")


def json_value(v) -> str:
    """A config value as the user writes it in TOML (strings quoted, lists in brackets)."""
    import json

    try:
        return json.dumps(v)
    except (TypeError, ValueError):
        return repr(v)


def call_text(obj, kwargs: dict) -> str:
    """``Name(key=value, ...)`` with the user's keywords."""
    return f"{obj.__name__}({', '.join(f'{k}={json_value(v)}' for k, v in kwargs.items())})"


def build(kind: str, name: str, *args, supplied=(), where: str | None = None, **kwargs):
    """Look up ``name`` and call it with ``args`` and ``kwargs``; errors become UsageError.

    ``supplied`` names the arguments the app passes itself (the parameters, num_classes), which
    are never suggested as corrections; ``where`` is the config key of the section (default:
    ``kind``) that messages name."""
    obj = lookup(kind, name)
    where = where or kind
    check_keywords(obj, kwargs, supplied=supplied, what=f"{where} {obj.__name__}")
    check_values(obj, {k: v for k, v in kwargs.items() if k not in supplied}, where=where,
                 fixed_length=kind != "model")
    try:
        return obj(*args, **kwargs)
    except UsageError:
        raise
    except Exception as e:   # the component's own check of its arguments
        shown = {k: v for k, v in kwargs.items() if k not in supplied}
        raise UsageError(f"[{where}] {call_text(obj, shown)} is rejected: {type(e).__name__}: {e}. "
                         f"Signature: {signature_text(obj)}") from None


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
