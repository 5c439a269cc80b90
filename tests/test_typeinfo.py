"""finfo / iinfo, the constants inf/nan/pi/e/newaxis and the legacy typed constructors vs torch."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _oracle import torch

import ember

FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS + [None])
def test_finfo_matches_torch(name):
    e, t = (ember.finfo(), torch.finfo()) if name is None else (ember.finfo(getattr(ember, name)),
                                                                 torch.finfo(getattr(torch, name)))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr) and type(getattr(e, attr)) is type(getattr(t, attr)), attr
    assert repr(e) == repr(t)


@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "min", "max", "dtype"):
        assert getattr(e, attr) == getattr(t, attr) and type(getattr(e, attr)) is type(getattr(t, attr)), attr
    assert repr(e) == repr(t)


@pytest.mark.parametrize("fn,name", [("finfo", "int32"), ("finfo", "bool"), ("iinfo", "float32"), ("iinfo", "bool")])
def test_info_of_the_wrong_kind_raises_as_torch(fn, name):
    with pytest.raises(TypeError) as te:
        getattr(torch, fn)(getattr(torch, name))
    with pytest.raises(TypeError) as ee:
        getattr(ember, fn)(getattr(ember, name))
    assert str(ee.value) == str(te.value)


def test_constants_match_torch():
    for name in ("inf", "pi", "e"):
        assert getattr(ember, name) == getattr(torch, name)
    assert math.isnan(ember.nan) and ember.newaxis is torch.newaxis is None
    assert ember.zeros(3)[ember.newaxis].shape == (1, 3)


LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
          "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("args", [(2, 3), (), ([1, 0, 2],), ((1.5, 2.0),), ([[1, 2], [3, 4]],)])
def test_legacy_constructor_matches_torch(name, args):
    e, t = getattr(ember, name)(*args), getattr(torch, name)(*args)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    if args and not isinstance(args[0], int):
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("name", LEGACY)
def test_isinstance_of_a_legacy_type_checks_the_dtype(name):
    for dtype in ("float32", "float64", "int64", "bool", "uint8"):
        assert (isinstance(ember.zeros(2, dtype=getattr(ember, dtype)), getattr(ember, name))
                == isinstance(torch.zeros(2, dtype=getattr(torch, dtype)), getattr(torch, name)))
    assert not isinstance([1.0], getattr(ember, name))


def test_legacy_constructor_from_a_size_a_tensor_and_bad_data():
    assert ember.LongTensor(ember.Size([2, 2])).shape == (2, 2)
    assert ember.LongTensor(ember.tensor([0, 3])).tolist() == [0, 3]
    for bad in (2.5, "a"):
        with pytest.raises(TypeError) as te:
            torch.LongTensor(bad)
        with pytest.raises(TypeError) as ee:
            ember.LongTensor(bad)
        assert str(ee.value) == str(te.value)


def test_tensor_type_accepts_a_legacy_type_or_its_name():
    x = ember.tensor([1.5, 2.0])
    assert x.type(ember.LongTensor).dtype == ember.int64
    assert x.type("torch.IntTensor").dtype == ember.int32
    assert x.type(ember.float64).dtype == ember.float64
