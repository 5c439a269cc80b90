"""torch's "modified by an inplace operation" check: same scenarios, same outcome (and versions) as torch."""
from __future__ import annotations

import re

import numpy as np
import pytest
from _oracle import torch

import ember

PREFIX = "one of the variables needed for gradient computation has been modified by an inplace operation"


def _saved_input_add(lib):
    x, w = lib.ones(3), lib.ones(3, requires_grad=True)
    y = (w * x).sum()
    x.add_(1)
    x.mul_(2)
    y.backward()


def _unsaved_input(lib):  # addition saves nothing: changing its input is fine
    x, w = lib.ones(3), lib.ones(3, requires_grad=True)
    y = (w + x).sum()
    x.add_(1)
    y.backward()


def _optimizer_step_before_second_backward(lib):
    w = lib.ones(3, requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    opt.step()
    y.backward()


def _adam_step_before_backward(lib):
    lin = lib.nn.Linear(4, 2)
    opt = lib.optim.Adam(lin.parameters(), lr=0.1)
    loss = lin(lib.ones(5, 4)).pow(2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    loss.backward()


def _data_is_untracked(lib):
    w = lib.ones(3, requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(2)
    y.backward()


def _no_grad_change_of_an_unsaved_leaf(lib):  # exp saves its output, not its input
    w = lib.ones(3, requires_grad=True)
    y = w.exp().sum()
    with lib.no_grad():
        w.add_(1)
    y.backward()


def _saved_output_changed(lib):
    w = lib.ones(3, requires_grad=True)
    e = w.exp()
    z = e.sigmoid().sum()  # sigmoid saves its output; exp its own
    with lib.no_grad():
        e.mul_(2)
    z.backward()


def _item_assignment(lib):
    x, w = lib.ones(3), lib.ones(3, requires_grad=True)
    y = (w * x).sum()
    x[0] = 5
    y.backward()


def _detach_shares_the_version(lib):
    w = lib.ones(3, requires_grad=True)
    y = (w * w).sum()
    w.detach().mul_(2)
    y.backward()


def _change_of_a_view(lib):
    x, w = lib.ones(4), lib.ones(2, requires_grad=True)
    y = (w * x[:2]).sum()
    x[2:].zero_()  # another part of the same memory: torch counts versions per storage
    y.backward()


def _change_after_backward_is_fine(lib):
    x, w = lib.ones(3), lib.ones(3, requires_grad=True)
    for _ in range(3):
        (w * x).sum().backward()
        x.add_(1)


def _recorded_inplace_is_fine(lib):
    w = lib.ones(3, requires_grad=True)
    y = w * 2
    y.add_(1)  # recorded: part of the graph
    (y * y).sum().backward()


def _copy_and_fill(lib):
    x, w = lib.ones(3), lib.ones(3, requires_grad=True)
    y = (w * x).sum()
    x.copy_(lib.zeros(3))
    x.fill_(2)
    x.clamp_(0, 1)
    y.backward()


def _factor_no_gradient_reads(lib):  # w*x with x constant: torch saves x only (for w's gradient)
    x, w = lib.ones(3), lib.ones(3, requires_grad=True)
    y = (w * x).sum()
    with lib.no_grad():
        w.mul_(3)
    y.backward()


def _matmul_operands(lib):
    a, b = lib.ones(2, 3, requires_grad=True), lib.ones(3, 4)
    y = (a @ b).sum()
    with lib.no_grad():
        a.add_(1)  # not read by any needed gradient
    y.backward(retain_graph=True)
    b.add_(1)  # read for a's gradient
    y.backward()


def _load_state_dict_before_backward(lib):
    lin = lib.nn.Linear(3, 2)
    x = lib.ones(4, 3, requires_grad=True)  # so that the weight is saved (for x's gradient)
    y = lin(x).sum()
    lin.load_state_dict({k: v * 2 for k, v in lin.state_dict().items()})
    y.backward()


def _load_state_dict_weight_not_needed(lib):
    lin = lib.nn.Linear(3, 2)
    y = lin(lib.ones(4, 3)).sum()
    lin.load_state_dict({k: v * 2 for k, v in lin.state_dict().items()})
    y.backward()


def _init_before_backward(lib):
    w = lib.ones(3, requires_grad=True)
    y = (w * w).sum()
    lib.nn.init.uniform_(w)
    y.backward()


def _vector_to_parameters_before_backward(lib):
    w = lib.ones(3, requires_grad=True)
    y = (w * w).sum()
    lib.nn.utils.vector_to_parameters(lib.zeros(3), [w])
    y.backward()


CASES = [_load_state_dict_before_backward, _load_state_dict_weight_not_needed, _init_before_backward, _factor_no_gradient_reads, _matmul_operands, _saved_input_add, _unsaved_input, _optimizer_step_before_second_backward, _adam_step_before_backward,
         _data_is_untracked, _no_grad_change_of_an_unsaved_leaf, _saved_output_changed, _item_assignment,
         _detach_shares_the_version, _change_of_a_view, _change_after_backward_is_fine, _recorded_inplace_is_fine,
         _copy_and_fill]


def _outcome(fn, lib):
    try:
        fn(lib)
    except RuntimeError as e:
        return str(e)
    return None


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__.strip("_"))
def test_inplace_change_of_saved_values_raises_like_torch(case):
    got, want = _outcome(case, ember), _outcome(case, torch)
    assert (got is None) == (want is None), (got, want)
    if want is not None:
        assert got.startswith(PREFIX) and want.startswith(PREFIX)
        versions = r"is at version (\d+); expected version (\d+) instead"
        assert re.search(versions, got).groups() == re.search(versions, want).groups(), (got, want)


def test_vector_to_parameters_copies_in_place_so_a_stale_graph_raises():
    """A documented difference: torch rebinds param.data (the graph keeps the old values), ember copies into the
    parameter's array (an optimizer's flat buffer stays valid), so the stale graph must not run silently."""
    assert _outcome(_vector_to_parameters_before_backward, torch) is None
    assert _outcome(_vector_to_parameters_before_backward, ember).startswith(PREFIX)


def test_the_message_names_the_saved_array_and_the_node():
    with pytest.raises(RuntimeError, match=r"\[ember\.FloatTensor \[3\]\], which is saved by MulBackward0, is at version 2"):
        _saved_input_add(ember)


def test_training_loop_without_changes_keeps_gradients_exact(rng):
    """The check costs nothing when nothing changes between forward and backward; gradients stay torch's."""
    tm = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    em = ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.ReLU(), ember.nn.Linear(4, 1))
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    to, eo = torch.optim.Adam(tm.parameters(), 0.01), ember.optim.Adam(em.parameters(), 0.01)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    for _ in range(5):
        for m, o, t in ((tm, to, torch.tensor(x)), (em, eo, ember.tensor(x))):
            o.zero_grad()
            m(t).pow(2).mean().backward()
            o.step()
    for (name, tp), ep in zip(tm.named_parameters(), em.parameters()):
        np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
