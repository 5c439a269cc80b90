"""Activation modules: thin wrappers over ``nn.functional``."""
from __future__ import annotations

from ... import _creation
from ..._backend import check_device
from .._functional import activation as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Softmin", "Softplus", "Hardtanh", "LogSigmoid", "PReLU", "RReLU", "SELU", "CELU", "GLU", "Hardsigmoid",
    "Hardswish", "Hardshrink", "Softshrink", "Softsign", "Tanhshrink", "Threshold", "Softmax2d",
]


class ReLU(Module):
    """ReLU(x) = max(0, x)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU6(ReLU):
    """ReLU6(x) = min(max(0, x), 6)."""

    def forward(self, input):
        return F.relu6(input, self.inplace)


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x ≥ 0 else negative_slope·x."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """ELU(x) = x if x > 0 else α(eˣ − 1) (Clevert et al., 2015)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """GELU(x) = x·Φ(x) (Hendrycks & Gimpel, 2016); approximate='tanh' for the tanh form."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU(x) = x·σ(x) (a.k.a. swish)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Mish(SiLU):
    """Mish(x) = x·tanh(softplus(x))."""

    def forward(self, input):
        return F.mish(input, self.inplace)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(−x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class LogSigmoid(Module):
    def forward(self, input):
        return F.logsigmoid(input)


class _DimModule(Module):
    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim``."""

    def forward(self, input):
        return F.softmax(input, self.dim)


class Softmin(_DimModule):
    def forward(self, input):
        return F.softmin(input, self.dim)


class LogSoftmax(_DimModule):
    """log softmax along ``dim``, computed stably."""

    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Softplus(Module):
    """softplus(x) = log(1 + e^(βx))/β."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


def _inplace_repr(inplace) -> str:
    return "inplace=True" if inplace else ""


class PReLU(Module):
    """PReLU(x) = x if x > 0 else a·x with learnt slopes ``weight`` (num_parameters of them, each ``init``).

    Torch parity: same arguments, initialisation, state_dict key (weight), repr and values as torch.nn.PReLU.
    Reference: He et al., ICCV 2015. https://arxiv.org/abs/1502.01852
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(_creation.empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU (see ``ember.nn.functional.rrelu``): random slopes in training, their mean in eval."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class SELU(Module):
    """SELU(x) = λ·ELU(x; α) (see ``ember.nn.functional.selu``)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class CELU(Module):
    """CELU(x) = max(0, x) + min(0, α(e^(x/α) − 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """GLU(a, b) = a ⊗ σ(b) over the halves of ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Hardsigmoid(Module):
    """hardsigmoid(x) = clamp(x/6 + 1/2, 0, 1). (torch's repr leaves ``inplace`` out; so does this one.)"""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Hardsigmoid):
    """hardswish(x) = x·hardsigmoid(x)."""

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Hardshrink(Module):
    """hardshrink(x) = x if |x| > λ else 0."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """softshrink(x) = x − clamp(x, −λ, λ)."""

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class Softsign(Module):
    """softsign(x) = x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """tanhshrink(x) = x − tanh(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class Threshold(Module):
    """y = x if x > threshold else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Softmax2d(Module):
    """Softmax over the channels (dim −3) of a (C, H, W) or (N, C, H, W) input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3)
