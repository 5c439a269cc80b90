"""ember.utils.data against torch.utils.data: batches, samplers, collation, splits and errors."""
import collections
import os
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ed

torch = pytest.importorskip("torch")
import torch.utils.data as td  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])


# ---- helpers ------------------------------------------------------------------------------------
def _plain(obj):
    """A comparable form of a collated batch: tensors → (numpy array, dtype name); containers kept."""
    if isinstance(obj, ember.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.numpy())
    if isinstance(obj, torch.Tensor):
        return ("tensor", str(obj.dtype).split(".")[-1], obj.numpy())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, tuple(_plain(v) for v in obj))
    if isinstance(obj, dict):
        return ("dict", {k: _plain(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return ("list", [_plain(v) for v in obj])
    if isinstance(obj, tuple):
        return ("tuple", [_plain(v) for v in obj])
    return ("leaf", obj)


def assert_same(a, b):
    pa, pb = _plain(a), _plain(b)
    _assert_plain(pa, pb)


def _assert_plain(pa, pb):
    assert pa[0] == pb[0], (pa, pb)
    if pa[0] == "tensor":
        assert pa[1] == pb[1], f"dtype {pa[1]} != {pb[1]}"
        np.testing.assert_array_equal(pa[2], pb[2])
    elif pa[0] == "dict":
        assert list(pa[1]) == list(pb[1])
        for k in pa[1]:
            _assert_plain(pa[1][k], pb[1][k])
    elif pa[0] in ("list", "tuple") or isinstance(pa[1], tuple):
        assert len(pa[1]) == len(pb[1])
        for x, y in zip(pa[1], pb[1]):
            _assert_plain(x, y)
    else:
        assert pa[1] == pb[1]


def _data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, 3, 2)).astype(np.float32), rng.integers(0, 5, n), rng.random(n) > 0.5,
            rng.standard_normal(n)]


def _datasets(arrays):
    return (ed.TensorDataset(*[ember.tensor(a) for a in arrays]),
            td.TensorDataset(*[torch.tensor(a) for a in arrays]))


class Rows(ed.Dataset):
    """A map-style dataset that is not a TensorDataset (forces per-sample fetch + collate)."""

    def __init__(self, *tensors):
        self.tensors = tensors

    def __getitem__(self, i):
        return tuple(t[i] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Stream(ed.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TStream(td.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ---- batching vs torch --------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True), (23, False), (50, False),
                                                  (50, True), (5, True)])
def test_tensor_dataset_batches_equal_torch_without_shuffle(batch_size, drop_last):
    ds, tds = _datasets(_data())
    ours = list(ed.DataLoader(ds, batch_size=batch_size, drop_last=drop_last))
    theirs = list(td.DataLoader(tds, batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs) == len(ed.DataLoader(ds, batch_size=batch_size, drop_last=drop_last))
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_generic_dataset_batches_equal_torch():
    arrays = _data(11)
    ours = list(ed.DataLoader(Rows(*[ember.tensor(a) for a in arrays]), batch_size=3))
    theirs = list(td.DataLoader(td.TensorDataset(*[torch.tensor(a) for a in arrays]), batch_size=3))
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_numpy_arrays_in_tensor_dataset_become_tensors():
    arrays = _data(9)
    ours = list(ed.DataLoader(ed.TensorDataset(*arrays), batch_size=4))
    theirs = list(td.DataLoader(td.TensorDataset(*[torch.tensor(a) for a in arrays]), batch_size=4))
    for a, b in zip(ours, theirs):
        assert_same(a, b)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(shuffle=True, drop_last=True),
                                    dict(sampler="replacement"), dict(sampler="weighted"),
                                    dict(sampler="subset"), dict(batch_sampler=True)])
