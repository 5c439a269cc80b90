"""Worker processes of ``DataLoader(num_workers > 0)``, following torch's protocol.

The main process keeps the sampler. It sends each batch's indices, numbered, to the workers in turn (at most
``prefetch_factor`` tasks per worker in flight), and yields the results in task order. A worker fetches and
collates the batch (``collate_fn([dataset[i] for i in indices])``) and sends it back through one result queue.
For an ``IterableDataset`` each worker iterates its own copy of the dataset (shard it with
``get_worker_info()``); a worker that runs out reports so and gets no more tasks, as in torch.

Each worker runs ember on one thread (``set_num_threads(1)``, as torch's workers do) and gets
``seed = base_seed + worker_id`` (``base_seed`` drawn from the loader's generator per
iterator, or once with ``persistent_workers``), seeds ember's and Python's ``random`` with it, sets
``get_worker_info()`` and calls ``worker_init_fn(worker_id)``. An exception in a worker is re-raised in the main
process with its type and torch's message ("Caught ValueError in DataLoader worker process 0. Original
Traceback ..."); the worker goes on with its next task.

Waiting for a batch, the main process blocks on the result queue and on every worker's process sentinel at once
(``multiprocessing.connection.wait``, as ``concurrent.futures.ProcessPoolExecutor`` watches its workers): a worker
that dies (say, killed by the OOM killer) wakes the wait at once and raises torch's RuntimeError "DataLoader worker
(pid(s) N) exited unexpectedly", and ``timeout`` bounds the wait itself ("DataLoader timed out after {t} seconds").
torch gets the same promptness from a SIGCHLD handler plus a 5 s poll (MP_STATUS_CHECK_INTERVAL); sentinels need no
signal handler, so they also work off the main thread. After either error the workers are terminated at once (a
worker stuck in ``__getitem__`` cannot be asked to stop) and the loader starts new ones for its next epoch.
"""
from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import queue
import random
import time
import traceback

from ..._random import manual_seed


class _ExceptionWrapper:
    """An exception raised in a worker, carried to the main process (type and formatted traceback)."""

    def __init__(self, exc: BaseException, where: str) -> None:
        self.exc_type = type(exc)
        self.msg = f"Caught {type(exc).__name__} {where}.\nOriginal {traceback.format_exc()}"

    def reraise(self):
        try:
            exc = self.exc_type(self.msg)
        except Exception:  # noqa: BLE001 - an exception type that does not take one message
            raise RuntimeError(self.msg) from None
        raise exc


class _IterableStop:
    """A worker's answer once its copy of an iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


def _fetch_batch(dataset, indices, collate, auto_collation):
    """A map-style batch: ``collate([dataset[i] for i in indices])`` (or one sample without batching)."""
    if not auto_collation:
        return collate(dataset[indices])
    getitems = getattr(dataset, "__getitems__", None)
    return collate(getitems(indices) if getitems else [dataset[i] for i in indices])


def _next_batch(stream, collate, auto_collation, batch_size, drop_last):
    """The next batch of an iterable dataset's stream, or None when it has no more."""
    if not auto_collation:
        for sample in stream:
            return collate(sample)
        return None
    batch = list(itertools.islice(stream, batch_size))
    if not batch or (drop_last and len(batch) < batch_size):
        return None
    return collate(batch)


def _one_thread():
    """ember (and numba, if the parent had loaded it) on one thread in a worker, as torch's workers set
    ``torch.set_num_threads(1)``: the processes share the cores, and thread pools do not survive a fork."""
    import sys

    from ... import _threads

    _threads._num_threads = 1
    if "numba" in sys.modules:
        sys.modules["numba"].set_num_threads(1)


