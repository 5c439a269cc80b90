"""The ``[model]`` section: builders for an MLP and a small CNN made of ember.nn layers.

Each builder takes the sample shape and the number of classes (filled in by the app) and the
config's keywords; ``[model] name = "mlp"`` calls :func:`mlp`.
"""
from __future__ import annotations

import math

from .errors import UsageError


def _activation(name):
    from .registry import build

    return build("activation", name)


def mlp(input_shape, num_classes, hidden=(256, 128), activation="ReLU", dropout=0.2, batch_norm=False):
    """Flatten → [Linear → (BatchNorm1d) → activation → (Dropout)] per hidden size → Linear.

    Args:
        hidden: widths of the hidden layers. Default: (256, 128).
        activation: an ember.nn activation class name. Default: "ReLU".
        dropout: dropout probability after each hidden activation (0: none). Default: 0.2.
        batch_norm: add BatchNorm1d after each hidden Linear. Default: False.
    """
    import ember.nn as nn

    if not 0 <= dropout < 1:
        raise UsageError(f"[model] dropout must be in [0, 1), got {dropout}")
    layers = [nn.Flatten()]
    width = int(math.prod(input_shape))
    for h in hidden:
        _check_width("model.hidden", h)
        layers.append(nn.Linear(width, h))
        if batch_norm:
            layers.append(_layer("BatchNorm1d")(h))
        layers.append(_activation(activation))
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


MAX_WIDTH = 1 << 16     # units or channels of one layer: wider ones would exhaust memory, not train
MAX_KERNEL = 31


def _check_width(key, h) -> None:
    if not isinstance(h, int) or isinstance(h, bool) or not 1 <= h <= MAX_WIDTH:
        raise UsageError(f"{key} sizes must be integers between 1 and {MAX_WIDTH}, got {h!r}")


def _layer(name):
    import ember.nn as nn

    if not hasattr(nn, name):
        raise UsageError(f"this model needs ember.nn.{name}, which this installation does not have yet")
    return getattr(nn, name)


def cnn(input_shape, num_classes, channels=(16, 32), kernel_size=3, hidden=64, activation="ReLU", dropout=0.0,
        batch_norm=True):
    """[Conv2d(padding=same) → (BatchNorm2d) → activation → MaxPool2d(2)] per channel count →
    Flatten → Linear(hidden) → activation → (Dropout) → Linear(num_classes).

    Needs image samples (C, H, W): the bundled digits are (1, 8, 8); set ``data.image_shape``
    for CSV/NPZ rows. Pooling stops once the image is smaller than 2×2.
    """
    import ember.nn as nn

    if len(input_shape) != 3:
        raise UsageError(f"[model] cnn needs image samples (C, H, W), got sample shape {tuple(input_shape)}; "
                         "set data.image_shape, e.g. [1, 28, 28]")
    for out in channels:
        _check_width("model.channels", out)
    _check_width("model.hidden", hidden)
    if not isinstance(kernel_size, int) or not 1 <= kernel_size <= MAX_KERNEL:
        raise UsageError(f"model.kernel_size must be an integer between 1 and {MAX_KERNEL}, got {kernel_size!r}")
    c, h, w = input_shape
    Conv2d, MaxPool2d = _layer("Conv2d"), _layer("MaxPool2d")
    layers = []
    for out in channels:
        layers.append(Conv2d(c, out, kernel_size, padding=kernel_size // 2))
        if batch_norm:
            layers.append(_layer("BatchNorm2d")(out))
        layers.append(_activation(activation))
        if h >= 2 and w >= 2:
            layers.append(MaxPool2d(2))
            h, w = h // 2, w // 2
        c = out
    layers += [nn.Flatten(), nn.Linear(c * h * w, hidden), _activation(activation)]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, num_classes))
    return nn.Sequential(*layers)


MODELS = {"mlp": mlp, "cnn": cnn}


def build_model(cfg_model: dict, input_shape, num_classes):
    from .registry import build

    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg_model.items() if k != "name"}
    return build("model", cfg_model["name"], tuple(input_shape), num_classes, supplied=("input_shape", "num_classes"),
                 where="model", **kwargs)