def test_fast_path_gives_the_same_batches_as_per_sample_collation(kwargs):
    arrays = _data(31)
    tensors = [ember.tensor(a) for a in arrays]

    def batches(dataset):
        g = ember.Generator().manual_seed(7)
        kw = dict(kwargs)
        if kw.get("sampler") == "replacement":
            kw["sampler"] = ed.RandomSampler(dataset, replacement=True, num_samples=40, generator=g)
        elif kw.get("sampler") == "weighted":
            kw["sampler"] = ed.WeightedRandomSampler(np.arange(31) + 1.0, 25, replacement=False, generator=g)
        elif kw.get("sampler") == "subset":
            kw["sampler"] = ed.SubsetRandomSampler(list(range(3, 30, 2)), generator=g)
        elif kw.get("batch_sampler"):
            kw["batch_sampler"] = ed.BatchSampler(ed.RandomSampler(dataset, generator=g), 6, True)
        else:
            kw["generator"] = g
        if "batch_sampler" not in kw:
            kw["batch_size"] = 6
        return [list(ed.DataLoader(dataset, **kw)) for _ in range(2)]

    fast, slow = batches(ed.TensorDataset(*tensors)), batches(Rows(*tensors))
    assert len(fast[0]) == len(slow[0]) > 0
    for epoch_f, epoch_s in zip(fast, slow):
        for a, b in zip(epoch_f, epoch_s):
            assert_same(a, b)


def test_subset_of_tensor_dataset_batches_equal_per_sample_fetch():
    ds, tds = _datasets(_data(20))
    inner_idx, outer_idx = [19, 0, 5, 7, 3, 11, 12, 2], [6, 1, 0, 4, 5]
    ours = list(ed.DataLoader(ed.Subset(ed.Subset(ds, inner_idx), outer_idx), batch_size=2))
    theirs = list(td.DataLoader(td.Subset(td.Subset(tds, inner_idx), outer_idx), batch_size=2))
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_batches_are_copies_not_views_of_the_dataset():
    x = ember.arange(10).float()
    xb, = next(iter(ed.DataLoader(ed.TensorDataset(x), batch_size=4)))
    xb.add_(100.0)
    np.testing.assert_array_equal(x.numpy(), np.arange(10, dtype=np.float32))


def test_collate_keeps_autograd_for_tensors_that_require_grad():
    w = ember.randn(6, 2, requires_grad=True)
    xb, = next(iter(ed.DataLoader(ed.TensorDataset(w), batch_size=3)))
    xb.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.r_[np.ones((3, 2)), np.zeros((3, 2))])


def test_batch_size_none_yields_converted_samples_like_torch():
    ds, tds = _datasets(_data(5))
    for a, b in zip(ed.DataLoader(ds, batch_size=None), td.DataLoader(tds, batch_size=None)):
        assert_same(a, b)
    samples = [np.arange(3), {"a": np.float32(2.0), "b": "s"}, 4]
    for s in samples:
        assert_same(ed.default_convert(s), td.default_convert(s))
    assert_same(ed.default_convert((np.arange(2), 1)), td.default_convert((np.arange(2), 1)))
    assert_same(ed.default_convert(Point(np.arange(2), 1.5)), td.default_convert(Point(np.arange(2), 1.5)))


