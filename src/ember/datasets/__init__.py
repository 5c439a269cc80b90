"""Datasets bundled with ember (no download needed).

``load_digits()``: the 8×8 handwritten digits (1,797 images, 10 classes) from the UCI Machine
Learning Repository, CC BY 4.0, credited in ``DIGITS_LICENSE.md`` next to this file.

``load_text()``: the opening paragraphs of Lewis Carroll's *Alice's Adventures in Wonderland* (1865, in the
public domain), for character-level language models.
"""
from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_digits", "load_text"]


def load_digits(*, as_images: bool = False, as_tensors: bool = False):
    """The 8×8 handwritten digits (UCI Optical Recognition of Handwritten Digits, test set).

    Args:
        as_images: return the inputs as (1797, 8, 8) images instead of (1797, 64) rows.
            Default: False.
        as_tensors: return ember Tensors (float32 inputs, int64 targets) instead of NumPy
            arrays. Default: False.

    Returns:
        ``(x, y)``: float32 pixel counts in 0..16, shape (1797, 64) (or (1797, 8, 8)), and int64
        labels 0..9, shape (1797,).

    Parity:
        Same numbers and order as ``sklearn.datasets.load_digits(return_X_y=True)``.

    Reference:
        E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
        Learning Repository, 1998. https://doi.org/10.24432/C50P49 (CC BY 4.0)

    Example:
        >>> x, y = load_digits()
        >>> x.shape, y.shape
        ((1797, 64), (1797,))
    """
    with resources.files(__name__).joinpath("digits.npz").open("rb") as fh:
        with np.load(fh, allow_pickle=False) as z:
            images, target = z["images"], z["target"]
    x = images.astype(np.float32)
    if not as_images:
        x = x.reshape(len(x), -1)
    y = target.astype(np.int64)
    if as_tensors:
        from .. import from_numpy

        return from_numpy(x), from_numpy(y)
    return x, y


def load_text() -> str:
    """The opening four paragraphs of *Alice's Adventures in Wonderland* (Lewis Carroll, 1865; public domain).

    Returns:
        The text (about 1,500 characters, 4 paragraphs separated by blank lines) as one ``str``.

    Example:
        >>> load_text()[:5]
        'Alice'
    """
    return resources.files(__name__).joinpath("alice.txt").read_text(encoding="utf-8")
