"""ember.save / ember.load: round trips of tensors and state dicts in torch's format and ember's npz."""
import io
import math
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


FORMATS = pytest.mark.parametrize("fmt", ["torch", "npz"])


def roundtrip(obj, tmp_path=None, fmt="torch"):
    if tmp_path is None:
        buf = io.BytesIO()
        ember.save(obj, buf, format=fmt)
        buf.seek(0)
        return ember.load(buf)
    path = tmp_path / ("ckpt.pt" if fmt == "torch" else "ckpt.npz")
    ember.save(obj, path)
    return ember.load(path)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)])
@FORMATS
def test_tensor_of_every_dtype_round_trips(dtype, shape, fmt):
    arr = np.asarray(np.random.default_rng(0).standard_normal(shape) * 50).astype(dtype)
    t = ember.from_numpy(arr.copy())
    out = roundtrip(t, fmt=fmt)
    assert type(out) is ember.Tensor and out.dtype == t.dtype and out.shape == t.shape
    np.testing.assert_array_equal(out.numpy(), arr)
    assert not out.requires_grad


@FORMATS
def test_float_special_values_survive_in_tensors_and_python_floats(tmp_path, fmt):
    t = ember.tensor([math.inf, -math.inf, math.nan, -0.0, 1e-45, 3.4e38])
    obj = {"t": t, "floats": [math.inf, -math.inf, math.nan, -0.0, 1.0 / 3.0, 1e308]}
    out = roundtrip(obj, tmp_path, fmt)
    np.testing.assert_array_equal(out["t"].numpy(), t.numpy())
    assert np.signbit(out["t"].numpy()[3])
    got = out["floats"]
    assert got[0] == math.inf and got[1] == -math.inf and math.isnan(got[2])
    assert got[3] == 0.0 and math.copysign(1, got[3]) == -1 and got[4] == 1.0 / 3.0 and got[5] == 1e308
    assert all(type(v) is float for v in got)


@FORMATS
def test_parameters_and_requires_grad_round_trip(fmt):
    obj = {"p": nn.Parameter(ember.randn(3)), "frozen": nn.Parameter(ember.randn(2), requires_grad=False),
           "leaf": ember.ones(2, requires_grad=True), "plain": ember.zeros(2)}
    out = roundtrip(obj, fmt=fmt)
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], nn.Parameter) and not out["frozen"].requires_grad
    assert not isinstance(out["leaf"], nn.Parameter) and out["leaf"].requires_grad and out["leaf"].is_leaf
    assert not isinstance(out["plain"], nn.Parameter) and not out["plain"].requires_grad
    np.testing.assert_array_equal(out["p"].detach().numpy(), obj["p"].detach().numpy())


@FORMATS
def test_plain_python_structures_round_trip_with_their_types(fmt):
    obj = {
        "none": None, "bools": [True, False], "int": 7, "big": 2**80, "neg": -3, "str": "héllo \"quoted\"",
        "list": [1, [2, (3, "x")], []], "tuple": (1, 2.5, None), "empty_tuple": (), "empty_dict": {},
        "dtype": ember.float64, "dtypes": [ember.int64, ember.bool, ember.float16],
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "int_keys": {0: "a", 1: "b"}, "mixed_keys": {1: "int", "1": "str", (2, 3): "tuple", None: "none",
                                                     2.5: "float", False: "bool"},
        "looks_special": {"__tensor__": 0, "__float__": "nan", "__dict__": []},
    }
    out = roundtrip(obj, fmt=fmt)
    assert out == obj
    assert type(out["tuple"]) is tuple and type(out["list"][1][1]) is tuple and type(out["ordered"]) is OrderedDict
    assert type(out["int_keys"]) is dict and list(out["ordered"]) == ["b", "a"]
    assert out["dtype"] is ember.float64 and out["big"] == 2**80
    assert list(out["mixed_keys"]) == list(obj["mixed_keys"])


def test_numpy_arrays_and_scalars_keep_their_types():
    obj = {"arr": np.arange(6, dtype=np.int16).reshape(2, 3), "f32": np.float32(1.5), "i64": np.int64(-4),
           "b": np.bool_(True), "strs": np.array(["ab", "c"])}
    out = roundtrip(obj, fmt="npz")
    assert isinstance(out["arr"], np.ndarray) and out["arr"].dtype == np.int16
    np.testing.assert_array_equal(out["arr"], obj["arr"])
    for k in ("f32", "i64", "b"):
        assert type(out[k]) is type(obj[k]) and out[k] == obj[k]
    np.testing.assert_array_equal(out["strs"], obj["strs"])


@FORMATS
def test_the_same_tensor_saved_twice_loads_as_one_object(fmt):
    t = ember.randn(3)
    out = roundtrip({"a": t, "b": [t], "c": ember.randn(3)}, fmt=fmt)
    assert out["a"] is out["b"][0] and out["a"] is not out["c"]


@FORMATS
def test_loaded_tensors_are_writable_and_independent_of_the_saved_ones(fmt):
    t = ember.zeros(3)
    out = roundtrip(t, fmt=fmt)
    out.add_(1.0)
    np.testing.assert_array_equal(t.numpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(out.numpy(), np.ones(3, np.float32))


def _mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))