@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (1, False), (3, False), (3, True), (10, True)])
def test_iterable_dataset_batches_equal_torch(batch_size, drop_last):
    ours = ed.DataLoader(Stream(10), batch_size=batch_size, drop_last=drop_last)
    theirs = td.DataLoader(TStream(10), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    a, b = list(ours), list(theirs)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert_same(x, y)


def test_chain_and_concat_and_stack_datasets_equal_torch():
    assert list(ed.ChainDataset([Stream(3), Stream(2)])) == list(td.ChainDataset([TStream(3), TStream(2)]))
    assert list(Stream(2) + Stream(3)) == [0, 1, 0, 1, 2]
    assert len(ed.ChainDataset([Stream(3), Stream(2)])) == 5
    a, b = _datasets(_data(4))
    c, d = _datasets(_data(3, seed=1))
    ours, theirs = ed.ConcatDataset([a, c]), td.ConcatDataset([b, d])
    assert len(ours) == len(theirs) == 7 and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in list(range(7)) + [-1, -7]:
        assert_same(list(ours[i]), list(theirs[i]))
    assert len(a + c) == 7
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ours[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ed.ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ed.ConcatDataset([a, Stream(2)])
    s = ed.StackDataset(x=range(3), y=[5, 6, 7])
    assert s[1] == td.StackDataset(x=range(3), y=[5, 6, 7])[1] and len(s) == 3
    assert ed.StackDataset(range(2), "ab")[1] == (1, "b")
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        ed.StackDataset(range(2), range(3))


# ---- shuffling and samplers ---------------------------------------------------------------------
def _epoch_labels(loader):
    return np.concatenate([yb.numpy() for _, yb in loader])


def test_seeded_generator_makes_shuffled_epochs_reproducible():
    ds = ed.TensorDataset(ember.randn(50, 2), ember.arange(50))
    runs = []
    for _ in range(2):
        loader = ed.DataLoader(ds, batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(3))
        runs.append([_epoch_labels(loader) for _ in range(3)])
    for e1, e2 in zip(*runs):
        np.testing.assert_array_equal(e1, e2)
    first, second, _ = runs[0]
    np.testing.assert_array_equal(np.sort(first), np.arange(50))
    assert not np.array_equal(first, second), "each epoch must be reshuffled"
    assert not np.array_equal(first, np.arange(50))


def test_manual_seed_makes_default_generator_shuffles_reproducible():
    ds = ed.TensorDataset(ember.arange(30), ember.arange(30))
    epochs = []
    for _ in range(2):
        ember.manual_seed(11)
        epochs.append(_epoch_labels(ed.DataLoader(ds, batch_size=7, shuffle=True)))
    np.testing.assert_array_equal(*epochs)


def test_shuffled_drop_last_yields_full_batches_of_distinct_samples():
    ds = ed.TensorDataset(ember.arange(23), ember.arange(23))
    loader = ed.DataLoader(ds, batch_size=5, shuffle=True, drop_last=True)
    batches = [yb.numpy() for _, yb in loader]
    assert len(loader) == len(batches) == 4 and all(len(b) == 5 for b in batches)
    assert len(np.unique(np.concatenate(batches))) == 20


def test_sequential_and_batch_samplers_equal_torch():
    assert list(ed.SequentialSampler(range(7))) == list(td.SequentialSampler(range(7)))
    for size in (1, 3, 7, 8):
        for drop_last in (False, True):
            ours = ed.BatchSampler(ed.SequentialSampler(range(7)), size, drop_last)
            theirs = td.BatchSampler(td.SequentialSampler(range(7)), size, drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(ed.BatchSampler([5, 1, 4], 2, False)) == [[5, 1], [4]]


def test_random_sampler_without_and_with_replacement():
    g = ember.Generator().manual_seed(0)
    s = ed.RandomSampler(range(10), generator=g)
    assert len(s) == 10 and sorted(s) == list(range(10))
    long = list(ed.RandomSampler(range(10), num_samples=25, generator=g))
    assert len(long) == 25 and sorted(long[:10]) == sorted(long[10:20]) == list(range(10))
    assert len(set(long[20:])) == 5
    rep = list(ed.RandomSampler(range(4), replacement=True, num_samples=400, generator=g))
    assert len(rep) == 400 and set(rep) == {0, 1, 2, 3}
    counts = np.bincount(rep, minlength=4)
    assert counts.min() > 60, counts  # each ~100; P(any < 60) is astronomically small
    a = list(ed.RandomSampler(range(100), generator=ember.Generator().manual_seed(5)))
    b = list(ed.RandomSampler(range(100), generator=ember.Generator().manual_seed(5)))
    assert a == b


@pytest.mark.parametrize("replacement", [True, False])
def test_random_sampler_with_ten_billion_samples_draws_lazily(replacement):
    import itertools
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.monotonic()
    s = ed.RandomSampler(range(7), replacement=replacement, num_samples=10**10,
                         generator=ember.Generator().manual_seed(0))
    first = list(itertools.islice(s, 14))
    loader_batch, = next(iter(ed.DataLoader(ed.TensorDataset(ember.arange(7)), sampler=s, batch_size=5)))
    seconds, (_, peak) = time.monotonic() - start, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 4 * 2**20  # all indices up front: 80 GB (was a MemoryError)
    assert len(s) == 10**10 and len(ed.DataLoader(range(7), sampler=s, batch_size=5)) == 2 * 10**9
    assert all(0 <= i < 7 for i in first) and all(0 <= i < 7 for i in loader_batch.tolist())
    if not replacement:
        assert sorted(first[:7]) == sorted(first[7:]) == list(range(7))  # one permutation after another


def test_random_sampler_with_replacement_is_uniform_and_seeded_across_chunks():
    def draws(seed, k=30_000):
        return list(ed.RandomSampler(range(7), replacement=True, num_samples=k,
                                     generator=ember.Generator().manual_seed(seed)))

    first = draws(4)
    assert first == draws(4) and first != draws(5)
    counts = np.bincount(first, minlength=7)
    expected, sd = 30_000 / 7, np.sqrt(30_000 * (1 / 7) * (6 / 7))
    assert np.all(np.abs(counts - expected) < 6 * sd), counts  # 6 sigma: never fails by chance in practice
    assert draws(4, k=100) == first[:100]  # a short epoch is the start of a long one's stream


@pytest.mark.parametrize("drop_last", [False, True])
def test_fast_path_batches_span_the_random_samplers_chunks(drop_last):
    def sampler():
        return ed.RandomSampler(range(7), replacement=True, num_samples=10_003,
                                generator=ember.Generator().manual_seed(9))

    want = list(sampler())
    loader = ed.DataLoader(ed.TensorDataset(ember.arange(7)), sampler=sampler(), batch_size=1000,
                           drop_last=drop_last)
    got = [b.tolist() for b, in loader]
    assert [len(b) for b in got] == [1000] * 10 + ([] if drop_last else [3])
    assert sum(got, []) == want[:10_000 if drop_last else 10_003]


def test_subset_random_sampler_permutes_the_given_indices():
    idx = [3, 9, 1, 42]
    s = ed.SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(1))
    assert len(s) == 4
    seen = [tuple(s) for _ in range(20)]
    assert all(sorted(p) == sorted(idx) for p in seen) and len(set(seen)) > 1


def test_weighted_random_sampler_frequencies_follow_weights():
    w = [0.1, 0.0, 0.4, 1.5]
    s = ed.WeightedRandomSampler(w, 20000, generator=ember.Generator().manual_seed(2))
    freq = np.bincount(list(s), minlength=4) / 20000
    np.testing.assert_allclose(freq, np.array(w) / sum(w), atol=0.015)
    assert freq[1] == 0
    assert isinstance(s.weights, ember.Tensor) and s.weights.dtype == ember.float64


def test_weighted_sampler_without_replacement_draws_distinct_and_zero_weights_last():
    w = [5.0, 0.0, 1.0, 0.0, 2.0]
    for seed in range(20):
        draw = list(ed.WeightedRandomSampler(w, 5, replacement=False, generator=ember.Generator().manual_seed(seed)))
        assert sorted(draw) == list(range(5)) and set(draw[3:]) == {1, 3}
    # the heaviest item comes first most often: P = 5/8
    firsts = [next(iter(ed.WeightedRandomSampler(w, 1, replacement=False, generator=ember.Generator().manual_seed(s))))
              for s in range(400)]
    assert 0.5 < firsts.count(0) / 400 < 0.75


def test_weighted_sampler_invalid_weights_raise_torch_errors_when_iterated():
    for w, n, rep in [([1.0, -1.0], 1, True), ([0.0, 0.0], 1, True), ([1.0, 0.0, 0.0], 4, False),
                      ([float("nan"), 1.0], 1, True)]:
        with pytest.raises(RuntimeError) as theirs:
            list(td.WeightedRandomSampler(w, n, rep))
        with pytest.raises(RuntimeError) as ours:
            list(ed.WeightedRandomSampler(w, n, rep))
        assert str(ours.value) == str(theirs.value)


def test_random_split_sizes_equal_torch_and_partition_the_dataset():
    for n, lengths in [(10, [3, 7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (5, [5, 0])]:
        ours = ed.random_split(range(n), lengths, generator=ember.Generator().manual_seed(0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = td.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        items = sorted(x for s in ours for x in s)
        assert items == list(range(n))
    a = ed.random_split(range(20), [0.5, 0.5], generator=ember.Generator().manual_seed(4))
    b = ed.random_split(range(20), [0.5, 0.5], generator=ember.Generator().manual_seed(4))
    assert [list(s) for s in a] == [list(s) for s in b] and list(a[0]) != list(range(10))


def test_random_split_warnings_and_errors_equal_torch():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ed.random_split(range(2), [0.9, 0.1])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        ed.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        ed.random_split(range(10), [0.5, -0.5, 1.0])


# ---- default_collate vs torch -------------------------------------------------------------------
COLLATE_CASES = {
    "ints": [0, 1, 2, 3],
    "floats": [0.5, 1.5],
    "bools": [True, False],
    "int_then_float": [1, 2.5],
    "float_then_int": [2.5, 1],
    "strings": ["a", "b"],
    "bytes": [b"a", b"b"],
    "tuples": [(1, 2.0, "x"), (3, 4.0, "y")],
    "lists": [[0, 1], [2, 3]],
    "dicts": [{"A": 0, "B": 1.0}, {"A": 100, "B": 2.5}],
    "namedtuples": [Point(0, 0.5), Point(1, 1.5)],
    "numpy_arrays": [np.arange(6.0).reshape(2, 3), np.ones((2, 3))],
    "numpy_float32": [np.ones(3, np.float32), np.zeros(3, np.float32)],
    "numpy_scalars": [np.float32(1), np.float32(2)],
    "numpy_float64_scalars": [np.float64(1), np.float64(2)],
    "numpy_int32_scalars": [np.int32(1), np.int32(2)],
    "numpy_bool_scalars": [np.bool_(True), np.bool_(False)],
    "numpy_0d": [np.array(1.0), np.array(2.0)],
    "nested": [{"x": (np.ones(2), [1, {"z": 2.0}]), "p": Point("a", np.int64(3))},
               {"x": (np.zeros(2), [2, {"z": 3.0}]), "p": Point("b", np.int64(4))}],
}


@pytest.mark.parametrize("name", list(COLLATE_CASES))
def test_default_collate_equals_torch(name):
    batch = COLLATE_CASES[name]
    assert_same(ed.default_collate(batch), td.default_collate(batch))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_default_collate_of_tensors_equals_torch(dtype):
    arrays = [np.random.default_rng(i).standard_normal((2, 3)).astype(dtype) for i in range(4)]
    ours = ed.default_collate([ember.tensor(a) for a in arrays])
    theirs = td.default_collate([torch.tensor(a) for a in arrays])
    assert_same(ours, theirs)
    assert_same(ed.default_collate([(ember.tensor(a), i) for i, a in enumerate(arrays)]),
                td.default_collate([(torch.tensor(a), i) for i, a in enumerate(arrays)]))


@pytest.mark.parametrize("batch", [[object(), object()], [np.array(["a"]), np.array(["b"])], [[1, 2], [3]],
                                   [ember.zeros(2), ember.zeros(3)], [None, None]],
                         ids=["object", "str_array", "ragged", "shapes", "none"])
def test_default_collate_errors_equal_torch(batch):
    tbatch = [torch.tensor(b.numpy()) if isinstance(b, ember.Tensor) else b for b in batch]
    with pytest.raises(Exception) as theirs:
        td.default_collate(tbatch)
    with pytest.raises(Exception) as ours:
        ed.default_collate(batch)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


# Batches that mix element types or dtypes, built for each library (T makes that library's tensor of an array):
# the first sample picks the rule (torch's collate_fn_map), torch's promotion picks the dtype.
MIXED_COLLATE_CASES = {
    "float32_then_float64_tensors": lambda T: [T(np.float32([1, 2])), T(np.float64([3, 4]))],
    "float64_then_float32_tensors": lambda T: [T(np.float64([1, 2])), T(np.float32([3, 4]))],
    "int64_then_float32_tensors": lambda T: [T(np.int64([1, 2])), T(np.float32([3.5, 4]))],
    "bool_then_int64_tensors": lambda T: [T(np.bool_([1, 0])), T(np.int64([3, 4]))],
    "uint8_then_int8_tensors": lambda T: [T(np.uint8([200, 1])), T(np.int8([-3, 4]))],
    "int32_then_float16_tensors": lambda T: [T(np.int32([1, 2])), T(np.float16([0.5, 4]))],
    "tensors_of_each_dtype_in_tuples": lambda T: [
        tuple(T(np.arange(3).astype(d)) for d in ("float16", "float32", "float64", "int8", "uint8", "int16",
                                                   "int32", "int64", "bool"))] * 2,
    "numpy_array_then_tensor": lambda T: [np.float32([3, 4]), T(np.float32([1, 2]))],
    "numpy_array_then_list": lambda T: [np.float32([3, 4]), [1, 2]],
    "numpy_int64_then_float32_arrays": lambda T: [np.int64([1, 2]), np.float32([3.5, 4])],
    "numpy_float32_then_float64_arrays": lambda T: [np.float32([1, 2]), np.float64([3, 4])],
    "numpy_float32_scalar_then_python_float": lambda T: [np.float32(1.5), 2.5],
    "python_float_then_numpy_float32_scalar": lambda T: [1.5, np.float32(2.5)],
    "numpy_float32_then_float64_scalars": lambda T: [np.float32(1.5), np.float64(2.5)],
    "numpy_float64_then_float32_scalars": lambda T: [np.float64(1.5), np.float32(2.5)],
    "numpy_int32_scalar_then_python_int": lambda T: [np.int32(1), 2],
    "numpy_uint8_then_int8_scalars": lambda T: [np.uint8(3), np.int8(-2)],
    "numpy_int16_scalar_then_python_float": lambda T: [np.int16(1), 2.5],
    "numpy_float16_scalars": lambda T: [np.float16(1), np.float16(2)],
    "numpy_uint8_arrays": lambda T: [np.uint8([1, 2]), np.uint8([3, 4])],
    "numpy_0d_int_arrays": lambda T: [np.array(1), np.array(2)],
    "python_int_then_float": lambda T: [1, 2.5],
    "python_float_then_int": lambda T: [1.5, 2],
    "python_bool_then_float": lambda T: [True, 2.5],
    "python_float_then_bool": lambda T: [2.5, True],
    "python_int_then_bool": lambda T: [2, True],
    "python_bool_then_int": lambda T: [True, 2],
    "python_ints_near_int64_max": lambda T: [2**62, -(2**63)],
    "numpy_bool_then_python_bool": lambda T: [np.bool_(True), False],
    "str_then_int": lambda T: ["a", 1],
    "dict_with_an_extra_key_later": lambda T: [{"a": 1}, {"a": 2, "b": 3}],
    "tuple_then_list": lambda T: [(1, 2), [3, 4]],
    "ranges": lambda T: [range(2), range(2)],
    "namedtuples_of_tensors": lambda T: [Point(T(np.float32([1])), T(np.int64([2]))),
                                         Point(T(np.float64([3])), T(np.int64([4])))],
    "nested_tensors_and_numpy": lambda T: [{"x": [T(np.ones(2, np.float32)), (np.int8(1), 2.0)], "y": "a"},
                                           {"x": [T(np.zeros(2, np.float32)), (np.int8(3), 4.0)], "y": "b"}],
}


def _tensor_maker(lib):
    return lambda a: lib.tensor(np.asarray(a))


@pytest.mark.parametrize("name", list(MIXED_COLLATE_CASES))
def test_default_collate_of_mixed_batches_equals_torch(name):
    make = MIXED_COLLATE_CASES[name]
    assert_same(ed.default_collate(make(_tensor_maker(ember))), td.default_collate(make(_tensor_maker(torch))))


# Mixed batches that torch refuses: ember raises the same exception type (and, where the text is torch's own,
# the same message).
MIXED_COLLATE_ERRORS = {
    "float32_tensor_then_numpy_array": (lambda T: [T(np.float32([1, 2])), np.float32([3, 4])], True),
    "tensor_then_python_float": (lambda T: [T(np.float32(1)), 2.0], True),
    "tensor_then_list": (lambda T: [T(np.float32([1, 2])), [3.0, 4.0]], True),
    "tensor_then_namedtuple": (lambda T: [T(np.float32([1, 2])), Point(3.0, 4.0)], True),
    "numpy_array_then_python_float": (lambda T: [np.float32([1, 2]), 2.0], True),
    "0d_then_1d_tensors": (lambda T: [T(np.float32(1)), T(np.float32([1]))], True),
    "numpy_str_array_after_float_array": (lambda T: [np.float32([1, 2]), np.array(["a", "b"])], False),
    "python_int_then_str": (lambda T: [1, "a"], False),
    "dict_missing_a_key_later": (lambda T: [{"a": 1}, {"b": 2}], True),
    "dict_then_list": (lambda T: [{"a": 1}, [1]], True),
    "namedtuple_then_shorter_tuple": (lambda T: [Point(1, 2), (3,)], True),
    "ragged_nested_lists": (lambda T: [[[1, 2]], [[3]]], True),
    "empty_batch": (lambda T: [], True),
    "none_then_int": (lambda T: [None, 1], True),
    "sets": (lambda T: [{1}, {2}], True),
}


@pytest.mark.parametrize("name", list(MIXED_COLLATE_ERRORS))
def test_default_collate_of_mixed_batches_raises_like_torch(name):
    make, same_message = MIXED_COLLATE_ERRORS[name]
    with pytest.raises(Exception) as theirs:
        td.default_collate(make(_tensor_maker(torch)))
    with pytest.raises(Exception) as ours:
        ed.default_collate(make(_tensor_maker(ember)))
    assert type(ours.value) is type(theirs.value)
    if same_message:
        assert str(ours.value) == str(theirs.value)


def test_custom_collate_fn_receives_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return sum(int(x) for x, in samples)

    out = list(ed.DataLoader(ed.TensorDataset(ember.arange(7)), batch_size=3, collate_fn=collate))
    assert out == [3, 12, 6] and seen == [3, 3, 1]


# ---- options and errors -------------------------------------------------------------------------
ERROR_CASES = [
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(multiprocessing_context="spawn"),
    dict(sampler="seq", shuffle=True),
    dict(batch_sampler="batch", batch_size=2),
    dict(batch_sampler="batch", shuffle=True),
    dict(batch_sampler="batch", sampler="seq"),
    dict(batch_sampler="batch", drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=2, drop_last=1),
]


@pytest.mark.parametrize("kwargs", ERROR_CASES, ids=[",".join(c) for c in ERROR_CASES])
def test_incompatible_options_raise_torch_errors(kwargs):
    def build(mod, data):
        kw = dict(kwargs)
        if kw.get("sampler") == "seq":
            kw["sampler"] = mod.SequentialSampler(data)
        if kw.get("batch_sampler") == "batch":
            kw["batch_sampler"] = mod.BatchSampler(mod.SequentialSampler(data), 2, False)
        return mod.DataLoader(data, **kw)

    with pytest.raises(ValueError) as theirs:
        build(td, range(6))
    with pytest.raises(ValueError) as ours:
        build(ed, range(6))
    assert str(ours.value) == str(theirs.value)


def test_iterable_dataset_rejects_shuffle_and_samplers_like_torch():
    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError) as theirs:
            td.DataLoader(TStream(3), **kw)
        with pytest.raises(ValueError) as ours:
            ed.DataLoader(Stream(3), **kw)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler(range(3), num_samples=0), lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.RandomSampler([]), lambda m: m.BatchSampler(range(3), 0, False),
    lambda m: m.BatchSampler(range(3), True, False), lambda m: m.BatchSampler(range(3), 2, 1),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 0), lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 1),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 1, replacement=None),
], ids=["num_samples", "replacement", "empty", "batch_size", "batch_size_bool", "drop_last", "w_num_samples",
        "w_shape", "w_replacement"])
