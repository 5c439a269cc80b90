"""Process groups on MPI: the default group, ``new_group``, the collective watchdog and the abort-on-exception hook.

``init_process_group`` imports ``mpi4py`` (the ``dist`` extra) and wraps ``MPI.COMM_WORLD``: the rank and world size
come from the launcher (``mpiexec -n N``; a program started without it is a group of one). A ``ProcessGroup`` holds a
communicator; ranks outside a ``new_group`` get a group without one (``GroupMember.NON_GROUP_MEMBER``).

Faults never hang the job:

* an exception that reaches the top of any rank prints its traceback, then ``MPI_Abort`` ends every rank
  (``sys.excepthook``, installed by ``init_process_group`` when the world has more than one rank);
* a rank that dies is reported by ``mpiexec``, which ends the others;
* every collective runs under a watchdog: one that has not finished after ``timeout`` (another rank hung, exited
  or is stuck elsewhere) prints which collective timed out and aborts the job.
"""
from __future__ import annotations

import datetime
import os
import sys
import threading
import time

default_pg_timeout = datetime.timedelta(minutes=30)

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
_BACKENDS = ("mpi", "gloo")  # gloo is accepted so torch CPU scripts run unchanged; both run on MPI


def _mpi():
    """The ``mpi4py.MPI`` module, imported on first use (``import ember`` never needs it)."""
    try:
        from mpi4py import MPI
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "ember.distributed needs mpi4py and an MPI library: pip install 'ember[dist]' (mpi4py, mpich)"
        ) from e
    return MPI


def is_available() -> bool:
    """True when the MPI backend can be used (``mpi4py`` is importable)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


class ProcessGroup:
    """A set of ranks with its own communicator (torch's ``ProcessGroup``). ``comm`` is None on non-members."""

    def __init__(self, comm, ranks, timeout):
        self.comm = comm
        self.ranks = list(ranks)  # global ranks, in group-rank order
        self.timeout = timeout

    def rank(self) -> int:
        return -1 if self.comm is None else self.comm.Get_rank()

    def size(self) -> int:
        return len(self.ranks)

    def group_rank(self, global_rank: int, name: str) -> int:
        """The rank in this group of global rank ``global_rank``."""
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(f"Global rank {global_rank} is not part of group {self}") from None

    def __repr__(self):
        return f"ProcessGroup(ranks={self.ranks})"


class GroupMember:
    """torch's ``GroupMember``: ``WORLD`` is the default group once initialized."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = ProcessGroup(None, (), default_pg_timeout)


class _GroupNamespace:
    """torch's ``dist.group``: ``group.WORLD`` is the default group."""

    WORLD: ProcessGroup | None = None


group = _GroupNamespace


class _Watchdog:
    """Aborts the job when a collective runs past its timeout. The main thread marks the start and end of each
    collective (two attribute writes); a daemon thread checks the mark a few times per timeout."""

    def __init__(self):
        self.op = None
        self.started = 0.0
        self.timeout = default_pg_timeout.total_seconds()
        self._thread = None

    def start(self, op, timeout):
        self.timeout = timeout
        self.started = time.monotonic()
        self.op = op
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="ember-dist-watchdog", daemon=True)
            self._thread.start()

    def stop(self):
        self.op = None

    def _watch(self):
        while True:
            time.sleep(min(max(self.timeout / 20, 0.01), 1.0))
            op = self.op
            if op is not None and time.monotonic() - self.started > self.timeout:
                _abort(
                    f"{op} did not finish within the timeout of {datetime.timedelta(seconds=self.timeout)}: "
                    "another rank failed, exited, hung or did not call it"
                )


_FORWARD_S = 0.5  # seconds; once, a CI run lost the whole output of a job ended by MPI_Abort without this pause
_watchdog = _Watchdog()
_prev_excepthook = None
_world_rank = [-1]  # this process's rank in MPI_COMM_WORLD, for messages