def _worker_loop(loader_args, index_queue, result_queue, info, init_fn):
    """Runs in a worker process until it receives None."""
    from . import dataloader  # lazy: dataloader imports this module to start the workers

    dataset, collate, auto_collation, batch_size, drop_last, iterable = loader_args
    dataloader._worker_info = info
    _one_thread()
    manual_seed(info.seed)
    random.seed(info.seed)
    init_error = None
    if init_fn is not None:
        try:
            init_fn(info.id)
        except Exception as e:  # noqa: BLE001 - any error of the user's code is carried to the main process
            init_error = _ExceptionWrapper(e, f"in DataLoader worker process {info.id}")
    stream, exhausted = None, False
    while True:
        task = index_queue.get()
        if task is None:  # shutdown: exit without waiting for the main process to read what is still queued
            result_queue.cancel_join_thread()
            return
        epoch, idx, indices = task
        if idx < 0:  # a new epoch on persistent workers: restart the iterable's stream
            stream, exhausted = None, False
            continue
        if init_error is not None:
            result_queue.put((epoch, idx, init_error))
            continue
        try:
            if not iterable:
                data = _fetch_batch(dataset, indices, collate, auto_collation)
            elif exhausted:
                data = _IterableStop(info.id)
            else:
                if stream is None:
                    stream = iter(dataset)
                data = _next_batch(stream, collate, auto_collation, batch_size, drop_last)
                if data is None:
                    exhausted, data = True, _IterableStop(info.id)
        except Exception as e:  # noqa: BLE001 - any error of the user's code is carried to the main process
            data = _ExceptionWrapper(e, f"in DataLoader worker process {info.id}")
        result_queue.put((epoch, idx, data))


class Workers:
    """The worker processes of one loader (for one epoch, or for all with ``persistent_workers``)."""

    def __init__(self, loader, infos, loader_args) -> None:
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        # no reference to the loader: the loader's __del__ (persistent workers) must run as soon as it is dropped,
        # not in a later cycle collection that may tear the queues down first
        self.prefetch_factor, self.timeout = loader.prefetch_factor, loader.timeout
        self.result_queue = ctx.Queue()
        self.index_queues = [ctx.Queue() for _ in infos]
        self.processes = []
        for info, index_queue in zip(infos, self.index_queues):
            p = ctx.Process(target=_worker_loop, args=(loader_args, index_queue, self.result_queue, info,
                                                       loader.worker_init_fn), daemon=True)
            p.start()
            self.processes.append(p)
        self.epoch = 0
        self.alive = True

    def batches(self, index_iter):
        """Yield one epoch's batches in order: the tasks are the items of ``index_iter``."""
        self.epoch += 1
        epoch, n = self.epoch, len(self.processes)
        if epoch > 1:
            for q in self.index_queues:
                q.put((epoch, -1, None))  # restart (see _worker_loop)
        active = [True] * n
        turn = itertools.cycle(range(n))
        pending: dict = {}  # task number -> worker id, for tasks in flight
        results: dict = {}
        sent = received = 0
        indices = iter(index_iter)

        def put_task():
            nonlocal sent
            if not any(active):
                return False
            try:
                task = next(indices)
            except StopIteration:
                return False
            worker = next(turn)
            while not active[worker]:
                worker = next(turn)
            self.index_queues[worker].put((epoch, sent, task))
            pending[sent] = worker
            sent += 1
            return True

        for _ in range(self.prefetch_factor * n):
            if not put_task():
                break
        while received < sent:
            while received not in results:
                got_epoch, idx, data = self._get()
                if got_epoch == epoch:
                    results[idx] = data
            data = results.pop(received)
            del pending[received]
            received += 1
            if isinstance(data, _IterableStop):
                active[data.worker_id] = False
                put_task()
                continue
            put_task()
            if isinstance(data, _ExceptionWrapper):
                data.reraise()
            yield data

    def _get(self):
        """The next ``(epoch, task number, data)`` from any worker; raises (and stops the workers) if a worker has
        died or ``timeout`` seconds pass without a result."""
        timeout = self.timeout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        by_sentinel = {p.sentinel: p for p in self.processes}
        # the queue's reading end: the same private attribute concurrent.futures.process waits on
        watched = [self.result_queue._reader, *by_sentinel]
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(watched, left)
            dead = [by_sentinel[r] for r in ready if r in by_sentinel]
            if dead:
                self.shutdown(now=True)
                pids = ", ".join(str(p.pid) for p in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            if ready:
                try:
                    return self.result_queue.get_nowait()
                except queue.Empty:  # woken by a message still being written: wait again
                    continue
            if deadline is not None and time.monotonic() >= deadline:
                self.shutdown(now=True)
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def shutdown(self, now: bool = False) -> None:
        """Stop the workers: ask each to exit after its current task (waiting up to 5 s, as torch does), or with
        ``now`` terminate them at once (after a timeout or a dead worker)."""
        if not self.alive:
            return
        self.alive = False
        if not now:
            for q in self.index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            for p in self.processes:
                p.join(timeout=5)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        for p in self.processes:
            p.join(timeout=1)
        for q in (*self.index_queues, self.result_queue):
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self.shutdown()
