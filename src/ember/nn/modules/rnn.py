"""Recurrent layers: ``RNN`` (tanh, relu), ``LSTM`` (with ``proj_size``), ``GRU`` and the single-step cells.

Each layer and direction is one fused op over the whole (packed) sequence (``autograd/ops/rnn.py``: the cell math,
the gate order and the papers are there); this module holds torch's parameters (names, shapes, initialisation
uniform in ±1/√hidden_size), the argument checks and the layout bookkeeping (batch_first, unbatched input,
``PackedSequence``, stacking the final states, dropout between layers).
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ... import _creation
from ..._backend import check_device
from ...autograd.ops import indexing as I, shape as S
from ...autograd.ops.rnn import GATES, Recurrence
from ...tensor import _wrap
from .. import init
from .._functional.activation import dropout as _dropout
from ..parameter import Parameter
from .._packed_sequence import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _run_layer(mode, x, h0, c0, weights, batch_sizes, reverse, has_bias, has_proj):
    """One layer and direction: (y (total, P), h_n (N, P), c_n (N, H) or None) from the fused op."""
    inputs = (x, h0) + ((c0,) if mode == "LSTM" else ()) + tuple(weights)
    flat = Recurrence.apply(*inputs, mode=mode, batch_sizes=batch_sizes, reverse=reverse, has_bias=has_bias,
                            has_proj=has_proj)
    total, n, p = x.shape[0], h0.shape[0], h0.shape[1]
    y = flat[: total * p].reshape(total, p)
    h_n = flat[total * p: (total + n) * p].reshape(n, p)
    c_n = flat[(total + n) * p:].reshape(n, c0.shape[1]) if mode == "LSTM" else None
    return y, h_n, c_n


def _zeros(shape, like):
    return _wrap(np.zeros(shape, like._data.dtype))


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (torch's ``RNNBase``); ``mode`` is one of
    'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        check_device(device)
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=3)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(self.num_directions):
                layer_input = input_size if layer == 0 else real_hidden * self.num_directions
                shapes = {"weight_ih": (gate_size, layer_input), "weight_hh": (gate_size, real_hidden)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{'_reverse' if direction else ''}"
                    setattr(self, name, Parameter(_creation.empty(*shape, dtype=dtype)))
                    names.append(name)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights_names(self):
        return [n for names in self._all_weights for n in names]

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op, as torch's off the GPU."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ---- argument checks (torch's messages) ----
    def check_input(self, input, batch_sizes) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                f"input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        return (self.num_layers * self.num_directions, mini_batch, self.proj_size or self.hidden_size)

    @staticmethod
    def check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    @staticmethod
    def permute_hidden(hx, permutation):
        return hx if permutation is None else I.index_select(hx, 1, permutation)

    # ---- the forward pass ----
    def _zero_state(self, input, batch):
        return _zeros((self.num_layers * self.num_directions, batch, self.proj_size or self.hidden_size), input)

    def _check_hx_dims(self, hx, batched):
        if hx is not None and hx.dim() != (3 if batched else 2):
            raise RuntimeError(f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx should also be "
                               f"{3 if batched else 2}-D but got {hx.dim()}-D tensor")

    def _layout(self, input):
        """(packed data (total, I), batch sizes, sorted, unsorted, batched or None for packed, padded T)."""
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            return data, tuple(int(b) for b in batch_sizes._data), sorted_indices, unsorted_indices, None
        if input.dim() not in (2, 3):
            noun = "tensor instead" if self.mode.startswith("RNN") else "instead"
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D {noun}")
        return input, None, None, None, input.dim() == 3

    def forward(self, input, hx=None):
        data, batch_sizes, sorted_indices, unsorted_indices, batched = self._layout(input)
        lstm = self.mode == "LSTM"
        x = data
        if batched is not None:  # a padded (T, N, I) / (N, T, I) or unbatched (T, I) tensor
            if not batched:
                x = x.unsqueeze(0 if self.batch_first else 1)
            if lstm and hx is not None:
                if hx[0].dim() != (3 if batched else 2) or hx[1].dim() != (3 if batched else 2):
                    raise RuntimeError(
                        f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx and cx should also be "
                        f"{3 if batched else 2}-D but got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            elif not lstm:
                self._check_hx_dims(hx, batched)
            if hx is not None and not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if lstm else hx.unsqueeze(1)
        self.check_input(x, batch_sizes)
        batch = batch_sizes[0] if batch_sizes is not None else x.shape[0 if self.batch_first else 1]
        if hx is None:
            h0 = self._zero_state(x, batch)
            c0 = _zeros((h0.shape[0], batch, self.hidden_size), x) if lstm else None
        elif lstm:
            h0, c0 = hx
        else:
            h0, c0 = hx, None
        expected = self.get_expected_hidden_size(x, batch_sizes)
        if lstm:
            self.check_hidden_size(h0, expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, expected[:2] + (self.hidden_size,), "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(h0, expected)
        h0 = self.permute_hidden(h0, sorted_indices)
        c0 = self.permute_hidden(c0, sorted_indices) if lstm else None
        if batch_sizes is None:  # padded: time-major rows, every step full
            if self.batch_first:
                x = x.transpose(0, 1)
            steps = x.shape[0]
            x = x.reshape(steps * batch, self.input_size)
            batch_sizes = (batch,) * steps
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            ys = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                weights = [getattr(self, n) for n in self._all_weights[k]]
                y, h, c = _run_layer(self.mode, x, h0[k], c0[k] if lstm else None, weights, batch_sizes,
                                     direction == 1, self.bias, bool(self.proj_size))
                ys.append(y)
                h_n.append(h)
                c_n.append(c)
            x = ys[0] if len(ys) == 1 else S.cat(ys, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = S.stack(h_n)
        hidden = (h_n, S.stack(c_n)) if lstm else h_n
        if batched is None:
            hidden = (self.permute_hidden(hidden[0], unsorted_indices),
                      self.permute_hidden(hidden[1], unsorted_indices)) if lstm else \
                self.permute_hidden(hidden, unsorted_indices)
            return PackedSequence(x, input.batch_sizes, sorted_indices, unsorted_indices), hidden
        out = x.reshape(len(batch_sizes), batch, x.shape[-1])
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1)) if lstm else hidden.squeeze(1)
        return out, hidden

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), as ``torch.nn.RNN``:
    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        nonlinearity = self.nonlinearity
        super().__init__(modes[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM`` (gates i, f, g, o; ``proj_size`` > 0 projects h to that size);
    ``forward(input, (h_0, c_0))`` returns ``output, (h_n, c_n)``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU`` (gates r, z, n; n = tanh(W_in x + b_in + r·(W_hn h + b_hn)))."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """One step of a recurrent layer: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``; the step is
    the layer's fused op over a sequence of length 1."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(_creation.empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _step(self, mode, input, states):
        """Check the arguments as torch's cells do and run one step: the new states (unbatched as given)."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for s in states:
            if s is not None and s.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        states = [_zeros((x.shape[0], self.hidden_size), x) if s is None else s if batched else s.unsqueeze(0)
                  for s in states]
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        for k, s in enumerate(states):
            if s.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{k} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, expected "
                                   f"{self.hidden_size}")
        weights = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        _, h, c = _run_layer(mode, x, states[0], states[1] if mode == "LSTM" else None, weights, (x.shape[0],),
                             False, self.bias, False)
        out = (h, c) if mode == "LSTM" else (h,)
        return out if batched else tuple(t.squeeze(0) for t in out)


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), as ``torch.nn.RNNCell``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, [hx])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step, as ``torch.nn.LSTMCell``: ``forward(input, (h, c))`` returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._step("LSTM", input, [None, None] if hx is None else list(hx))


class GRUCell(RNNCellBase):
    """One GRU step, as ``torch.nn.GRUCell``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", input, [hx])[0]