def test_sampler_argument_errors_equal_torch(make):
    with pytest.raises((ValueError, TypeError)) as theirs:
        make(td)
    with pytest.raises((ValueError, TypeError)) as ours:
        make(ed)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_tensor_dataset_size_mismatch_raises_like_torch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ed.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_loader_attributes_are_frozen_after_init_like_torch():
    loader = ed.DataLoader(range(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen in torch either


def test_loader_defaults_and_len_match_torch():
    ours, theirs = ed.DataLoader(range(10), batch_size=3), td.DataLoader(range(10), batch_size=3)
    assert len(ours) == len(theirs) == len(iter(ours)) == 4
    assert type(ours.sampler).__name__ == type(theirs.sampler).__name__ == "SequentialSampler"
    assert type(ours.batch_sampler).__name__ == "BatchSampler" and ours.collate_fn is ed.default_collate
    shuffled = ed.DataLoader(range(10), shuffle=True)
    assert isinstance(shuffled.sampler, ed.RandomSampler) and len(shuffled) == 10
    bs = ed.DataLoader(range(10), batch_sampler=ed.BatchSampler(range(10), 4, True))
    assert bs.batch_size is None and len(bs) == 2
    assert ed.DataLoader(range(10), batch_size=None).collate_fn is ed.default_convert
    assert ed.DataLoader(range(3), pin_memory=True, timeout=1.0).pin_memory is True


def test_num_workers_load_in_worker_processes():
    """(Order, seeding, sharding and errors against torch: tests/utils/test_dataloader_workers.py.)"""
    ds = ed.TensorDataset(ember.arange(10))
    calls = []

    class Probe(ed.Dataset):
        def __getitem__(self, i):
            info = ed.get_worker_info()
            return info.id, info.num_workers, os.getpid()

        def __len__(self):
            return 4

    base = [b[0].tolist() for b in ed.DataLoader(ds, batch_size=3)]
    multi = ed.DataLoader(ds, batch_size=3, num_workers=2, worker_init_fn=calls.append, prefetch_factor=4)
    assert [b[0].tolist() for b in multi] == base
    assert calls == []  # worker_init_fn ran in the workers, on their copies of `calls`
    assert ed.get_worker_info() is None
    rows = [tuple(int(v) for v in row) for b in ed.DataLoader(Probe(), batch_size=1, num_workers=1) for row in zip(*b)]
    assert {(w, n) for w, n, _ in rows} == {(0, 1)} and {p for _, _, p in rows} != {os.getpid()}
