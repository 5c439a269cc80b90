"""ember: PyTorch's training API on NumPy.

``import ember as torch`` gives tensors with autograd, creation functions, dtypes and grad
modes under torch's names; ``ember.nn``, ``ember.optim``, ``ember.utils.data`` and
``ember.metrics`` (torchmetrics' API) hold the rest.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import builtins as _builtins  # `bool`, `int`, `float` below are ember's dtypes
import math as _math

from . import _memory

_memory.tune()  # keep freed array memory for reuse (glibc; EMBER_MALLOC_TUNING=0 to skip): see ember/_memory.py

from ._dtype import (
    bool, double, dtype, float, float16, float32, float64, get_default_dtype, half, int, int8, int16, int32,
    int64, long, promote_types, set_default_dtype, short, uint8, complex64, cfloat, complex128, cdouble,
)
from ._backend import device
from .tensor import Size, Tensor
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.ops import elementwise as _E, indexing as _I, linalg as _L, nn as _N, reduction as _R, shape as _S
from .autograd.ops import sorting as _O
from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._creation import (
    arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like, is_tensor, linspace,
    logspace, multinomial, normal, numel, ones, ones_like, poisson, rand, rand_like, randint, randint_like, randn,
    randn_like, randperm, tensor, tril, triu, zeros, zeros_like,
)

# ---- functions with torch's names ----------------------------------------------------------
add, sub, subtract, mul, multiply, div, divide, true_divide = _E.add, _E.sub, _E.sub, _E.mul, _E.mul, _E.div, _E.div, _E.div
neg, negative, pow, exp, log, log1p, log2, log10, expm1 = _E.neg, _E.neg, _E.pow, _E.exp, _E.log, _E.log1p, _E.log2, _E.log10, _E.expm1
sqrt, rsqrt, reciprocal, abs, absolute, sign, sin, cos = _E.sqrt, _E.rsqrt, _E.reciprocal, _E.abs, _E.abs, _E.sign, _E.sin, _E.cos
sigmoid, tanh, relu, square, floor, ceil, trunc, round = _E.sigmoid, _E.tanh, _E.relu, _E.square, _E.floor, _E.ceil, _E.trunc, _E.round
clamp, clip, maximum, minimum, where, clone = _E.clamp, _E.clamp, _E.maximum, _E.minimum, _E.where, _E.clone
eq, ne, lt, le, gt, ge, isnan, isinf, isfinite = _E.eq, _E.ne, _E.lt, _E.le, _E.gt, _E.ge, _E.isnan, _E.isinf, _E.isfinite
logical_not, logical_and, logical_or, logical_xor = _E.logical_not, _E.logical_and, _E.logical_or, _E.logical_xor
remainder, floor_divide, allclose, isclose, equal = _E.remainder, _E.floor_divide, _E.allclose, _E.isclose, _E.equal
sum, mean, var, std, var_mean, std_mean, prod = _R.sum, _R.mean, _R.var, _R.std, _R.var_mean, _R.std_mean, _R.prod
max, min, amax, amin, argmax, argmin, logsumexp, norm = _R.max, _R.min, _R.amax, _R.amin, _R.argmax, _R.argmin, _R.logsumexp, _R.norm
cumsum, all, any, count_nonzero = _R.cumsum, _R.all, _R.any, _R.count_nonzero
reshape, flatten, unflatten, squeeze, unsqueeze, permute = _S.reshape, _S.flatten, _S.unflatten, _S.squeeze, _S.unsqueeze, _S.permute
transpose, swapaxes, t, cat, concat, concatenate, stack = _S.transpose, _S.transpose, _S.t, _S.cat, _S.cat, _S.cat, _S.stack
hstack, vstack, split, chunk, unbind, flip, broadcast_to = _S.hstack, _S.vstack, _S.split, _S.chunk, _S.unbind, _S.flip, _S.broadcast_to
gather, scatter, scatter_add, index_select, masked_fill = _I.gather, _I.scatter, _I.scatter_add, _I.index_select, _I.masked_fill
masked_select, nonzero, take_along_dim = _I.masked_select, _I.nonzero, _I.take_along_dim
matmul, mm, bmm, dot, outer, einsum = _L.matmul, _L.mm, _L.bmm, _L.dot, _L.outer, _L.einsum
addmm, addmv, addr, baddbmm, addbmm, mv = _L.addmm, _L.addmv, _L.addr, _L.baddbmm, _L.addbmm, _L.mv
vdot, inner, tensordot, kron, ger, cross = _L.vdot, _L.inner, _L.tensordot, _L.kron, _L.outer, _L.cross
cdist, dist, chain_matmul = _L.cdist, _L.dist, _L.chain_matmul
from .autograd.ops.special import (  # noqa: E402
    digamma, erf, erfc, erfinv, i0, lgamma, polygamma,
)
from .linalg import det, logdet, matrix_exp, matrix_power, slogdet  # noqa: E402  (torch's top-level aliases)
from .linalg import inv as inverse, pinv as _pinv  # noqa: E402
from .linalg import _cholesky_old as cholesky, _qr_old as qr, _svd_old as svd  # noqa: E402
from .linalg import cholesky_inverse, cholesky_solve, triangular_solve  # noqa: E402


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse dropping singular values ≤ rcond·σ_max (torch.pinverse: linalg.pinv with rtol=rcond)."""
    return _pinv(input, rtol=rcond)
