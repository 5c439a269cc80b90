"""``nn.utils``: gradient clipping, parameter/vector conversion, weight and spectral normalisation (hook and
parametrization forms), ``parametrize``, ``prune``, conv/linear–batch-norm fusion, ``stateless.functional_call``
and ``rnn`` (pack/pad)."""
from .clip_grad import clip_grad_norm_, clip_grad_norm, clip_grad_value_, get_total_norm, clip_grads_with_norm_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm
from . import fusion, parametrizations, parametrize, prune, rnn, stateless

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init", "spectral_norm", "remove_spectral_norm",
           "weight_norm", "remove_weight_norm", "fusion", "parametrizations", "parametrize", "prune", "rnn",
           "stateless"]