def _abort(reason: str) -> None:
    """Print ``reason`` with this rank's number and end every rank of the job (MPI_Abort)."""
    sys.stderr.write(f"ember.distributed: [rank {_world_rank[0]}] {reason}; aborting all ranks (MPI_Abort)\n")
    sys.stderr.flush()
    sys.stdout.flush()
    time.sleep(_FORWARD_S)  # MPI_Abort tears the launcher down: let it forward what this rank just wrote first
    _mpi().COMM_WORLD.Abort(1)
    os._exit(1)  # pragma: no cover - Abort does not return


def _excepthook(exc_type, exc, tb):
    (_prev_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    _abort(f"uncaught {exc_type.__name__}: {exc}")


def _check_timeout(timeout):
    if timeout is None:
        return default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout)}")
    return timeout


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: every rank started by ``mpiexec -n N`` (or a single process).

    Args:
        backend: "mpi" (default); "gloo" is accepted and also runs on MPI.
        init_method, store, group_name, pg_options, device_id: accepted for torch compatibility; MPI's launcher
            does the rendezvous.
        timeout: a ``datetime.timedelta`` after which a collective that has not finished aborts the job.
            Default: 30 minutes (torch's).
        world_size, rank: -1 (default) takes them from MPI; other values must equal MPI's.

    Torch parity: same signature and errors for double initialization; ``backend`` values other than mpi/gloo
    raise ValueError.
    """
    global _prev_excepthook
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in _BACKENDS:
        raise ValueError(f"backend must be one of {list(_BACKENDS)} (ember runs on MPI), but got {backend!r}")
    timeout = _check_timeout(timeout)
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, size):
        raise ValueError(f"world_size={world_size} does not match the {size} MPI processes started by the launcher")
    if rank not in (-1, me):
        raise ValueError(f"rank={rank} does not match this process's MPI rank {me}")
    GroupMember.WORLD = _GroupNamespace.WORLD = ProcessGroup(comm, range(size), timeout)
    _world_rank[0] = me
    if size > 1 and sys.excepthook is not _excepthook:
        _prev_excepthook = sys.excepthook
        sys.excepthook = _excepthook


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def is_mpi_available() -> bool:
    return is_available()


def get_backend(group=None) -> str:
    _resolve(group)
    return "mpi"


def _resolve(grp):
    """The group an API call acts on (the default one for None), or raise torch's error before init."""
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD if grp is None else grp


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the world); -1 when it is not a member."""
    return _resolve(group).rank()


def get_world_size(group=None) -> int:
    """The number of ranks in ``group`` (default: the world); -1 when this process is not a member."""
    g = _resolve(group)
    return -1 if g.comm is None else g.size()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the global ``ranks`` (all ranks by default). Every rank of the world must call it, as in torch.
    Ranks outside it get ``GroupMember.NON_GROUP_MEMBER``."""
    world = _resolve(None)
    size = world.size()
    ranks = list(range(size)) if ranks is None else sorted(int(r) for r in ranks)
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"The new group's rank should be within the world_size set by init_process_group, "
                             f"but got rank {r} for world_size {size}")
    timeout = world.timeout if timeout is None else _check_timeout(timeout)
    me = world.rank()
    if me not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    _watchdog.start("new_group", world.timeout.total_seconds())
    try:  # MPI_Comm_create_group is collective over the members only
        comm = world.comm.Create_group(world.comm.Get_group().Incl(ranks))
    finally:
        _watchdog.stop()
    return ProcessGroup(comm, ranks, timeout)


def destroy_process_group(group=None) -> None:
    """Free ``group``'s communicator; without an argument, leave the default group (``is_initialized()`` becomes
    False and ``init_process_group`` may be called again)."""
    global _prev_excepthook
    g = _resolve(group)
    if g.comm is not None:
        g.comm.Free()
        g.comm = None
    if group is None or g is GroupMember.WORLD:
        GroupMember.WORLD = _GroupNamespace.WORLD = None
        if sys.excepthook is _excepthook:
            sys.excepthook = _prev_excepthook or sys.__excepthook__
            _prev_excepthook = None
_world_rank = [-1]  # this process's rank in MPI_COMM_WORLD, for messages