softmax, log_softmax = _N.softmax, _N.log_softmax
sort, argsort, msort, topk, kthvalue, mode = _O.sort, _O.argsort, _O.msort, _O.topk, _O.kthvalue, _O.mode
median, nanmedian, unique, unique_consecutive = _O.median, _O.nanmedian, _O.unique, _O.unique_consecutive
searchsorted, bucketize, quantile, nanquantile = _O.searchsorted, _O.bucketize, _O.quantile, _O.nanquantile
cumprod, cummax, cummin, logcumsumexp = _O.cumprod, _O.cummax, _O.cummin, _O.logcumsumexp
tan, sinh, cosh, asin, acos, atan, asinh, acosh, atanh = _E.tan, _E.sinh, _E.cosh, _E.asin, _E.acos, _E.atan, _E.asinh, _E.acosh, _E.atanh
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = _E.asin, _E.acos, _E.atan, _E.asinh, _E.acosh, _E.atanh
sinc, atan2, arctan2, hypot, logaddexp, logaddexp2, fmod = _E.sinc, _E.atan2, _E.atan2, _E.hypot, _E.logaddexp, _E.logaddexp2, _E.fmod
exp2, deg2rad, rad2deg, frac, logit, xlogy, copysign = _E.exp2, _E.deg2rad, _E.rad2deg, _E.frac, _E.logit, _E.xlogy, _E.copysign
float_power, ldexp, heaviside, gcd, lcm, fmax, fmin = _E.float_power, _E.ldexp, _E.heaviside, _E.gcd, _E.lcm, _E.fmax, _E.fmin
nextafter, isposinf, isneginf, signbit, isreal, isin = _E.nextafter, _E.isposinf, _E.isneginf, _E.signbit, _E.isreal, _E.isin
nan_to_num, positive, frexp, fix, rsub = _E.nan_to_num, _E.positive, _E.frexp, _E.trunc, _E.rsub_function
from .autograd.ops.complex import (  # noqa: E402  (complex tensors)
    angle, complex, conj, conj_physical, imag, is_conj, polar, real, resolve_conj, resolve_neg, sgn, view_as_complex,
    view_as_real,
)
not_equal, greater_equal, less_equal, greater, less = _E.ne, _E.ge, _E.le, _E.gt, _E.lt
nansum, nanmean, aminmax = _R.nansum, _R.nanmean, _R.aminmax
roll, fliplr, flipud, rot90, narrow, tile, repeat_interleave = _S.roll, _S.fliplr, _S.flipud, _S.rot90, _S.narrow, _S.tile, _S.repeat_interleave
diagonal, diag_embed, diag, diagflat, trace = _S.diagonal, _S.diag_embed, _S.diag, _S.diagflat, _S.trace
tril_indices, triu_indices, meshgrid, movedim, moveaxis, swapdims = _S.tril_indices, _S.triu_indices, _S.meshgrid, _S.movedim, _S.movedim, _S.transpose
ravel, atleast_1d, atleast_2d, atleast_3d, column_stack, row_stack = _S.ravel, _S.atleast_1d, _S.atleast_2d, _S.atleast_3d, _S.column_stack, _S.row_stack
dstack, tensor_split, hsplit, vsplit, dsplit, select = _S.dstack, _S.tensor_split, _S.hsplit, _S.vsplit, _S.dsplit, _S.select
broadcast_shapes, broadcast_tensors, cartesian_prod, combinations = _S.broadcast_shapes, _S.broadcast_tensors, _S.cartesian_prod, _S.combinations
block_diag, diff, unsafe_chunk, unsafe_split, split_with_sizes = _S.block_diag, _S.diff, _S.chunk, _S.split, _S.split
unsafe_split_with_sizes = _S.split
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = _E.bitwise_and, _E.bitwise_or, _E.bitwise_xor, _E.bitwise_not
bitwise_left_shift, bitwise_right_shift, hardshrink = _E.bitwise_left_shift, _E.bitwise_right_shift, _E.hardshrink
renorm, cov, corrcoef = _R.renorm, _R.cov, _R.corrcoef
slice_scatter, select_scatter, diagonal_scatter = _I.slice_scatter, _I.select_scatter, _I.diagonal_scatter
index_put, put, index_reduce = _I.index_put, _I.put, _I.index_reduce
narrow_copy, adjoint, vander = _S.narrow_copy, _S.adjoint, _S.vander
trapezoid, trapz, cumulative_trapezoid = _S.trapezoid, _S.trapz, _S.cumulative_trapezoid
as_strided, as_strided_scatter, gradient = _S.as_strided, _S.as_strided_scatter, _S.gradient
from ._windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window  # noqa: E402
take, index_add, index_copy, index_fill, scatter_reduce = _I.take, _I.index_add, _I.index_copy, _I.index_fill, _I.scatter_reduce
masked_scatter, argwhere, bincount, histc, histogram = _I.masked_scatter, _I.argwhere, _I.bincount, _I.histc, _I.histogram
histogramdd = _I.histogramdd
selu, celu, threshold, prelu = _N.selu, _N.celu, _N.threshold, _N.prelu


