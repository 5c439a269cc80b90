"""Constraints on distribution parameters and supports, with torch's names and reprs.

``constraint.check(value)`` returns a boolean tensor (True where the value satisfies it, reduced over the
constraint's ``event_dim`` rightmost dims); ``Distribution`` raises torch's ValueError when one is False.
"""
from __future__ import annotations

from .._creation import tensor, tril
from ..autograd.ops import reduction as _reduction
from ..autograd.ops.shape import stack
from ..tensor import Tensor


def _fmt(v):
    """A bound or value as torch's f-strings print it (a 0-d tensor as its number)."""
    return v.item() if isinstance(v, Tensor) and v.dim() == 0 else v


class Constraint:
    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError  # abstract: each constraint below defines it

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A placeholder whose check depends on other parameters (never checked by ``Distribution.__init__``)."""

    def __init__(self, *, is_discrete=False, event_dim=0):
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, *, is_discrete=None, event_dim=None):
        return _Dependent(is_discrete=self.is_discrete if is_discrete is None else is_discrete,
                          event_dim=self.event_dim if event_dim is None else event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value):
        return value == value  # False only at nan


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={_fmt(self.lower_bound)}, upper_bound={_fmt(self.upper_bound)})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={_fmt(self.lower_bound)})"


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return self.lower_bound < value

    def __repr__(self):
        return f"GreaterThan(lower_bound={_fmt(self.lower_bound)})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return self.lower_bound <= value

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={_fmt(self.lower_bound)})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return value < self.upper_bound

    def __repr__(self):
        return f"LessThan(upper_bound={_fmt(self.upper_bound)})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"Interval(lower_bound={_fmt(self.lower_bound)}, upper_bound={_fmt(self.upper_bound)})"


class _HalfOpenInterval(_Interval):
    def check(self, value):
        return (self.lower_bound <= value) & (value < self.upper_bound)

    def __repr__(self):
        return f"HalfOpenInterval(lower_bound={_fmt(self.lower_bound)}, upper_bound={_fmt(self.upper_bound)})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return _reduction.all(value >= 0, dim=-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return _reduction.all((value == 0) | (value == 1), dim=-1) & (value.sum(-1) == 1)


class _IndependentConstraint(Constraint):
    """``base`` checked on each element, reduced (all) over ``reinterpreted_batch_ndims`` more rightmost dims."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        for _ in range(self.reinterpreted_batch_ndims):
            result = _reduction.all(result, dim=-1)
        return result

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


dependent = _Dependent()
real: Constraint = _Real()  # (annotated: transforms.py reads these inside an import cycle)
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
positive: Constraint = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
unit_interval: Constraint = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
independent = _IndependentConstraint
real_vector = _IndependentConstraint(real, 1)


class _PositiveDefinite(Constraint):
    """Symmetric with all eigenvalues > 0 (checked on the values; a check needs no gradient)."""

    event_dim = 2

    def check(self, value):
        import numpy as np

        a = value.detach().numpy()
        sym = np.all(np.isclose(a, np.swapaxes(a, -1, -2), rtol=1e-6, atol=1e-8), axis=(-2, -1))
        try:
            pos = np.linalg.eigvalsh(a).min(-1) > 0
        except np.linalg.LinAlgError:
            pos = np.zeros(a.shape[:-2], bool)
        return tensor(sym & pos)


class _LowerCholesky(Constraint):
    """Lower triangular with a positive diagonal."""

    event_dim = 2

    def check(self, value):
        lower = _reduction.all(_reduction.all(tril(value) == value, dim=-1), dim=-1)
        diag = stack([value[..., i, i] for i in range(value.shape[-1])], -1)
        return lower & _reduction.all(diag > 0, dim=-1)


positive_definite = _PositiveDefinite()
lower_cholesky = _LowerCholesky()
