"""ember.load on hostile and broken files: nothing runs, nothing big is allocated, one error family."""
from __future__ import annotations

import io
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization._pickle import Global, Persistent, Pickler, Reduce

torch = pytest.importorskip("torch")

HOOKS = Reduce(Global("collections", "OrderedDict"), ())


def pickle_of(node) -> bytes:
    """A protocol-2 pickle of Global/Reduce/Persistent nodes (no real objects needed)."""
    return Pickler(lambda obj: None, "test").dumps(node)


def tensor_node(numel, size, stride=None, key="0", storage="FloatStorage"):
    stride = stride if stride is not None else tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
    pid = Persistent(("storage", Global("torch", storage), key, "cpu", numel))
    return Reduce(Global("torch._utils", "_rebuild_tensor_v2"), (pid, 0, tuple(size), stride, False, HOOKS))


def torch_zip(path, data_pkl: bytes, storages: dict | None = None):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/byteorder", "little")
        for key, raw in (storages or {}).items():
            zf.writestr(f"archive/data/{key}", raw)
        zf.writestr("archive/version", "3\n")
    return path


def legacy_file(path, main_pickle: bytes, keys=(), tail=b""):
    head = b"".join(pickle.dumps(v, protocol=2) for v in (
        0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                       "type_sizes": {"short": 2, "int": 4, "long": 4}}))
    path.write_bytes(head + main_pickle + pickle.dumps(list(keys), protocol=2) + tail)
    return path


def expect_invalid(path, match="", unpickling=False):
    """ember.load raises the one family (RuntimeError; UnpicklingError for pickles) naming the file."""
    with pytest.raises(RuntimeError) as info:
        ember.load(path)
    err = info.value
    assert str(path) in str(err), str(err)
    assert match in str(err), str(err)
    if unpickling:
        assert isinstance(err, pickle.UnpicklingError)
    return err


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


# ----------------------------------------------------------------------------- code execution
@pytest.mark.parametrize("container", ["torch-zip", "legacy", "bare-pickle-protocol-4"])
def test_a_pickle_that_calls_os_system_is_refused_and_nothing_runs(tmp_path, container):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"w": Evil(marker)}, protocol=2)
    assert b"system" in payload
    if container == "torch-zip":
        path = torch_zip(tmp_path / "evil.pt", payload)
    elif container == "legacy":
        path = legacy_file(tmp_path / "evil.pt", payload)
    else:
        path = tmp_path / "evil.pt"
        path.write_bytes(pickle.dumps({"w": Evil(marker)}, protocol=4))
    if container == "bare-pickle-protocol-4":
        expect_invalid(path, "not a valid checkpoint")
    else:
        err = expect_invalid(path, f"refusing to load the global {os.system.__module__}.system", unpickling=True)
        assert "nothing in the file is run" in str(err)
    assert not marker.exists()
    if container == "torch-zip":     # the oracle refuses it too
        with pytest.raises(pickle.UnpicklingError):
            torch.load(path, weights_only=True)
        assert not marker.exists()


@pytest.mark.parametrize("node, message", [
    (Reduce(Global("builtins", "eval"), ("1",)), "refusing to load the global builtins.eval"),
    (Reduce(Global("__builtin__", "getattr"), (1, "real")), "refusing to load the global builtins.getattr"),
    (Reduce(Global("numpy.core.multiarray", "_reconstruct"), ()), "refusing to load the global numpy"),
    (Reduce(Global("torch.nn.modules.linear", "Linear"), ()), "refusing to load the global torch.nn.modules"),
    (Reduce(Global("torch._utils", "_rebuild_sparse_tensor"), ()), "_rebuild_sparse_tensor"),
], ids=["eval", "getattr", "numpy", "module-class", "sparse"])
def test_every_global_outside_the_allow_list_is_refused_by_name(tmp_path, node, message):
    expect_invalid(torch_zip(tmp_path / "bad.pt", pickle_of(node)), message, unpickling=True)


def test_build_on_a_tensor_and_calls_of_non_callables_are_refused(tmp_path):
    storages = {"0": np.ones(2, np.float32).tobytes()}
    build = pickle_of(tensor_node(2, (2,)))[:-1] + pickle.EMPTY_DICT + pickle.BINUNICODE + b"\x05\x00\x00\x00_data" \
        + pickle.NONE + pickle.SETITEM + pickle.BUILD + pickle.STOP
    expect_invalid(torch_zip(tmp_path / "b.pt", build, storages), "BUILD of a Tensor is not allowed", unpickling=True)
    call = b"\x80\x02X\x01\x00\x00\x00x)R."                       # "x"() : REDUCE on a string
    expect_invalid(torch_zip(tmp_path / "c.pt", call), "refusing to call", unpickling=True)


# ----------------------------------------------------------------------------- broken files
def _valid_files(tmp_path):
    sd = {"w": torch.randn(4, 5), "b": torch.arange(3), "nested": [{"x": 1.5}]}
    files = {}
    files["torch"] = tmp_path / "torch.pt"
    torch.save(sd, files["torch"])
    files["legacy"] = tmp_path / "legacy.pt"
    torch.save(sd, files["legacy"], _use_new_zipfile_serialization=False)
    files["ember"] = tmp_path / "ember.pt"
    ember.save(ember.load(files["torch"]), files["ember"])
    files["npz"] = tmp_path / "ember.npz"
    ember.save(ember.load(files["torch"]), files["npz"])
    files["safetensors"] = tmp_path / "m.safetensors"
    ember.save({"w": ember.ones(4, 5), "b": ember.arange(3)}, files["safetensors"])
    return files


@pytest.mark.parametrize("kind", ["torch", "legacy", "ember", "npz", "safetensors"])
def test_truncated_files_raise_one_error_family_naming_the_file(tmp_path, kind):
    path = _valid_files(tmp_path)[kind]
    raw = path.read_bytes()
    ember.load(path)                                            # the whole file is fine
    cut = tmp_path / "cut.pt"
    for n in sorted(set(range(40)) | set(np.linspace(40, len(raw) - 1, 60).astype(int))):
        cut.write_bytes(raw[:n])
        expect_invalid(cut)


@pytest.mark.parametrize("prefix", [b"", b"PK\x03\x04", b"PK\x05\x06", b"\x80\x02\x8a\x0a", b"\x10\x00\x00\x00\x00\x00\x00\x00{",
                                    b"\x80\x02}q\x00("], ids=["plain", "zip", "empty-zip", "legacy", "safetensors", "pickle"])
def test_random_bytes_raise_one_error_family_naming_the_file(tmp_path, prefix):
    rng = np.random.default_rng(1)
    path = tmp_path / "random.bin"
    for size in (1, 7, 8, 9, 31, 100, 1000, 5000):
        for _ in range(3):
            path.write_bytes(prefix + rng.integers(0, 256, size, dtype=np.uint8).tobytes())
            expect_invalid(path)


def test_a_zero_byte_file_is_refused(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    expect_invalid(tmp_path / "empty.pt", "the file is empty (0 bytes)")
    with pytest.raises(RuntimeError, match="empty"):
        ember.load(io.BytesIO(b""))


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("case", ["torch-storage", "torch-tensor", "legacy", "safetensors", "npz"])
def test_a_header_claiming_10_to_the_12_elements_in_a_1_kb_file_is_refused_before_allocating(tmp_path, case):
    huge = 10**12
    path = tmp_path / "huge.pt"
    small = np.ones(4, np.float32).tobytes()
    if case == "torch-storage":
        torch_zip(path, pickle_of(tensor_node(huge, (huge,))), {"0": small})
        match = "claims 1000000000000 elements"
    elif case == "torch-tensor":
        torch_zip(path, pickle_of(tensor_node(4, (10**6, 10**6))), {"0": small})
        match = "reaches element"
    elif case == "legacy":
        pid = Persistent(("storage", Global("torch", "FloatStorage"), "0", "cpu", huge, None))
        node = Reduce(Global("torch._utils", "_rebuild_tensor_v2"), (pid, 0, (huge,), (1,), False, HOOKS))
        legacy_file(path, pickle_of(node), ["0"], np.int64(huge).tobytes() + small)
        match = "truncated"
    elif case == "safetensors":
        header = b'{"w":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4000000000000]}}'
        path.write_bytes(len(header).to_bytes(8, "little") + header + small)
        match = "data section of 16 bytes"
    else:
        hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }".ljust(117) + "\n"
        member = b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() + small
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("__structure__.npy", member)
        match = "claims shape [1000000000000]"
    assert path.stat().st_size < 1024
    peak = _peak_bytes(lambda: expect_invalid(path, match))
    assert peak < 8 * 2**20, peak


