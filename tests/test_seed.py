"""The code cells of the seed document (../shared/seed) run on ember with the imports swapped.

The cells are copied here verbatim apart from the import lines (``import ember as torch``,
``import ember.nn as nn``, ``import ember.metrics as torchmetrics``); the same code is then run
on torch/torchmetrics on the same inputs and the printed values are compared.
"""
from __future__ import annotations

import numpy as np
import torch as real_torch
import torchmetrics as real_torchmetrics

import ember


def test_cell_2_loss_function():
    import ember as torch  # noqa: F401
    import ember.nn as nn

    criterion = nn.MSELoss()
    x, y = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    expected = real_torch.nn.MSELoss()(real_torch.from_numpy(x), real_torch.from_numpy(y))
    assert np.isclose(criterion(ember.from_numpy(x), ember.from_numpy(y)).item(), expected.item(), rtol=1e-6)


def test_cell_6_functional_accuracy_without_task():
    import ember as torch
    import ember.metrics as torchmetrics

    preds = torch.randn(10, 5).softmax(dim=1)
    target = torch.randint(5, (10, ))
    print(preds, target)

    acc = torchmetrics.functional.accuracy(preds, target)  # Function을 이용하여 평가
    print(acc)

    expected = real_torchmetrics.functional.accuracy(
        real_torch.from_numpy(preds.numpy()), real_torch.from_numpy(target.numpy()), task="multiclass",
        num_classes=5, average="micro")
    assert isinstance(acc, ember.Tensor) and acc.ndim == 0
    assert np.isclose(acc.item(), expected.item())


def test_cell_9_stateful_accuracy_per_batch_and_total():
    import ember as torch
    import ember.metrics as torchmetrics

    metric = torchmetrics.Accuracy()  # Module을 이용하여 평가
    reference = real_torchmetrics.Accuracy(task="multiclass", num_classes=5, average="micro")
    n_batch = 10
    for i in range(n_batch):
        preds = torch.randn(10, 5).softmax(dim=1)
        target = torch.randint(5, (10, ))
        acc = metric(preds, target)  # 현재 batch의 accuracy 구하기
        print(acc)
        expected = reference(real_torch.from_numpy(preds.numpy()), real_torch.from_numpy(target.numpy()))
        assert np.isclose(acc.item(), expected.item())

    acc = metric.compute()  # 모든 batch의 accuracy 구하기
    print(acc)
    assert np.isclose(acc.item(), reference.compute().item())


def test_prose_snippets_optimizers_schedulers_and_swa():
    """The optimizer, scheduler and SWA lines the seed quotes in its prose, run in a small loop."""
    import ember as torch
    import ember.nn as nn
    from ember.optim.lr_scheduler import LambdaLR, MultiStepLR, StepLR
    from ember.optim.swa_utils import SWALR, AveragedModel

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    for opt_cls in (torch.optim.Adagrad, torch.optim.Adam, torch.optim.RMSprop, torch.optim.SGD):
        optimizer = opt_cls(model.parameters(), lr=0.01)
        optimizer.zero_grad()
        nn.MSELoss()(model(torch.randn(5, 4)), torch.randn(5, 1)).backward()
        optimizer.step()

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    lambda1 = lambda epoch: epoch // 30  # noqa: E731
    for scheduler in (LambdaLR(optimizer, lr_lambda=[lambda1]), StepLR(optimizer, step_size=30, gamma=0.1),
                      MultiStepLR(optimizer, milestones=[30, 50, 100], gamma=0.1)):
        for _ in range(3):
            optimizer.step()
            scheduler.step()
        assert len(scheduler.get_last_lr()) == 1

    swa_model = AveragedModel(model)  # to compute the weights of the SWA model
    swa_model.update_parameters(model)  # to update averages
    swa_scheduler = SWALR(optimizer, anneal_strategy="linear", swa_lr=0.05)
    swa_scheduler.step()
    assert int(swa_model.n_averaged.item()) == 1
    for strategy in ("cos", "linear"):
        SWALR(optimizer, anneal_strategy=strategy, swa_lr=0.05)
