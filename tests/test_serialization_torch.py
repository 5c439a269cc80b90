"""ember.load / ember.save against the real torch: files written by one open in the other."""
from __future__ import annotations

import mmap
import warnings
import zipfile

import numpy as np
import pytest

import ember
from ember.optim import lr_scheduler as ember_sched

torch = pytest.importorskip("torch")


def torch_load(path, **kw):
    """torch.load(weights_only=True) with every warning an error (a protocol warning would fail)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return torch.load(path, weights_only=True, **kw)


def make_net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3, bias=False)   # a bias before BatchNorm has only rounding-noise gradients
            self.bn = nn.BatchNorm2d(3)
            self.emb = nn.Embedding(7, 4)
            self.fc = nn.Linear(3 * 4 * 4 + 4, 5)

        def forward(self, img, tok):
            h = self.bn(self.conv(img)).relu().flatten(1)
            return self.fc(lib.cat([h, self.emb(tok).mean(1)], 1))

    return Net()


RNG = np.random.default_rng(0)
IMG = RNG.standard_normal((8, 1, 6, 6)).astype(np.float32)
TOK = RNG.integers(0, 7, (8, 3))
Y = RNG.integers(0, 5, 8)


def inputs(lib):
    return lib.tensor(IMG), lib.tensor(TOK), lib.tensor(Y)


def outputs(lib, net):
    net.eval()
    img, tok, _ = inputs(lib)
    with lib.no_grad():
        return net(img, tok).numpy()


def copy_weights(src_torch_net, dst_ember_net):
    dst_ember_net.load_state_dict({k: ember.tensor(v.numpy()) for k, v in src_torch_net.state_dict().items()})


def test_a_torch_state_dict_loads_into_the_ember_model_with_the_same_outputs(tmp_path):
    tnet = make_net(torch)
    for _ in range(2):           # BatchNorm running statistics and num_batches_tracked move
        tnet(*inputs(torch)[:2])
    torch.save(tnet.state_dict(), tmp_path / "m.pt")
    state = ember.load(tmp_path / "m.pt")
    assert list(state) == list(tnet.state_dict())
    assert state._metadata == tnet.state_dict()._metadata
    assert state["bn.num_batches_tracked"].dtype == ember.int64 and state["bn.num_batches_tracked"].item() == 2
    enet = make_net(ember)
    enet.load_state_dict(state)
    np.testing.assert_allclose(outputs(ember, enet), outputs(torch, tnet), rtol=1e-5, atol=1e-6)


def test_an_ember_state_dict_loads_into_the_torch_model_with_the_same_outputs(tmp_path):
    enet = make_net(ember)
    for _ in range(3):
        enet(*inputs(ember)[:2])
    ember.save(enet.state_dict(), tmp_path / "m.pt")
    state = torch_load(tmp_path / "m.pt")
    assert state["bn.num_batches_tracked"].dtype == torch.int64 and state["bn.num_batches_tracked"].item() == 3
    tnet = make_net(torch)
    tnet.load_state_dict(state, strict=True)
    np.testing.assert_allclose(outputs(torch, tnet), outputs(ember, enet), rtol=1e-5, atol=1e-6)


OPTIMIZERS = [("Adam", {"lr": 0.01}), ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
              ("SGD", {"lr": 0.05, "momentum": 0.9})]
SCHEDULERS = [("StepLR", {"step_size": 2, "gamma": 0.5}), ("CosineAnnealingLR", {"T_max": 5})]


class Run:
    """A model, optimizer and scheduler of one library, stepping on the same batch."""

    def __init__(self, lib, opt, sched):
        self.lib = lib
        self.net = make_net(lib)
        self.opt = getattr(lib.optim, opt[0])(self.net.parameters(), **opt[1])
        sched_mod = torch.optim.lr_scheduler if lib is torch else ember_sched
        self.sched = getattr(sched_mod, sched[0])(self.opt, **sched[1])

    def step(self):
        img, tok, y = inputs(self.lib)
        self.net.train()
        self.opt.zero_grad()
        self.lib.nn.functional.cross_entropy(self.net(img, tok), y).backward()
        self.opt.step()
        self.sched.step()

    def state(self):
        return {"model": self.net.state_dict(), "optimizer": self.opt.state_dict(),
                "scheduler": self.sched.state_dict(), "epoch": 3}

    def load(self, ckpt):
        self.net.load_state_dict(ckpt["model"])
        self.opt.load_state_dict(ckpt["optimizer"])
        self.sched.load_state_dict(ckpt["scheduler"])

    def params(self):
        return {k: v.detach().numpy().copy() for k, v in self.net.state_dict().items()}


def assert_bit_identical(a: dict, b: dict):
    assert list(a) == list(b)
    for k, v in a.items():
        np.testing.assert_array_equal(v, b[k], err_msg=k)


def assert_close(a: dict, b: dict):
    for k, v in a.items():
        np.testing.assert_allclose(v, b[k], rtol=2e-5, atol=2e-6, err_msg=k)


@pytest.mark.parametrize("sched", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_torch_training_state_through_ember_and_back_continues_bit_identically(tmp_path, opt, sched):
    t = Run(torch, opt, sched)
    for _ in range(3):
        t.step()
    torch.save(t.state(), tmp_path / "torch.pt")
    e = Run(ember, opt, sched)
    e.load(ember.load(tmp_path / "torch.pt"))
    ember.save(e.state(), tmp_path / "ember.pt")
    back = torch_load(tmp_path / "ember.pt")
    assert back["epoch"] == 3
    for st in back["optimizer"]["state"].values():
        if "step" in st:             # torch's step counters: float32 0-d tensors
            assert st["step"].dtype == torch.float32 and st["step"].dim() == 0
    t2 = Run(torch, opt, sched)
    t2.load(back)
    assert t2.opt.state_dict()["param_groups"] == t.opt.state_dict()["param_groups"]
    t.step(), t2.step(), e.step()
    assert_bit_identical(t2.params(), t.params())
    assert_close(e.params(), t.params())
    assert e.opt.param_groups[0]["lr"] == pytest.approx(t.opt.param_groups[0]["lr"], rel=1e-12)


@pytest.mark.parametrize("sched", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
@pytest.mark.parametrize("opt", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_ember_training_state_through_torch_and_back_continues_bit_identically(tmp_path, opt, sched):
    e = Run(ember, opt, sched)
    for _ in range(3):
        e.step()
    ember.save(e.state(), tmp_path / "ember.pt")
    t = Run(torch, opt, sched)
    t.load(torch_load(tmp_path / "ember.pt"))
    torch.save(t.state(), tmp_path / "torch.pt")
    e2 = Run(ember, opt, sched)
    e2.load(ember.load(tmp_path / "torch.pt"))
    e.step(), e2.step(), t.step()
    assert_bit_identical(e2.params(), e.params())
    assert_close(t.params(), e.params())
    assert t.opt.param_groups[0]["lr"] == pytest.approx(e.opt.param_groups[0]["lr"], rel=1e-12)


# ----------------------------------------------------------------------------- tensors of every kind
TORCH_DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64", "bool"]


def _torch_tensor(name, shape=(2, 3)):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g) * 40
    return (x > 0) if name == "bool" else x.to(getattr(torch, name))


@pytest.mark.parametrize("name", TORCH_DTYPES)
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_tensors_of_every_dtype_load_exactly(tmp_path, name, legacy):
    x = _torch_tensor(name)
    torch.save({"x": x}, tmp_path / "t.pt", _use_new_zipfile_serialization=not legacy)
    got = ember.load(tmp_path / "t.pt")["x"]
    if name == "bfloat16":      # ember has no bfloat16: loaded exactly into float32
        assert got.dtype == ember.float32
        np.testing.assert_array_equal(got.numpy(), x.float().numpy())
    else:
        assert got.dtype == getattr(ember, name)
        np.testing.assert_array_equal(got.numpy(), x.numpy())


@pytest.mark.parametrize("name", [n for n in TORCH_DTYPES if n != "bfloat16"])
def test_ember_tensors_of_every_dtype_load_in_torch_exactly(tmp_path, name):
    x = ember.tensor(_torch_tensor(name).numpy())
    ember.save({"x": x}, tmp_path / "t.pt")
    got = torch_load(tmp_path / "t.pt")["x"]
    assert got.dtype == getattr(torch, name)
    np.testing.assert_array_equal(got.numpy(), x.numpy())


def test_bfloat16_loaded_from_torch_saves_as_float32(tmp_path):
    x = torch.tensor([1.5, -3.25, 1e30], dtype=torch.bfloat16)
    torch.save(x, tmp_path / "bf.pt")
    ember.save(ember.load(tmp_path / "bf.pt"), tmp_path / "back.pt")
    back = torch_load(tmp_path / "back.pt")
    assert back.dtype == torch.float32 and torch.equal(back, x.float())


def test_zero_dim_empty_and_non_contiguous_tensors_both_ways(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"scalar": torch.tensor(3.5), "int_scalar": torch.tensor(7), "empty": torch.zeros(0, 3),
           "empty_int": torch.zeros(2, 0, dtype=torch.int64), "t": base.t(), "strided": base[::2, 1::3],
           "expanded": torch.arange(3.0).expand(4, 3)}
    torch.save(obj, tmp_path / "a.pt")
    got = ember.load(tmp_path / "a.pt")
    for k, v in obj.items():
        assert tuple(got[k].shape) == tuple(v.shape), k
        np.testing.assert_array_equal(got[k].numpy(), v.numpy(), err_msg=k)
    ember.save(got, tmp_path / "b.pt")
    back = torch_load(tmp_path / "b.pt")
    for k, v in obj.items():
        assert back[k].shape == v.shape and back[k].dtype == v.dtype and torch.equal(back[k], v), k
        assert back[k].stride() == v.stride(), k        # views keep their strides over one storage


def test_views_of_one_storage_load_as_shared_memory_and_save_as_one_storage(tmp_path):
    x = torch.arange(12.0).reshape(3, 4)
    torch.save({"x": x, "row": x[1], "col": x[:, 2], "t": x.t()}, tmp_path / "v.pt")
    got = ember.load(tmp_path / "v.pt")
    assert all(np.shares_memory(got[k].numpy(), got["x"].numpy()) for k in ("row", "col", "t"))
    got["x"].numpy()[1, 2] = -1.0             # one buffer: a write shows through every view
    assert got["row"].numpy()[2] == -1.0 and got["col"].numpy()[1] == -1.0 and got["t"].numpy()[2, 1] == -1.0

    ember.save(got, tmp_path / "e.pt")
    assert sum(n.startswith("e/data/") for n in zipfile.ZipFile(tmp_path / "e.pt").namelist()) == 1
    back = torch_load(tmp_path / "e.pt")
    ptr = back["x"].untyped_storage().data_ptr()
    assert all(back[k].untyped_storage().data_ptr() == ptr for k in ("row", "col", "t"))
    assert back["row"][2].item() == -1.0 and back["col"].storage_offset() == 2


def test_storages_are_64_byte_aligned_and_the_pickle_is_protocol_2(tmp_path):
    ember.save({"a": ember.ones(3), "b": ember.zeros(5, dtype=ember.int8), "c": ember.ones(7, dtype=ember.float64)},
               tmp_path / "m.pt")
    raw = (tmp_path / "m.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "m.pt") as zf:
        assert zf.testzip() is None                      # every CRC is right
        assert zf.read("m/data.pkl")[:2] == b"\x80\x02"
        assert zf.read("m/byteorder") == b"little" and zf.read("m/version") == b"3\n"
        for info in zf.infolist():
            if "/data/" in info.filename:
                name_len, extra_len = np.frombuffer(raw, "<u2", 2, info.header_offset + 26)
                assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


def test_the_same_tensor_and_the_metadata_of_a_state_dict_survive_both_ways(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    sd = tnet.state_dict()
    torch.save({"sd": sd, "again": sd["0.weight"]}, tmp_path / "a.pt")
    got = ember.load(tmp_path / "a.pt")
    assert got["again"] is got["sd"]["0.weight"] and got["sd"]._metadata == sd._metadata
    ember.save(got, tmp_path / "b.pt")
    back = torch_load(tmp_path / "b.pt")
    assert back["again"] is back["sd"]["0.weight"] and back["sd"]._metadata == sd._metadata


def test_parameters_and_plain_values_of_a_torch_checkpoint(tmp_path):
    obj = {"p": torch.nn.Parameter(torch.ones(2)), "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False),
           "size": torch.Size([2, 3]), "dev": torch.device("cpu"), "dtype": torch.float16, "big": 2**70,
           "nested": [(1, 2.5, None, "s"), {"k": [True]}], "bytes": b"\x00\x01"}
    torch.save(obj, tmp_path / "a.pt")
    got = ember.load(tmp_path / "a.pt")
    assert isinstance(got["p"], ember.nn.Parameter) and got["p"].requires_grad
    assert isinstance(got["frozen"], ember.nn.Parameter) and not got["frozen"].requires_grad
    assert got["size"] == ember.Size([2, 3]) and type(got["size"]) is ember.Size
    assert got["dev"] == ember.device("cpu") and got["dtype"] is ember.float16
    assert got["big"] == 2**70 and got["nested"] == obj["nested"] and got["bytes"] == b"\x00\x01"
    ember.save(got, tmp_path / "b.pt")
    back = torch_load(tmp_path / "b.pt")
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].requires_grad and not back["frozen"].requires_grad
    assert back["size"] == torch.Size([2, 3]) and back["dev"] == torch.device("cpu") and back["dtype"] is torch.float16
    assert back["nested"] == obj["nested"] and back["big"] == 2**70


def test_the_legacy_format_with_views_parameters_and_metadata(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    x = torch.arange(6.0).reshape(2, 3)
    obj = {"sd": tnet.state_dict(), "x": x, "row": x[1], "p": torch.nn.Parameter(torch.ones(2))}
    torch.save(obj, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(tmp_path / "old.pt")
    got = ember.load(tmp_path / "old.pt")
    for k, v in tnet.state_dict().items():
        np.testing.assert_array_equal(got["sd"][k].numpy(), v.numpy(), err_msg=k)
    assert got["sd"]._metadata == tnet.state_dict()._metadata
    assert np.shares_memory(got["row"].numpy(), got["x"].numpy()) and got["row"].numpy().tolist() == [3, 4, 5]
    assert isinstance(got["p"], ember.nn.Parameter) and got["p"].requires_grad
    np.testing.assert_array_equal(got["p"].detach().numpy(), [1.0, 1.0])


@pytest.mark.parametrize("writer", ["torch", "ember", "legacy", "safetensors"])
def test_mmap_maps_the_file_copy_on_write(tmp_path, writer):
    path = tmp_path / ("m.safetensors" if writer == "safetensors" else "m.pt")
    w = torch.arange(1000.0).reshape(10, 100)
    if writer == "ember":
        ember.save({"w": ember.tensor(w.numpy())}, path)
    elif writer == "safetensors":
        pytest.importorskip("safetensors.torch").save_file({"w": w}, str(path))
    else:
        torch.save({"w": w}, path, _use_new_zipfile_serialization=writer == "torch")
    before = path.read_bytes()
    got = ember.load(path, mmap=True)["w"]
    arr = got.numpy()
    base = arr
    while isinstance(base, np.ndarray):
        base = base.base
    assert isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)   # a view of the file's map
    np.testing.assert_array_equal(arr, w.numpy())
    got.add_(1.0)                                      # private to the process: the file is unchanged
    np.testing.assert_array_equal(arr, w.numpy() + 1)
    assert path.read_bytes() == before


def test_mmap_needs_a_path(tmp_path):
    import io

    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(b"x"), mmap=True)


@pytest.mark.parametrize("map_location", ["cpu", "cuda:0", ember.device("cpu"), {"cuda:1": "cpu"},
                                          lambda storage, loc: storage, lambda storage, loc: None],
                         ids=["str", "cuda-str", "device", "dict", "callable", "callable-none"])
def test_map_location_forms_all_load_onto_the_cpu(tmp_path, map_location):
    torch.save({"w": torch.ones(2)}, tmp_path / "m.pt")
    got = ember.load(tmp_path / "m.pt", map_location=map_location)
    np.testing.assert_array_equal(got["w"].numpy(), [1.0, 1.0])


def test_map_location_to_an_unknown_device_is_a_runtime_error(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match=r"m\.pt: cannot load storage '0' onto 'tpu'"):
        ember.load(tmp_path / "m.pt", map_location="tpu")


def test_a_cuda_location_in_the_file_loads_onto_the_cpu(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "m.pt")
    with zipfile.ZipFile(tmp_path / "m.pt") as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    pkl = members["m/data.pkl"]
    assert b"X\x03\x00\x00\x00cpu" in pkl
    members["m/data.pkl"] = pkl.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    with zipfile.ZipFile(tmp_path / "cuda.pt", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    np.testing.assert_array_equal(ember.load(tmp_path / "cuda.pt")["w"].numpy(), [1.0, 1.0])