def lerp(input, end, weight):
    """input + weight·(end − input)."""
    return input + (end - input) * weight


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value·tensor1·tensor2."""
    return input + tensor1 * tensor2 * value


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value·tensor1/tensor2."""
    return input + tensor1 / tensor2 * value


def clamp_min(input, min):
    return input.clamp_min(min)


def clamp_max(input, max):
    return input.clamp_max(max)


def detach(input):
    return input.detach()


def fill(input, value):
    """A tensor like input, every element value."""
    return full_like(input, value.item() if isinstance(value, Tensor) else value)


def result_type(tensor1, tensor2):
    """The dtype torch's promotion gives an op of the two (tensors or numbers)."""
    from . import _dtype as D

    a = tensor1._data if isinstance(tensor1, Tensor) else tensor1
    b = tensor2._data if isinstance(tensor2, Tensor) else tensor2
    if not isinstance(tensor1, Tensor):
        a, b = b, a
        if not isinstance(a, Tensor) and not hasattr(a, "dtype"):
            a = tensor(a)._data
    return D.from_np(D.result_np_dtype(a, b))


def can_cast(from_, to):
    """Whether torch's in-place casting allows from_ into to (no float into an integer or bool, no integer into
    a bool)."""
    from .autograd.ops import _check_castable

    try:
        _check_castable(from_.np, to.np)
    except RuntimeError:
        return False
    return True


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):  # noqa: F811  (torch's keywords shadow ember.dtype/device)
    """A 0-d tensor holding s (the default float dtype unless dtype says otherwise)."""
    return tensor(s, dtype=dtype or get_default_dtype(), requires_grad=requires_grad)


