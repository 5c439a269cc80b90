"""Distributed communication on MPI with torch.distributed's API (``import ember.distributed as dist``).

Start N processes with ``mpiexec -n N python train.py``; each calls ``dist.init_process_group()`` and then the
collectives below. ``mpi4py`` (the ``dist`` extra) is imported by ``init_process_group``, never by ``import ember``.
"""
from ._group import (
    GroupMember,
    ProcessGroup,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    new_group,
)
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
)

__all__ = [
    "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object",
    "all_reduce", "barrier", "broadcast", "broadcast_object_list", "default_pg_timeout", "destroy_process_group",
    "get_backend", "get_rank", "get_world_size", "group", "init_process_group", "is_available", "is_initialized",
    "is_mpi_available", "new_group", "reduce", "reduce_scatter", "reduce_scatter_tensor",
]
