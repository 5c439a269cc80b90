"""DistributedDataParallel under mpiexec: 20 training steps of an MLP and a small CNN equal, bit for bit across
ranks and within 1e-6 of one process training on the global batch; no_sync, find_unused_parameters, late
gradients, the unfinished-reduction error and state_dict keys."""
import datetime

import numpy as np

import ember
import ember.distributed as dist
import ember.nn.functional as F
from _say import say
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group(timeout=datetime.timedelta(seconds=60))
rank, size = dist.get_rank(), dist.get_world_size()
B = 8 * size  # global batch


def mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(6 * 2 * 2, 5))


def batches(shape, steps, seed=7):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((B,) + shape).astype(np.float32), rng.integers(0, 5, B)) for _ in range(steps)]


def shard(a):
    n = len(a) // size
    return a[rank * n:(rank + 1) * n]


def params_of(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same_on_all_ranks(arrays):
    everyone = [None] * size
    dist.all_gather_object(everyone, arrays)
    for other in everyone:
        for k in arrays:
            assert np.array_equal(other[k], arrays[k]), f"rank {rank}: {k} differs across ranks"


def train(build, shape, make_opt, steps=20, late_decay=0.0):
    ember.manual_seed(1000 + rank)  # different initial weights on every rank: DDP must broadcast rank 0's
    local = build()
    ddp = DDP(local, bucket_cap_mb=0.0005)  # tiny buckets: several per model, launched during backward
    ref = build()
    ref.load_state_dict(local.state_dict())  # the broadcast initial state, identical on every rank
    opt, ref_opt = make_opt(ddp), make_opt(ref)
    for x, y in batches(shape, steps):
        for model, o, xb, yb, scale in ((ddp, opt, shard(x), shard(y), 1.0), (ref, ref_opt, x, y, 1.0)):
            o.zero_grad()
            loss = F.cross_entropy(model(ember.tensor(xb)), ember.tensor(yb)) * scale
            if late_decay:  # a loss term on the parameters outside the forward: gradients after their bucket
                loss = loss + late_decay * sum((p * p).sum() for p in model.parameters())
            loss.backward()
            o.step()
    got, want = params_of(local), params_of(ref)
    assert_same_on_all_ranks(got)
    worst = max(float(np.abs(got[k] - want[k]).max()) for k in got)
    assert worst <= 1e-6, f"{build.__name__}: DDP differs from one process by {worst}"
    return ddp, worst


sgd = lambda m: ember.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
ddp, w1 = train(mlp, (20,), sgd)
assert not any(b.copied for b in ddp._buckets), "flat optimizer buffers: every bucket reduced in place"
assert len(ddp._buckets) >= 3, len(ddp._buckets)
_, w2 = train(cnn, (1, 10, 10), sgd)


def two_groups(m):  # weights and biases in separate flat buffers: buckets that span both are copied
    ps = list(m.named_parameters())
    return ember.optim.Adam([{"params": [p for n, p in ps if n.endswith("weight")]},
                             {"params": [p for n, p in ps if n.endswith("bias")], "lr": 0.01}], lr=0.001)


ddp, w3 = train(cnn, (1, 10, 10), two_groups)
assert any(b.copied for b in ddp._buckets)
_, w4 = train(mlp, (20,), sgd, steps=5, late_decay=0.01)

# state_dict keys and .module
assert all(k.startswith("module.") for k in ddp.state_dict()) and isinstance(ddp.module, nn.Sequential)
assert [n for n, _ in ddp.named_parameters()] == ["module." + n for n, _ in ddp.module.named_parameters()]

# no_sync: two accumulated micro-batches per rank equal one process on the large batch (loss x 2)
ember.manual_seed(5)
local = mlp()
ddp = DDP(local)
ref = mlp()
ref.load_state_dict(local.state_dict())
(x1, y1), (x2, y2) = batches((20,), 2, seed=11)
with ddp.no_sync():
    F.cross_entropy(ddp(ember.tensor(shard(x1))), ember.tensor(shard(y1))).backward()
inside = {n: p.grad.numpy().copy() for n, p in local.named_parameters()}
F.cross_entropy(ddp(ember.tensor(shard(x2))), ember.tensor(shard(y2))).backward()
xs = np.concatenate([np.concatenate([shard_r[r * 8:(r + 1) * 8] for shard_r in (x1, x2)]) for r in range(size)])
ys = np.concatenate([np.concatenate([shard_r[r * 8:(r + 1) * 8] for shard_r in (y1, y2)]) for r in range(size)])
(F.cross_entropy(ref(ember.tensor(xs)), ember.tensor(ys)) * 2).backward()
for (n, p), (_, q) in zip(local.named_parameters(), ref.named_parameters()):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6, rtol=0)
if size > 1:  # inside no_sync the gradients were local: they differ across ranks
    everyone = [None] * size
    dist.all_gather_object(everyone, inside)
    assert any(not np.array_equal(everyone[0][k], everyone[1][k]) for k in inside)


