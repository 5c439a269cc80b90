"""safetensors files: written by safetensors.torch load in ember, and the reverse, metadata included."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
st = pytest.importorskip("safetensors.torch")
from safetensors import safe_open

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64", "bool"]


def _tensors():
    g = torch.Generator().manual_seed(0)
    out = {}
    for name in DTYPES:
        x = torch.randn(3, 4, generator=g) * 40
        out[name] = (x > 0) if name == "bool" else x.to(getattr(torch, name))
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 3)
    return out


def test_files_written_by_safetensors_load_in_ember_with_metadata(tmp_path):
    tensors = _tensors()
    st.save_file(tensors, str(tmp_path / "m.safetensors"), metadata={"format": "pt", "epoch": "3"})
    got = ember.load(tmp_path / "m.safetensors")
    assert sorted(got) == sorted(tensors)
    for k, v in tensors.items():
        expected = v.float() if v.dtype == torch.bfloat16 else v          # bfloat16 -> exact float32
        assert got[k].dtype == getattr(ember, str(expected.dtype).split(".")[1]), k
        assert tuple(got[k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(got[k].numpy(), expected.numpy(), err_msg=k)
    assert ember.serialization.safetensors_metadata(tmp_path / "m.safetensors") == {"format": "pt", "epoch": "3"}


def test_files_written_by_ember_load_in_safetensors_with_metadata(tmp_path):
    tensors = {k: ember.tensor(v.numpy()) for k, v in _tensors().items() if k != "bfloat16"}
    tensors["strided"] = ember.arange(12.0).reshape(3, 4).t()              # non-contiguous: written contiguously
    path = tmp_path / "e.safetensors"
    ember.save(tensors, path, metadata={"source": "ember"})
    got = st.load_file(str(path))
    assert sorted(got) == sorted(tensors)
    for k, v in tensors.items():
        assert str(got[k].dtype) == f"torch.{v.dtype.name}" and tuple(got[k].shape) == tuple(v.shape), k
        np.testing.assert_array_equal(got[k].numpy(), v.numpy(), err_msg=k)
    with safe_open(str(path), framework="pt") as f:
        assert f.metadata() == {"source": "ember"}
    assert ember.serialization.safetensors_metadata(path) == {"source": "ember"}


def test_a_model_state_dict_round_trips_through_safetensors(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    st.save_file(tnet.state_dict(), str(tmp_path / "t.safetensors"))
    enet = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3))
    enet.load_state_dict(ember.load(tmp_path / "t.safetensors"))
    ember.save(enet.state_dict(), tmp_path / "e.safetensors")
    tnet2 = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    tnet2.load_state_dict(st.load_file(str(tmp_path / "e.safetensors")))
    for k, v in tnet.state_dict().items():
        assert torch.equal(tnet2.state_dict()[k], v), k


def test_safetensors_from_a_file_object_and_with_mmap(tmp_path):
    path = tmp_path / "m.safetensors"
    st.save_file({"w": torch.arange(6.0)}, str(path))
    with open(path, "rb") as fh:
        np.testing.assert_array_equal(ember.load(fh)["w"].numpy(), np.arange(6.0))
    np.testing.assert_array_equal(ember.load(path, mmap=True)["w"].numpy(), np.arange(6.0))


def _write(path, header: dict, data: bytes):
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


@pytest.mark.parametrize("header, message", [
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, "needs 8 bytes"),
    ({"w": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, "bad entry for 'w'"),
    ({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, "bad entry for 'w'"),
    ({"w": {"dtype": "F32", "shape": [2]}}, "bad entry for 'w'"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, "overlap"),
    ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, "data section of 8 bytes"),
], ids=["short-offsets", "dtype", "negative-shape", "no-offsets", "overlap", "past-the-end"])
def test_inconsistent_headers_are_refused(tmp_path, header, message):
    path = _write(tmp_path / "bad.safetensors", header, b"\x00" * 8)
    with pytest.raises(RuntimeError, match=message) as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_metadata_must_be_strings_and_only_safetensors_stores_it(tmp_path):
    with pytest.raises(TypeError, match="metadata must be a dict of str -> str"):
        ember.save({"w": ember.ones(1)}, tmp_path / "m.safetensors", metadata={"epoch": 3})
    with pytest.raises(ValueError, match="metadata is stored only in safetensors files"):
        ember.save({"w": ember.ones(1)}, tmp_path / "m.pt", metadata={"a": "b"})
    with pytest.raises(TypeError, match="stores a dict of str -> Tensor"):
        ember.save([ember.ones(1)], tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []
