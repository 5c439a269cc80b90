"""The ``[data]`` section: bundled digits, CSV, NPZ and MNIST-format IDX files; splits; batches.

Every loader returns float32 inputs and int64 labels 0..C−1. A missing or malformed file raises
``UsageError`` naming the file and what is wrong.
"""
from __future__ import annotations

import csv
import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from .errors import UsageError


@dataclass
class Splits:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    input_shape: tuple          # shape of one sample, e.g. (64,) or (1, 8, 8)
    source: str

    @property
    def num_features(self) -> int:
        return int(np.prod(self.input_shape))


# ----------------------------------------------------------------------------- loaders
def _labels(y, path) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise UsageError(f"{path}: labels must be one-dimensional, got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise UsageError(f"{path}: labels must be whole numbers 0..C-1 (class indices)")
    if y.dtype.kind not in "iuf":
        # string labels: map sorted distinct values to 0..C-1
        _, y = np.unique(y, return_inverse=True)
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise UsageError(f"{path}: labels must be class indices >= 0, found {y.min()}")
    return y


def load_digits_data():
    from ember.datasets import load_digits

    x, y = load_digits(as_images=True)
    return x[:, None, :, :], y, "digits (bundled, UCI, CC BY 4.0)"


def load_csv(path, target):
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"data file {str(path)!r} does not exist")
    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read data file {str(path)!r}: {e}") from None
    rows = [r for r in rows if r]
    if len(rows) < 2:
        raise UsageError(f"{path}: expected a header row and at least one data row, found {len(rows)} row(s)")
    header = [h.strip() for h in rows[0]]
    if isinstance(target, int):
        if not -len(header) <= target < len(header):
            raise UsageError(f"{path}: target column index {target} is out of range for {len(header)} columns")
        col = target % len(header)
    elif target in header:
        col = header.index(target)
    else:
        from .errors import closest

        guess = closest(target, header)
        hint = f"; did you mean {guess!r}?" if guess else ""
        raise UsageError(f"{path}: no target column {target!r}{hint} Columns: {', '.join(header)}")
    feats, labels = [], []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UsageError(f"{path}, line {lineno}: expected {len(header)} fields, found {len(row)}")
        try:
            feats.append([float(v) for i, v in enumerate(row) if i != col])
        except ValueError:
            bad = next(v for i, v in enumerate(row) if i != col and not _is_float(v))
            raise UsageError(f"{path}, line {lineno}: {bad!r} is not a number") from None
        labels.append(row[col].strip())
    y = np.array(labels)
    if all(_is_float(v) for v in labels):
        y = y.astype(np.float64)
    return np.asarray(feats, dtype=np.float32), _labels(y, path), f"csv {path}"


def _is_float(v) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def load_npz(path, x_key, y_key):
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"data file {str(path)!r} does not exist")
    import zipfile

    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path}: not an .npz archive (not a zip file); expected arrays saved with numpy.savez")
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.files)
            missing = [k for k in (x_key, y_key) if k not in keys]
            if missing:
                raise UsageError(f"{path}: no array named {missing[0]!r}; the file holds {', '.join(keys) or 'nothing'} "
                                 "(set data.x_key / data.y_key)")
            x, y = z[x_key], z[y_key]
    except UsageError:
        raise
    except Exception as e:  # zipfile.BadZipFile, ValueError (pickled object arrays), OSError
        raise UsageError(f"{path}: not a readable .npz file ({type(e).__name__}: {e})") from None
    if x.dtype.kind not in "iufb":
        raise UsageError(f"{path}: array {x_key!r} must be numeric, got dtype {x.dtype}")
    if len(x) != len(y):
        raise UsageError(f"{path}: {x_key!r} has {len(x)} samples but {y_key!r} has {len(y)}")
    return x.astype(np.float32), _labels(y, path), f"npz {path}"


_IDX_TYPES: dict[int, DTypeLike] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """One MNIST-format IDX file (optionally gzipped): magic 0x0000TTNN, NN big-endian sizes, data."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as e:
        raise UsageError(f"cannot read IDX file {str(path)!r}: {e}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise UsageError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UsageError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    need = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != need:
        raise UsageError(f"{path}: IDX header promises shape {shape} ({need} bytes) but the file holds "
                         f"{len(raw) - header} bytes of data")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _find(folder: Path, stem: str):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_idx(folder):
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"IDX data folder {str(folder)!r} does not exist")
    parts = {}
    for split in ("train", "t10k"):
        images = _find(folder, f"{split}-images-idx3-ubyte")
        labels = _find(folder, f"{split}-labels-idx1-ubyte")
        if images and labels:
            x, y = read_idx(images), read_idx(labels)
            if len(x) != len(y):
                raise UsageError(f"{images}: {len(x)} images but {labels.name} has {len(y)} labels")
            parts[split] = (x.astype(np.float32)[:, None], _labels(y, labels))
    if "train" not in parts:
        raise UsageError(f"{folder}: no train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] pair found")
    return parts, f"idx {folder}"


# ----------------------------------------------------------------------------- splits
def load(cfg_data: dict) -> Splits:
    """Load the dataset of a ``[data]`` section and split it into train / val / test."""
    d = cfg_data
    test = None
    name = d["name"]
    if name != "digits" and not d["path"]:
        raise UsageError(f"[data] name = {name!r} needs a path (data.path = 'file or folder')")
    if name == "digits":
        x, y, source = load_digits_data()
    elif name == "csv":
        x, y, source = load_csv(d["path"], d["target"])
    elif name == "npz":
        x, y, source = load_npz(d["path"], d["x_key"], d["y_key"])
    else:
        parts, source = load_idx(d["path"])
        x, y = parts["train"]
        test = parts.get("t10k")
    _check_finite(x, source)
    if test is not None:
        _check_finite(test[0], source + " (t10k)")
    if d["image_shape"]:
        shape = tuple(int(s) for s in d["image_shape"])
        if int(np.prod(shape)) != int(np.prod(x.shape[1:])):
            raise UsageError(f"[data] image_shape {list(shape)} does not hold the {int(np.prod(x.shape[1:]))} "
                             f"features per sample of {source}")
        x = x.reshape((len(x),) + shape)
    if len(x) < 3:
        raise UsageError(f"{source}: needs at least 3 samples, found {len(x)}")
    rng = np.random.default_rng(d["split_seed"])
    order = rng.permutation(len(x))
    n_test = 0 if test is not None else int(round(d["test_split"] * len(x)))
    n_val = int(round(d["val_split"] * len(x)))
    i_test, i_val, i_train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    if test is None:
        test = (x[i_test], y[i_test])
    x_train, y_train = x[i_train], y[i_train]
    x_val, y_val = x[i_val], y[i_val]
    x_test, y_test = test
    num_classes = int(max(y.max(), y_test.max() if len(y_test) else 0)) + 1
    if d["standardize"]:
        mean = x_train.mean(axis=0, keepdims=True)
        std = x_train.std(axis=0, keepdims=True)
        std = np.where(std < 1e-6, 1.0, std).astype(np.float32)
        x_train, x_val, x_test = ((a - mean) / std for a in (x_train, x_val, x_test))
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return Splits(f32(x_train), y_train, f32(x_val), y_val, f32(x_test), y_test, num_classes,
                  tuple(x.shape[1:]), source)


def _check_finite(x, source) -> None:
    """Non-finite features would give NaN predictions mid-run: name the sample now."""
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1) if x.dtype.kind == "f" and x.size else None
    if bad is not None and bad.any():
        raise UsageError(f"{source}: {int(bad.sum())} sample(s) hold NaN or infinite feature values, the first is "
                         f"sample {int(np.argmax(bad))} (0-based); remove or impute them")


def make_loader(x, y, batch_size, *, shuffle, generator=None):
    """An ``ember.utils.data.DataLoader`` over a ``TensorDataset`` of the arrays (no copy)."""
    import ember
    from ember.utils.data import DataLoader, TensorDataset

    dataset = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)
