"""DistributedSampler gives torch's index sequence for every rank and epoch (needs no MPI)."""
import pytest

torch = pytest.importorskip("torch")
from torch.utils.data import DistributedSampler as TorchSampler

import ember
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset
from ember.utils.data.distributed import _torch_randperm


class _Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 10, 31, 100, 1000, 4097, 100_000])
@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 + 3, -5])
def test_randperm_matches_torch(n, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    assert _torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


@pytest.mark.parametrize("n,replicas", [(10, 1), (10, 2), (10, 3), (11, 4), (2, 3), (1, 5), (100, 7), (5000, 4)])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("seed", [0, 17])
def test_indices_match_torch_for_every_rank_and_epoch(n, replicas, shuffle, drop_last, seed):
    data = _Sized(n)
    for rank in range(replicas):
        ours = DistributedSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                                  drop_last=drop_last)
        ref = TorchSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        assert (len(ours), ours.num_samples, ours.total_size) == (len(ref), ref.num_samples, ref.total_size)
        for epoch in (0, 1, 5):
            ours.set_epoch(epoch)
            ref.set_epoch(epoch)
            assert list(ours) == list(ref)


def test_ranks_partition_the_padded_epoch():
    data = _Sized(10)
    shares = [list(DistributedSampler(data, num_replicas=4, rank=r, seed=3)) for r in range(4)]
    assert all(len(s) == 3 for s in shares)
    flat = sorted(i for share in shares for i in share)
    assert set(flat) == set(range(10)) and len(flat) == 12  # every index once, two repeated as padding


def test_works_as_a_dataloader_sampler():
    ds = TensorDataset(ember.arange(12).float())
    sampler = DistributedSampler(ds, num_replicas=3, rank=1, seed=5)
    ref = TorchSampler(_Sized(12), num_replicas=3, rank=1, seed=5)
    got = [int(v) for (xb,) in DataLoader(ds, batch_size=2, sampler=sampler) for v in xb.tolist()]
    assert got == list(ref)


@pytest.mark.parametrize("rank", [-1, 3])
def test_invalid_rank_raises_like_torch(rank):
    with pytest.raises(ValueError) as ours:
        DistributedSampler(_Sized(5), num_replicas=3, rank=rank)
    with pytest.raises(ValueError) as ref:
        TorchSampler(_Sized(5), num_replicas=3, rank=rank)
    assert str(ours.value) == str(ref.value)


def test_without_a_process_group_raises_like_torch():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(_Sized(5))