@FORMATS
def test_module_state_dict_round_trip_reproduces_torch_outputs(tmp_path, fmt):
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    model = _mlp()
    model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tmodel.state_dict().items()})
    ember.save(model.state_dict(), tmp_path / "model.pt", format=fmt)
    state = ember.load(tmp_path / "model.pt")
    assert type(state) is OrderedDict and list(state) == list(tmodel.state_dict())
    fresh = _mlp()
    fresh.load_state_dict(state)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    expected = tmodel(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(fresh(ember.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@FORMATS
def test_optimizer_and_scheduler_state_survive_a_file_round_trip(tmp_path, fmt):
    from ember.optim.lr_scheduler import StepLR

    rng = np.random.default_rng(0)
    x, y = ember.tensor(rng.standard_normal((16, 4)).astype(np.float32)), ember.tensor(rng.integers(0, 3, 16))

    def step(model, opt, sched):
        opt.zero_grad()
        loss = -model(x).log_softmax(1).gather(1, y.unsqueeze(1)).mean()
        loss.backward()
        opt.step()
        sched.step()

    model = _mlp()
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        step(model, opt, sched)
    ember.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(), "epoch": 3},
               tmp_path / "ckpt.pt", format=fmt)
    ckpt = ember.load(tmp_path / "ckpt.pt")
    assert ckpt["epoch"] == 3 and sorted(ckpt["optim"]["state"]) == [0, 1, 2, 3, 4, 5]
    assert ckpt["optim"]["param_groups"][0]["betas"] == (0.9, 0.999)

    model2 = _mlp()
    model2.load_state_dict(ckpt["model"])
    opt2 = ember.optim.Adam(model2.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["optim"])
    sched2 = StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(ckpt["sched"])
    for _ in range(3):
        step(model, opt, sched)
        step(model2, opt2, sched2)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for (k, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_npz_file_is_a_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "ckpt"
    ember.save({"w": ember.randn(2, 2), 0: [1, None], "n": np.arange(3)}, str(path), format="npz")
    assert path.exists() and not (tmp_path / "ckpt.npz").exists()  # written as given, no suffix added
    with zipfile.ZipFile(path) as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}  # raises if any member needed pickle
    assert "__structure__" in arrays and all(a.dtype != object for a in arrays.values())
    raw = path.read_bytes()
    assert b"cnumpy" not in raw and b"ctorch" not in raw and b"\x80\x04\x95" not in raw  # no pickle opcodes


@pytest.mark.parametrize("suffix, fmt", [(".pt", "torch"), (".pth", "torch"), (".bin", "torch"), (".ckpt", "torch"),
                                         (".npz", "npz"), (".safetensors", "safetensors")])
def test_the_default_format_follows_the_suffix(tmp_path, suffix, fmt):
    path = tmp_path / f"m{suffix}"
    ember.save({"w": ember.ones(2)}, path)
    raw = path.read_bytes()
    if fmt == "torch":
        assert zipfile.ZipFile(path).namelist()[0] == "m/data.pkl"
        np.testing.assert_array_equal(torch.load(path, weights_only=True)["w"].numpy(), [1.0, 1.0])
    elif fmt == "npz":
        assert "__structure__.npy" in zipfile.ZipFile(path).namelist()
    else:
        assert raw[8:9] == b"{"
    np.testing.assert_array_equal(ember.load(path)["w"].numpy(), [1.0, 1.0])


NPZ_UNSUPPORTED = [object(), {1, 2}, 1 + 2j, b"bytes", lambda: 0, np.array([object()]), nn.Linear(2, 2)]
TORCH_UNSUPPORTED = [object(), frozenset({1}), lambda: 0, np.array([1.0]), np.array([object()]), nn.Linear(2, 2)]


@pytest.mark.parametrize("fmt, bad", [("npz", b) for b in NPZ_UNSUPPORTED] + [("torch", b) for b in TORCH_UNSUPPORTED],
                         ids=[f"npz-{type(b).__name__}" for b in NPZ_UNSUPPORTED]
                         + [f"torch-{type(b).__name__}" for b in TORCH_UNSUPPORTED])
def test_unsupported_objects_raise_a_clear_type_error_and_write_nothing(tmp_path, fmt, bad):
    path = tmp_path / "bad.pt"
    with pytest.raises(TypeError, match="ember.save.* cannot store"):
        ember.save({"ok": ember.zeros(1), "bad": [bad]}, path, format=fmt)
    assert not path.exists() and list(tmp_path.iterdir()) == []   # no temporary file left either


def test_torch_format_stores_sets_complex_and_bytes_as_torch_does(tmp_path):
    obj = {"set": {1, 2}, "complex": 1 + 2j, "bytes": b"\x00\xff", "bytearray": bytearray(b"ab")}
    ember.save(obj, tmp_path / "x.pt")
    assert ember.load(tmp_path / "x.pt") == obj == torch.load(tmp_path / "x.pt", weights_only=True)


@FORMATS
def test_module_error_suggests_state_dict(fmt):
    with pytest.raises(TypeError, match=r"Linear.*state_dict\(\)"):
        ember.save(nn.Linear(2, 2), io.BytesIO(), format=fmt)


def test_loading_files_of_no_known_format_raises_runtime_error_naming_the_file(tmp_path):
    text = tmp_path / "x.txt"
    text.write_text("hello")
    with pytest.raises(RuntimeError, match=r"x\.txt: not a valid checkpoint"):
        ember.load(text)
    npz = tmp_path / "plain.npz"
    np.savez(npz, a=np.zeros(2))
    with pytest.raises(RuntimeError, match=r"plain\.npz: not a torch checkpoint"):
        ember.load(npz)


@FORMATS
def test_load_accepts_torch_keyword_arguments(fmt):
    buf = io.BytesIO()
    ember.save([ember.ones(1)], buf, format=fmt)
    buf.seek(0)
    out = ember.load(buf, map_location="cpu", weights_only=True)
    np.testing.assert_array_equal(out[0].numpy(), [1.0])
