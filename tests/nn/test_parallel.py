"""nn.parallel in one process: DataParallel is a plain forward on the CPU as torch's; DistributedDataParallel
needs a process group (torch's error); the engine hooks DDP relies on. Across ranks: tests/distributed/."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import function as engine

torch = pytest.importorskip("torch")


def test_data_parallel_on_cpu_is_the_module_as_torch():
    ours = nn.parallel.DataParallel(nn.Linear(3, 2))
    ref = torch.nn.parallel.DataParallel(torch.nn.Linear(3, 2))
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["module.weight", "module.bias"]
    assert ours.device_ids == ref.device_ids == []
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)


def test_ddp_without_a_process_group_raises_like_torch():
    with pytest.raises(ValueError) as ours:
        nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
    with pytest.raises(ValueError) as ref:
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 2))
    assert str(ours.value) == str(ref.value)


def test_post_accumulate_hook_runs_per_edge_and_callbacks_once_after_backward():
    w = ember.ones(3, requires_grad=True)
    seen, done = [], []

    def post(t):
        seen.append(t.grad.numpy().copy())
        if len(seen) == 1:
            engine.queue_callback(lambda: done.append(w.grad.numpy().copy()))

    w._hooks = [engine._PostAccumulate(post)]
    ((w * 3).sum() + (w * w).sum()).backward()
    assert len(seen) == 3 and np.array_equal(seen[-1], np.full(3, 5.0))  # 3 edges reach w: 3, 1, 1
    assert len(done) == 1 and np.array_equal(done[0], np.full(3, 5.0))
    assert not engine._callbacks
