"""ember._threads: the thread count, row_blocks, and staying on one thread right after a matrix product."""
from __future__ import annotations

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
