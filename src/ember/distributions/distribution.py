"""``Distribution``: torch's base class (shapes, validation, sample/rsample, expand, repr)."""
from __future__ import annotations

from .._grad_mode import no_grad
from ..tensor import Size, Tensor

from . import constraints
from .constraints import _fmt


class lazy_property:
    """Computed on first access and then stored in the instance (probs from logits and the other way)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.fn.__name__] = value
        return value


class Distribution:
    """A family of probability distributions with batch_shape (independent, differently parameterised copies)
    and event_shape (the shape of one sample); torch's API.

    Validation (``validate_args``, default True as torch under ``__debug__``): each parameter must satisfy its
    ``arg_constraints`` entry and each value passed to ``log_prob``/``cdf`` the ``support``, else torch's
    ValueError ("Expected parameter loc (Tensor of shape (2,)) of distribution Normal(...) to satisfy the
    constraint Real(), but found invalid values: ...").
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    arg_constraints: dict = {}
    support: constraints.Constraint | None = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param), lazy_property):
                    continue
                value = getattr(self, param)
                if not bool(constraint.check(value).all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                        f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                        f"but found invalid values:\n{_fmt(value)}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def expand(self, batch_shape, _instance=None):
        """The same distribution with parameters expanded (no copy) to ``batch_shape``."""
        batch_shape = Size(batch_shape)
        new = object.__new__(type(self))
        params = self._expand_params()
        for name, value in self.__dict__.items():  # everything but the parameters (and probs/logits made lazily)
            if name not in params and name not in self.arg_constraints:
                new.__dict__[name] = value
        for name in params:
            setattr(new, name, getattr(self, name).expand(*batch_shape, *self._param_event_shape(name)))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_params(self):
        return [k for k in self.arg_constraints if k in self.__dict__]

    def _param_event_shape(self, name):
        return ()

    def _extended_shape(self, sample_shape=()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        """A sample (no gradient); for a reparameterised family, ``rsample`` under no_grad."""
        with no_grad():
            return self.rsample(sample_shape)

    # torch's base raises NotImplementedError() for what a family does not define (no rsample for a discrete
    # family, no closed-form entropy or cdf): the same here, so code that catches it behaves alike
    def rsample(self, sample_shape=()):
        raise NotImplementedError

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def sample_n(self, n: int):
        return self.sample((n,))

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.dim() - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{Size(value.shape[event_dim_start:])} vs {self._event_shape}.")
        support = self.support
        assert support is not None  # (as torch: a distribution that validates samples states its support)
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be within the "
                f"support ({self.support!r}) of the distribution {self!r}, but found invalid values:\n{_fmt(value)}")

    def perplexity(self):
        return self.entropy().exp()

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {_item_or_size(self.__dict__[p])}" for p in names)
        return f"{type(self).__name__}({args})"


def _item_or_size(t):
    return _fmt(t) if t.numel() == 1 else t.shape
