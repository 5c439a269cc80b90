"""SyncBatchNorm on one process is BatchNorm (values, gradients, running statistics) as torch's; conversion
keeps parameters, buffers and state_dict keys. Over ranks: tests/distributed/test_ddp.py (workers/syncbn.py)."""
import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")


def _pair(shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_without_a_process_group_it_is_batchnorm_as_torch(shape, momentum):
    ours, ref = nn.SyncBatchNorm(3, momentum=momentum), torch.nn.SyncBatchNorm(3, momentum=momentum)
    xe, xt = _pair(shape)
    for _ in range(2):
        ye, yt = ours(xe), ref(xt)
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    ours.eval(), ref.eval()
    np.testing.assert_allclose(ours(xe).detach().numpy(), ref(xt).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_convert_sync_batchnorm_shares_parameters_and_keeps_keys_as_torch():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2),
                                 lib.nn.Sequential(lib.nn.Flatten(), lib.nn.BatchNorm1d(8)))

    model = build(ember)
    weight, mean = model[1].weight, model[1].running_mean
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ref = torch.nn.SyncBatchNorm.convert_sync_batchnorm(build(torch))
    assert [type(m).__name__ for m in converted.modules()] == [type(m).__name__ for m in ref.modules()]
    assert list(converted.state_dict()) == list(ref.state_dict())
    assert converted[1].weight is weight and converted[1].running_mean is mean
    top = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4))
    assert isinstance(top, nn.SyncBatchNorm)


def test_input_rank_error_as_torch():
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        nn.SyncBatchNorm(3)(ember.ones(3))