class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)
        self.never = nn.Linear(4, 3)  # used on no rank
        self.rank0 = nn.Linear(4, 3)  # used on rank 0 only

    def forward(self, x):
        out = self.a(x)
        return out + self.rank0(x) if rank == 0 else out


ember.manual_seed(3)
model = Branches()
ddp = DDP(model, find_unused_parameters=True)
x = ember.tensor(np.random.default_rng(rank).standard_normal((6, 4)).astype(np.float32))
ddp(x).sum().backward()
assert model.never.weight.grad is None and model.never.bias.grad is None
everyone = [None] * size
dist.all_gather_object(everyone, x.numpy())
xs = np.concatenate(everyone)
expect_a = sum(np.ones((6, 3), np.float32).T @ e for e in everyone) / size
np.testing.assert_allclose(model.a.weight.grad.numpy(), expect_a, atol=1e-5)
np.testing.assert_allclose(model.rank0.weight.grad.numpy(), np.ones((6, 3), np.float32).T @ everyone[0] / size,
                           atol=1e-5)
assert_same_on_all_ranks({n: p.grad.numpy() for n, p in model.named_parameters() if p.grad is not None})

# without find_unused_parameters, a parameter without gradient leaves the reduction unfinished: torch's error
ember.manual_seed(3)
ddp = DDP(Branches())
ddp(x).sum().backward()
try:
    ddp(x)
    raise AssertionError("expected RuntimeError")
except RuntimeError as e:
    assert "Expected to have finished reduction in the prior iteration" in str(e) and "never.weight" in str(e)
# SyncBatchNorm over ranks equals BatchNorm on the concatenated batch: output, input gradient, summed
# parameter gradients and running statistics
rng = np.random.default_rng(21)
xs = [rng.standard_normal((3 + r, 3, 4, 4)).astype(np.float32) for r in range(size)]  # uneven shards
cs = [rng.standard_normal(x.shape).astype(np.float32) for x in xs]
sync, ref = nn.SyncBatchNorm(3), nn.BatchNorm2d(3)
for _ in range(2):
    xe = ember.tensor(xs[rank], requires_grad=True)
    y = sync(xe)
    (y * ember.tensor(cs[rank])).sum().backward()
    xa = ember.tensor(np.concatenate(xs), requires_grad=True)
    yr = ref(xa)
    (yr * ember.tensor(np.concatenate(cs))).sum().backward()
lo = sum(len(x) for x in xs[:rank])
np.testing.assert_allclose(y.detach().numpy(), yr.detach().numpy()[lo:lo + len(xs[rank])], atol=1e-5)
np.testing.assert_allclose(xe.grad.numpy(), xa.grad.numpy()[lo:lo + len(xs[rank])], atol=1e-5)
for name in ("weight", "bias"):
    g = getattr(sync, name).grad.clone()
    dist.all_reduce(g)
    np.testing.assert_allclose(g.numpy(), getattr(ref, name).grad.numpy(), rtol=1e-5, atol=1e-5)
for name in ("running_mean", "running_var"):
    np.testing.assert_allclose(getattr(sync, name).numpy(), getattr(ref, name).numpy(), rtol=1e-5, atol=1e-6)
say(f"max |DDP - one process| mlp {w1:.2e} cnn {w2:.2e} cnn-2groups {w3:.2e} late {w4:.2e}")
say(f"OK {rank}")
