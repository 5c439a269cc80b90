"""Metric arithmetic (torchmetrics' operator overloading): ``m1 + m2``, ``2 * m``, ``abs(m)``, ``m[i]``, ``m1 > m2``
each build a `CompositionalMetric` that forwards update/forward/reset to its operands and applies the operator to
their computed values. The operator table is stated once here; `Metric` inherits the operators from
`MetricArithmetic`."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _binary(fn: Callable, reflected: bool = False) -> Callable[[Any, Any], Any]:
    def op(self, other):
        from .metric import CompositionalMetric

        return CompositionalMetric(fn, other, self) if reflected else CompositionalMetric(fn, self, other)

    op.__name__ = fn.__name__
    return op


def _unary(fn: Callable) -> Callable[[Any], Any]:
    def op(self):
        from .metric import CompositionalMetric

        return CompositionalMetric(fn, self, None)

    op.__name__ = fn.__name__
    return op


def _neg(x):
    return -np.abs(x)  # torchmetrics' unary minus is −|x| (and unary plus is |x|)


class MetricArithmetic:
    """The operators of torchmetrics.Metric, each returning a CompositionalMetric. As in torchmetrics, ``%`` is
    fmod, ``+m`` is ``abs``, ``-m`` is ``-abs``, and ``==``/``!=`` compose too (so metrics compare by identity only
    through ``is``); ``&``, ``|``, ``^`` are bitwise (commutative ``&`` keeps the metric first). One deliberate
    difference: ``number % metric`` computes fmod(number, value), where torchmetrics raises TypeError (torch.fmod
    takes no number as its first argument)."""

    __add__, __radd__ = _binary(np.add), _binary(np.add, reflected=True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, reflected=True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, reflected=True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, reflected=True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, reflected=True)
    __mod__, __rmod__ = _binary(np.fmod), _binary(np.fmod, reflected=True)
    __pow__, __rpow__ = _binary(np.power), _binary(np.power, reflected=True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, reflected=True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, reflected=True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, reflected=True)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __abs__, __pos__, __neg__ = _unary(np.abs), _unary(np.abs), _unary(_neg)
    __invert__ = __inv__ = _unary(np.invert)  # torchmetrics also names it __inv__

    def __getitem__(self, idx):
        from .metric import CompositionalMetric

        return CompositionalMetric(lambda x: x[idx], self, None)

    __iter__ = None  # not iterable, as torchmetrics (else __getitem__ would make ``list(m)`` run forever)

    def __hash__(self) -> int:
        return id(self)
