"""``nn.utils.spectral_norm`` / ``remove_spectral_norm``: the hook form of spectral normalisation, W / σ(W) with σ
from power iteration, recomputed before every forward (one step per training forward, none in eval).

Torch parity: the parameter ``<name>_orig``, the buffers ``<name>_u``/``<name>_v``, the state_dict metadata
(``spectral_norm`` version 1), the errors and the values of ``torch.nn.utils.spectral_norm`` given the same u, v.
Checkpoints of torch < 1.1 (version-less, holding ``<name>`` instead of ``<name>_orig``) are not converted.
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..parameter import Parameter, UninitializedParameter
from ._norm import spectral_matrix
from ... import _errors

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre hook: v ← normalize(Wᵀu), u ← normalize(W v) (training), then ``module.<name>`` = W / (uᵀ W v)."""

    _version = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        self.name, self.dim, self.eps = name, dim, eps
        if n_power_iterations <= 0:
            raise _errors.n_power_iterations(n_power_iterations)
        self.n_power_iterations = n_power_iterations

    def reshape_weight_to_matrix(self, weight):
        return spectral_matrix(weight, self.dim)

    def compute_weight(self, module, do_power_iteration: bool):
        from ... import dot, mv

        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v._data[...] = F.normalize(mv(mat.t(), u), dim=0, eps=self.eps)._data
                    u._data[...] = F.normalize(mv(mat, v), dim=0, eps=self.eps)._data
                u, v = u.clone(), v.clone()  # the next forward's update must not change what this graph saved
        return weight / dot(u, mv(mat, v))

    def remove(self, module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name: str, n_power_iterations: int, dim: int, eps: float) -> "SpectralNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying spectral normalization")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        object.__setattr__(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        return fn


class SpectralNormStateDictHook:
    """Records ``spectral_norm`` version 1 in the module's state_dict metadata, as torch's."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata) -> None:
        meta = local_metadata.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in meta:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        meta[key] = self.fn._version


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim=None):
    """Replace ``module.<name>`` by W / σ(W), σ estimated by power iteration before every forward.

    Args:
        n_power_iterations: power-iteration steps per training forward. Default: 1.
        eps: added to norms when normalising u and v. Default: 1e-12.
        dim: the output dimension. Default: 1 for ConvTranspose, else 0.

    Reference: Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
    https://arxiv.org/abs/1802.05957
    """
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d
        from ..modules.conv3d import ConvTranspose3d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo ``spectral_norm``: ``module.<name>`` becomes one parameter holding W / σ."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    for k, hook in list(module._state_dict_hooks.items()):
        if isinstance(hook, SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[k]
            break
    return module
