"""``DistributedSampler``: each rank of a data-parallel job reads its own share of a dataset, in torch's order.

torch shuffles with ``torch.randperm(n, generator=g)`` where ``g`` is a CPU generator seeded with
``seed + epoch``. That generator is MT19937 seeded like ``init_genrand`` (the seed's low 32 bits), the same as
NumPy's ``MT19937`` with legacy seeding, so ``_torch_randperm`` reproduces torch's permutation exactly from the
same 32-bit words: for n below 2³²/20 torch swaps position i with i + (word % (n − i)) for i = 0 … n − 2.
"""
from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler

_SMALL_N = (2**32 - 1) // 20  # torch's randperm_cpu switches algorithm at this size


def _torch_randperm(n: int, seed: int) -> list[int]:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()``, computed with NumPy."""
    bits = np.random.MT19937(0)
    bits._legacy_seeding(seed & 0xFFFFFFFF)
    perm = list(range(n))
    if n < _SMALL_N:  # Fisher-Yates, one 32-bit word per position
        steps = max(n - 1, 0)
        words = bits.random_raw(steps)
        picks = (words % np.arange(n, n - steps, -1, dtype=np.uint64)).astype(np.int64)
        picks += np.arange(steps)
        for i, j in enumerate(picks.tolist()):
            perm[i], perm[j] = perm[j], perm[i]
        return perm
    # torch's "inside-out" Fisher-Yates for huge n: a 64-bit word (hi << 32 | lo) per position (derived from
    # torch's source; too large to compare with torch in a test)
    for i in range(n):
        hi, lo = (int(w) for w in bits.random_raw(2))
        j = ((hi << 32) | lo) % (i + 1)
        perm[i] = perm[j]
        perm[j] = i
    return perm


class DistributedSampler(Sampler):
    """Sampler that gives rank ``rank`` of ``num_replicas`` its share of ``dataset`` (torch's DistributedSampler).

    Each epoch the indices are shuffled (``shuffle=True``) with the seed ``seed + epoch``, padded by repeating
    the first indices up to a multiple of ``num_replicas`` (or, with ``drop_last=True``, cut down to one), and rank
    r takes every ``num_replicas``-th index starting at r. Call ``set_epoch(epoch)`` before each epoch.

    Args:
        dataset: a dataset with ``len``.
        num_replicas: number of ranks. Default: the world size of the default process group.
        rank: this rank. Default: the rank in the default process group.
        shuffle: shuffle the indices each epoch. Default: True.
        seed: base seed, the same on every rank. Default: 0.
        drop_last: drop the tail instead of padding. Default: False.

    Torch parity: the same index sequence as torch.utils.data.DistributedSampler for every rank, epoch and
    argument (tests/utils/test_distributed_sampler.py), the same attributes and errors.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = _torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        else:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank: self.total_size: self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which seeds the next shuffle with ``seed + epoch`` (as torch)."""
        self.epoch = epoch
