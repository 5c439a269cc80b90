"""Random number generation: ``manual_seed``, ``Generator`` and the default generator.

ember draws from NumPy's PCG64; the streams differ from torch's (tests copy values across).
"""
from __future__ import annotations

import numpy as np
from . import _errors


def _entropy() -> int:
    """A fresh seed from the operating system's entropy, below 2⁶³ as torch's seeds are."""
    entropy = np.random.SeedSequence().entropy  # an int when SeedSequence draws it itself
    assert isinstance(entropy, int)
    return entropy % (2**63)


class Generator:
    """A random number generator, like ``torch.Generator`` (``manual_seed``, ``initial_seed``, state)."""

    def __init__(self, device="cpu"):
        self._seed = _entropy()
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed) -> "Generator":
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        self.manual_seed(_entropy())
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The bit generator's state (a dict, where torch returns a ByteTensor)."""
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self):
        from ._backend import CPU

        return CPU


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed ember's default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def _gen(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


# ---- samplers on arrays: torch's argument checks and messages, then NumPy's draws -------------------------------
# (the Tensor methods uniform_, normal_, … in autograd/ops/__init__.py and the creation functions in _creation.py
# call these; each returns a float64 or int64 array of ``shape`` that the caller casts to its dtype)

_C_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
            "bool": "bool", "float16": "c10::Half", "float32": "float", "float64": "double"}


def check_float(dt: np.dtype, kernel: str) -> None:
    """torch's NotImplementedError for a floating-point sampler asked for an integer dtype."""
    if dt.kind != "f":
        from . import _dtype

        raise _errors.not_implemented_for(kernel, _dtype.scalar_name(dt))


def _check_continuous(dt: np.dtype, name: str, ctype: bool = False) -> None:
    if dt.kind != "f":
        from . import _dtype

        spelled = _C_NAMES[dt.name] if ctype else _dtype.scalar_name(dt)
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {spelled}")


def uniform(g, shape, dt, a=0.0, b=1.0):
    """U[a, b)."""
    check_float(dt, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    if b - a > np.finfo(dt).max:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_C_NAMES[dt.name]}>::max(), "
                           f"but found to={b:g} and from={a:g} which result in to-from to exceed the limit")
    return g.uniform(a, b, size=shape)


def normal(g, shape, dt, mean=0.0, std=1.0):
    """N(mean, std²)."""
    if std < 0:
        raise _errors.normal_negative_std(std)
    check_float(dt, "normal_kernel_cpu")
    return g.normal(mean, std, size=shape)


def log_normal(g, shape, dt, mean=1.0, std=2.0):
    """exp(N(mean, std²))."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    check_float(dt, "log_normal_cpu")
    return g.lognormal(mean, std, size=shape)


def exponential(g, shape, dt, lambd=1.0):
    """Exponential with rate λ: density λ·e^(−λx), x ≥ 0."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    _check_continuous(dt, "Exponential")
    return g.exponential(1.0 / lambd, size=shape)


def cauchy(g, shape, dt, median=0.0, sigma=1.0):
    """Cauchy: density 1 / (π·σ·(1 + ((x − median)/σ)²))."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    _check_continuous(dt, "Cauchy", ctype=True)
    return median + sigma * g.standard_cauchy(size=shape)


def geometric(g, shape, dt, p):
    """Number of Bernoulli(p) trials up to and including the first success: P(k) = (1 − p)^(k−1)·p, k ≥ 1."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    if dt.kind == "b":
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    return g.geometric(p, size=shape)


def bernoulli(g, shape, dt, p):
    """1 with probability p, else 0 (p a number or an array broadcastable to ``shape``)."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={float(p):g}")
    elif not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    return g.random(size=shape) < p


def _dtype_range(dt: np.dtype) -> tuple:
    """The values a dtype holds: [min, max] of an integer type, ±max finite of a float type, {0, 1} for bool."""
    if dt.kind == "b":
        return 0, 1
    info = np.iinfo(dt) if dt.kind in "iu" else np.finfo(dt)
    return int(info.min), int(info.max)


def random_integers(g, shape, dt, from_=0, to=None, default=False):
    """Integers uniform in [from, to); ``random_()`` alone: [0, 2^mantissa] for floats, [0, max] for integers."""
    for name, v in (("from", from_), ("to", to)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"random_(): argument '{name}' must be int, not {type(v).__name__}")
    if default:
        from_, to = 0, None
    lo_ok, hi_ok = _dtype_range(dt)
    if to is not None and from_ >= to:
        raise _errors.random_from_to(from_, to)
    if not lo_ok <= from_ <= hi_ok:
        raise RuntimeError(f"from is out of bounds for {_C_NAMES[dt.name]}")
    if to is not None and not lo_ok <= to - 1 <= hi_ok:
        raise RuntimeError(f"to - 1 is out of bounds for {_C_NAMES[dt.name]}")
    top = (1 << (np.finfo(dt).nmant + 1)) if dt.kind == "f" else hi_ok  # to=None: up to 2^mantissa / the max
    last = top if to is None else to - 1
    return g.integers(from_, last, size=shape, endpoint=True)