def test_a_storage_key_missing_from_the_archive_is_refused(tmp_path):
    path = torch_zip(tmp_path / "m.pt", pickle_of(tensor_node(2, (2,), key="7")),
                     {"0": np.ones(2, np.float32).tobytes()})
    expect_invalid(path, "data.pkl names storage '7', but the archive has no archive/data/7")
    with pytest.raises(RuntimeError):             # torch refuses it too
        torch.load(path, weights_only=True)


def test_a_storage_shorter_than_its_element_count_is_refused(tmp_path):
    path = torch_zip(tmp_path / "m.pt", pickle_of(tensor_node(8, (8,))), {"0": np.ones(2, np.float32).tobytes()})
    expect_invalid(path, "claims 8 elements (32 bytes) but the archive holds 8 bytes")


def test_deeply_nested_pickles_load_without_recursion(tmp_path):
    depth = 100_000
    data = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."      # [[[...]]] built on the unpickler's stack
    out = ember.load(torch_zip(tmp_path / "deep.pt", data))
    n = 1
    while out:
        out, n = out[0], n + 1
    assert n == depth


@pytest.mark.parametrize("kind", ["unbalanced-pickle", "npz-json", "safetensors-json"])
def test_deeply_nested_structures_that_do_not_parse_are_a_clear_error(tmp_path, kind):
    path = tmp_path / "deep.bin"
    if kind == "unbalanced-pickle":
        torch_zip(path, b"\x80\x02" + b"(" * 100_000 + b".")
        match = "invalid pickle"
    elif kind == "npz-json":
        deep = b"[" * 100_000 + b"]" * 100_000
        with zipfile.ZipFile(path, "w") as zf:
            buf = io.BytesIO()
            np.save(buf, np.frombuffer(deep, np.uint8))
            zf.writestr("__structure__.npy", buf.getvalue())
        match = "not a valid ember checkpoint"
    else:
        header = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        path.write_bytes(len(header).to_bytes(8, "little") + header)
        match = "the header is not JSON"
    err = expect_invalid(path, match)
    assert not isinstance(err.__cause__, RecursionError)


@pytest.mark.parametrize("fmt", ["torch", "npz"])
def test_saving_a_too_deeply_nested_object_is_a_clear_error(tmp_path, fmt):
    obj: list = []
    for _ in range(100_000):
        obj = [obj]
    with pytest.raises(ValueError, match="nested too deeply"):
        ember.save(obj, tmp_path / "deep.pt", format=fmt)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- atomic writes
def test_a_failing_write_leaves_the_old_file_intact_and_no_temporary_file(tmp_path, monkeypatch):
    from ember.serialization import _zip

    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    before = path.read_bytes()
    real_add = _zip.ZipWriter.add
    calls = []

    def failing_add(self, name, data):
        calls.append(name)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        real_add(self, name, data)

    monkeypatch.setattr(_zip.ZipWriter, "add", failing_add)
    with pytest.raises(OSError, match="No space left"):
        ember.save({"w": ember.zeros(1000)}, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]
    monkeypatch.undo()
    with pytest.raises(TypeError):
        ember.save({"w": object()}, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]
    np.testing.assert_array_equal(ember.load(path)["w"].numpy(), [1.0, 1.0, 1.0])


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    from ember.serialization import atomic_write

    path = tmp_path / "x.bin"
    path.write_bytes(b"old")
    path.chmod(0o640)
    with atomic_write(path) as fh:
        fh.write(b"new")
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o640