def unravel_index(indices, shape):
    """The coordinates, in a tensor of ``shape``, of each flat index (one int64 tensor per dimension)."""
    import builtins
    import numpy as _np

    shape = (shape,) if isinstance(shape, builtins.int) else tuple(shape)
    flat = _np.asarray(indices._data if isinstance(indices, Tensor) else indices, dtype=_np.int64)
    if flat.dtype.kind not in "iu":
        raise TypeError("expected 'indices' to be integer dtype, but got " + str(flat.dtype))
    coords = []
    for size in reversed(shape):
        coords.append(flat % size)
        flat = flat // size
    return tuple(from_numpy(_np.array(c, dtype=_np.int64)) for c in reversed(coords))


def nonzero_static(input, *, size, fill_value=-1):
    return input.nonzero_static(size=size, fill_value=fill_value)


def is_nonzero(input) -> _builtins.bool:
    return input.is_nonzero()


def is_same_size(input, other) -> _builtins.bool:
    return input.is_same_size(other)


def is_signed(input) -> _builtins.bool:
    return input.is_signed()


def is_complex(input) -> _builtins.bool:
    return input._data.dtype.kind == "c"


def is_neg(input) -> _builtins.bool:
    return False


def is_floating_point(input) -> _builtins.bool:
    return input.is_floating_point()


from .serialization import load, save  # noqa: E402
from . import fft  # noqa: E402
from ._threads import get_num_threads, set_num_threads  # noqa: E402

# ---- dtype limits, constants, legacy typed constructors -----------------------------------
from ._typeinfo import finfo, iinfo  # noqa: E402
from ._legacy_tensors import LEGACY as _LEGACY  # noqa: E402

FloatTensor, DoubleTensor, HalfTensor = _LEGACY["FloatTensor"], _LEGACY["DoubleTensor"], _LEGACY["HalfTensor"]
LongTensor, IntTensor, ShortTensor = _LEGACY["LongTensor"], _LEGACY["IntTensor"], _LEGACY["ShortTensor"]
CharTensor, ByteTensor, BoolTensor = _LEGACY["CharTensor"], _LEGACY["ByteTensor"], _LEGACY["BoolTensor"]
inf, nan, pi, e, newaxis = _math.inf, _math.nan, _math.pi, _math.e, None

# ---- the device surface, as torch's CPU-only build answers it (README "Devices") ----------
from . import accelerator, amp, backends, cpu, cuda  # noqa: E402
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402
from ._compile import compile  # noqa: E402
from ._settings import (  # noqa: E402
    are_deterministic_algorithms_enabled, get_default_device, get_deterministic_debug_mode,
    get_float32_matmul_precision, is_deterministic_algorithms_warn_only_enabled, set_default_device,
    set_deterministic_debug_mode, set_float32_matmul_precision, use_deterministic_algorithms,
)

__version__ = "0.1.0"

from . import nn, utils  # noqa: E402  (subpackages, as torch.nn / torch.utils; optim and the others below: lazily)


# ---- torch.* forms of nn.functional ops (torch's argument order; ember.nn.functional holds the implementation) ----
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return nn.functional.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return nn.functional.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return nn.functional.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return nn.functional.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return nn.functional.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return nn.functional.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return nn.functional.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def adaptive_avg_pool1d(input, output_size):
    return nn.functional.adaptive_avg_pool1d(input, output_size)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return nn.functional.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return nn.functional.group_norm(input, num_groups, weight, bias, eps)


def dropout(input, p, train):
    return nn.functional.dropout(input, p, train)


def alpha_dropout(input, p, train):
    return nn.functional.alpha_dropout(input, p, train)

# Subpackages imported on first use (PEP 562), as attributes of ember all the same: `ember.optim.SGD`,
# `from ember import optim`, `import ember.optim` work as in torch; `import ember` saves their time (about 40 ms).
_LAZY_SUBPACKAGES = ("optim", "distributions", "func", "special")

if TYPE_CHECKING:
    from . import distributions, func, optim, special  # noqa: F401
del TYPE_CHECKING


def __getattr__(name: str):
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")  # (binds ember.<name>: later lookups are direct)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBPACKAGES))
