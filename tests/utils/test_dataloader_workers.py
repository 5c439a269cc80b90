"""DataLoader(num_workers > 0): worker processes with torch's order, seeding, sharding, errors and timeouts."""
from __future__ import annotations

import os
import signal
import time
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ed

torch = pytest.importorskip("torch")
import torch.utils.data as td

pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")


def _values(batches):
    out = []
    for b in batches:
        if isinstance(b, (list, tuple)):
            out.append(tuple(_values([x])[0] for x in b))
        else:
            out.append(b.tolist() if hasattr(b, "tolist") else b)
    return out


def _both(make_dataset, **kwargs):
    """The batches of ember's and torch's loaders over the same dataset (built for each library)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (_values(ed.DataLoader(make_dataset(ed, ember), **kwargs)),
                _values(td.DataLoader(make_dataset(td, torch), **kwargs)))


def _squares(data, lib):
    class Squares(data.Dataset):
        def __len__(self):
            return 11

        def __getitem__(self, i):
            return lib.tensor([float(i * i)]), i

    return Squares()


def _worker_ids(data, lib):
    class WorkerIds(data.Dataset):
        def __len__(self):
            return 9

        def __getitem__(self, i):
            info = data.get_worker_info()
            return i, info.id, info.num_workers

    return WorkerIds()


def _sharded_stream(data, lib):
    class Sharded(data.IterableDataset):
        def __iter__(self):
            info = data.get_worker_info()
            first, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(first, 11, step))

    return Sharded()


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=3, num_workers=1),
    dict(batch_size=3, num_workers=2),
    dict(batch_size=4, num_workers=3, drop_last=True),
    dict(batch_size=2, num_workers=2, prefetch_factor=1),
    dict(batch_size=None, num_workers=2),
])
def test_map_style_batches_match_torch_and_the_in_process_loader(kwargs):
    got, want = _both(_squares, **kwargs)
    assert got == want
    single = dict(kwargs, num_workers=0)
    single.pop("prefetch_factor", None)
    assert got == _values(ed.DataLoader(_squares(ed, ember), **single))


def test_tasks_go_to_the_workers_in_turn_as_in_torch():
    got, want = _both(_worker_ids, batch_size=2, num_workers=2)
    assert got == want
    assert [ids[0] for _, ids, _ in got] == [0, 1, 0, 1, 0]


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=2, num_workers=3),
    dict(batch_size=2, num_workers=2, drop_last=True),
    dict(batch_size=None, num_workers=2),
])
def test_iterable_dataset_sharded_with_worker_info_matches_torch(kwargs):
    got, want = _both(_sharded_stream, **kwargs)
    assert got == want


class _Seeds(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = ed.get_worker_info()
        return info.seed, float(ember.rand(1)), os.getpid()


def test_each_worker_is_seeded_with_base_seed_plus_its_id():
    loader = ed.DataLoader(_Seeds(), batch_size=1, num_workers=2, generator=ember.Generator().manual_seed(3))
    rows = [(int(s), float(r), int(p)) for s, r, p in loader]
    seeds = [s for s, _, _ in rows]
    assert seeds[1] - seeds[0] == 1 and seeds[2] == seeds[0] and seeds[3] == seeds[1]
    ember.manual_seed(seeds[0])
    assert rows[0][1] == pytest.approx(float(ember.rand(1)))  # the worker's ember stream starts from its seed
    again = [(int(s), float(r)) for s, r, _ in ed.DataLoader(_Seeds(), batch_size=1, num_workers=2,
                                                               generator=ember.Generator().manual_seed(3))]
    assert again == [(s, r) for s, r, _ in rows]  # a seeded generator makes the workers reproducible


def test_persistent_workers_live_across_epochs():
    for persistent, same in ((True, True), (False, False)):
        loader = ed.DataLoader(_Seeds(), batch_size=2, num_workers=2, persistent_workers=persistent)
        pids = [{int(p) for _, _, ps in loader for p in ps} for _ in range(2)]
        assert (pids[0] == pids[1]) is same


def _tagged(data, lib):
    class Tagged(data.Dataset):
        tag = 0

        def __len__(self):
            return 6

        def __getitem__(self, i):
            return self.tag + i

    return Tagged()


def _tag_copy(worker_id, data):
    data.get_worker_info().dataset.tag = 100 * (worker_id + 1)


def test_worker_init_fn_configures_the_worker_copy_like_torch():
    got = _values(ed.DataLoader(_tagged(ed, ember), batch_size=2, num_workers=2,
                                worker_init_fn=lambda w: _tag_copy(w, ed)))
    want = _values(td.DataLoader(_tagged(td, torch), batch_size=2, num_workers=2,
                                 worker_init_fn=lambda w: _tag_copy(w, td)))
    assert got == want == [[100, 101], [202, 203], [104, 105]]


def _failing(data, lib):
    class Failing(data.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            if i == 7:  # in the last batch: torch's shutdown waits 5 s per worker busy with a later task
                raise ValueError(f"bad sample {i}")
            return i

    return Failing()


def _first_error(loader):
    try:
        for _ in loader:
            pass
    except Exception as e:  # noqa: BLE001 - the test compares the type
        return type(e), str(e)
    return None, None


def test_worker_exception_is_reraised_with_torch_type_and_message():
    got = _first_error(ed.DataLoader(_failing(ed, ember), batch_size=2, num_workers=2))
    want = _first_error(td.DataLoader(_failing(td, torch), batch_size=2, num_workers=2))
    assert got[0] is want[0] is ValueError
    assert got[1].splitlines()[0] == want[1].splitlines()[0] == "Caught ValueError in DataLoader worker process 1."
    assert "bad sample 7" in got[1]


def test_worker_init_fn_error_is_reraised():
    def init(worker_id):
        raise KeyError("no config")

    kind, msg = _first_error(ed.DataLoader(_squares(ed, ember), batch_size=2, num_workers=2, worker_init_fn=init))
    assert kind is KeyError and "in DataLoader worker process" in msg and "no config" in msg


def _slow(data, lib):
    class Slow(data.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            time.sleep(1.5)
            return i

    return Slow()


def test_timeout_raises_torch_error():
    loaders = (ed.DataLoader(_slow(ed, ember), batch_size=1, num_workers=1, timeout=0.5),
               td.DataLoader(_slow(td, torch), batch_size=1, num_workers=1, timeout=0.5))
    got, want = (_first_error(loader) for loader in loaders)
    assert got == want == (RuntimeError, "DataLoader timed out after 0.5 seconds")
    del loaders  # (ember's worker is terminated at the timeout; torch's finishes its 1.5 s sample, then exits)


class _Pids(ed.Dataset):
    """Each sample is the pid of the process that loads it, after ``delay`` seconds."""

    def __init__(self, delay):
        self.delay = delay

    def __len__(self):
        return 400

    def __getitem__(self, i):
        time.sleep(self.delay)
        return os.getpid()


def _alive(pids):
    import multiprocessing

    return set(pids) & {p.pid for p in multiprocessing.active_children()}


def _kill_one_worker(loader):
    """Kill (SIGKILL) the worker that loaded the first batch, then go on iterating: (error, seconds to it, pids)."""
    it = iter(loader)
    pid = int(next(it)[0])
    start = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    pids = {pid}
    try:
        for batch in it:
            pids.update(int(p) for p in batch)
    except RuntimeError as e:
        return str(e).replace(str(pid), "N"), time.monotonic() - start, pids
    return None, time.monotonic() - start, pids


@pytest.mark.parametrize("persistent", [False, True])
def test_a_killed_worker_raises_torch_error_within_a_second_and_the_loader_recovers(persistent):
    ds = _Pids(0.02)
    loader = ed.DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=persistent, timeout=30)
    message, seconds, pids = _kill_one_worker(loader)
    assert message == "DataLoader worker (pid(s) N) exited unexpectedly"
    assert seconds < 1.0  # torch: ~0.02 s; ember's wait on the sentinels wakes when the process dies
    assert not _alive(pids)  # the other worker is stopped too
    ds.delay = 0.0
    assert sum(len(b) for b in loader) == 400  # the same loader, with new workers


def test_a_killed_worker_message_is_torchs():
    class Pids(td.Dataset):
        def __len__(self):
            return 400

        def __getitem__(self, i):
            time.sleep(0.02)
            return os.getpid()

    message, _, _ = _kill_one_worker(td.DataLoader(Pids(), batch_size=2, num_workers=2))
    assert message == "DataLoader worker (pid(s) N) exited unexpectedly"


@pytest.mark.parametrize("persistent", [False, True])
def test_timeout_fires_on_time_stops_a_stuck_worker_and_the_next_epoch_runs(persistent):
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    ds = _Pids(60.0)  # workers stuck in __getitem__
    loader = ed.DataLoader(ds, batch_size=100, num_workers=2, timeout=1, persistent_workers=persistent)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 1 seconds$"):
        next(iter(loader))
    assert time.monotonic() - start < 1.5  # including stopping the workers (torch's shutdown would wait 5 s)
    assert {p.pid for p in multiprocessing.active_children()} <= before  # the stuck workers are gone
    ds.delay = 0.0  # the next epoch's workers copy the dataset again
    assert sum(len(b) for b in loader) == 400


@pytest.mark.parametrize("persistent", [False, True])
def test_leaving_an_epoch_early_leaves_the_next_one_whole(persistent):
    for make in (_squares, _sharded_stream):
        loader = ed.DataLoader(make(ed, ember), batch_size=2, num_workers=2, persistent_workers=persistent)
        whole = _values(loader)
        for batch in loader:
            break
        assert _values(loader) == whole
        assert _values(loader) == _values(ed.DataLoader(make(ed, ember), batch_size=2, num_workers=0)) \
            if make is _squares else True


def test_workers_collate_ember_tensors_and_numpy_samples():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = ed.TensorDataset(ember.tensor(x), ember.arange(6))
    batches = list(ed.DataLoader(ds, batch_size=4, num_workers=2))
    assert isinstance(batches[0][0], ember.Tensor) and batches[0][0].dtype == ember.float32
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5]]


class _Threads(ed.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return ember.get_num_threads()


def test_workers_run_ember_on_one_thread_like_torch_workers():
    assert [int(n) for b in ed.DataLoader(_Threads(), batch_size=1, num_workers=2) for n in b] == [1, 1]
