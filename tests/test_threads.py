"""ember._threads: the thread count, row_blocks, and staying on one thread right after a matrix product."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import ember
from ember import _threads


@pytest.fixture
def two_threads():
    previous = ember.get_num_threads()
    ember.set_num_threads(2)
    yield
    ember.set_num_threads(previous)


def _blocks_used(x):
    return len(_threads.row_blocks(lambda rows: rows, x))


def test_row_blocks_cover_the_rows_in_order(two_threads, monkeypatch):
    monkeypatch.setattr(_threads, "_blas_at", float("-inf"))
    x = np.arange(_threads.PARALLEL_MIN * 2, dtype=np.float32).reshape(1024, -1)
    blocks = _threads.row_blocks(lambda rows: x[rows].sum(), x)
    assert len(blocks) == 2
    assert sum(blocks) == x.sum()


@pytest.mark.parametrize("op", [
    lambda a, w: a @ w,
    lambda a, w: ember.nn.functional.linear(a, w),
    lambda a, w: ember.nn.functional.conv2d(a.reshape(4, 1, 8, 8), w.reshape(64, 1, 8, 8)[:2]),
])
def test_small_work_stays_on_one_thread_right_after_a_matrix_product(op, two_threads, monkeypatch):
    monkeypatch.setattr(_threads, "_blas_at", float("-inf"))
    x = np.zeros((1024, _threads.PARALLEL_MIN // 512), np.float32)  # 2 * PARALLEL_MIN elements
    assert _blocks_used(x) == 2
    op(ember.randn(4, 64), ember.randn(64, 64))
    assert _blocks_used(x) == 1  # OpenBLAS's workers may still hold the cores
    assert _threads.parallel_ok(_threads.AFTER_BLAS_MIN)  # big work still splits
    monkeypatch.setattr(_threads, "_blas_at", _threads._blas_at - _threads.BLAS_SPIN_S - 1e-3)
    assert _blocks_used(x) == 2


def test_backward_of_a_product_also_counts(two_threads, monkeypatch):
    a = ember.randn(8, 8, requires_grad=True)
    out = (a @ a).sum()
    monkeypatch.setattr(_threads, "_blas_at", float("-inf"))
    out.backward()
    assert not _threads.parallel_ok(1000)


def test_one_thread_never_splits(monkeypatch):
    previous = ember.get_num_threads()
    ember.set_num_threads(1)
    try:
        monkeypatch.setattr(_threads, "_blas_at", float("-inf"))
        assert not _threads.parallel_ok(_threads.AFTER_BLAS_MIN * 4)
        assert _blocks_used(np.zeros((1024, 1024), np.float32)) == 1
    finally:
        ember.set_num_threads(previous)


def test_set_num_threads_rejects_bad_values():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(RuntimeError, match="positive integer"):
            ember.set_num_threads(bad)


@pytest.mark.parametrize("with_threadpoolctl", [True, False])
def test_blas_threads_sets_and_restores_the_blas_count(with_threadpoolctl, monkeypatch):
    """The `ember` command and the recurrent layers limit BLAS's threads on a core install too (no threadpoolctl:
    NumPy's bundled OpenBLAS is set directly); the count read back from OpenBLAS itself changes and comes back."""
    import threadpoolctl

    if not with_threadpoolctl:
        monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    monkeypatch.setattr(_threads, "_controller", None)
    get, _ = _threads._bundled_openblas()
    assert get is not None, "NumPy's wheel bundles OpenBLAS on the machines ember is tested on"
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        with _threads.blas_threads(1):
            assert get() == 1
        assert get() == 2
    assert (_threads._controller is False) is not with_threadpoolctl
