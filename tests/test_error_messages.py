"""torch's error messages: each raised message is written in one module (``ember/_errors.py`` holds the shared ones).

The source is read with ``ast``: a message that two modules raise as a literal (a string or the literal text of
an f-string) fails ``test_no_message_is_written_in_two_modules``. Then each shared message is triggered through
the public API, the same call on ember and on torch, and the exception type and text compared.
"""
from __future__ import annotations

import ast
import pathlib

import pytest
from _oracle import torch

import ember
from ember import _errors

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "ember"


def _literal(node) -> str | None:
    """The message of ``raise E("...")``/``raise E(f"...")`` with ``{}`` for each formatted value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _raised_messages() -> dict[str, set[str]]:
    """Literal message -> the modules that raise it."""
    out: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args
                    and isinstance(node.exc.func, ast.Name)):  # raise SomeError("..."), not raise _errors.x(...)
                text = _literal(node.exc.args[0])
                if text and text.strip("{} "):
                    out.setdefault(text, set()).add(str(path.relative_to(SRC)))
    return out


def test_no_message_is_written_in_two_modules():
    twice = {m: sorted(where) for m, where in _raised_messages().items() if len(where) > 1}
    assert not twice, f"move these to ember/_errors.py: {twice}"


def test_the_reader_finds_literal_messages():
    messages = _raised_messages()
    assert "Invalid beta parameter at index 0: {}" in messages and "ZeroDivisionError" not in messages


def test_each_shared_message_is_raised_from_two_modules():
    """What ``_errors`` holds is what several modules need (else it belongs beside its one check)."""
    callers: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "_errors"):
                callers.setdefault(node.attr, set()).add(str(path.relative_to(SRC)))
    public = [n for n, v in vars(_errors).items() if callable(v) and v.__module__ == _errors.__name__]
    assert len(public) > 20
    assert {n: sorted(callers.get(n, ())) for n in public if len(callers.get(n, ())) < 2} == {}


def _param(lib):
    return lib.zeros(2, requires_grad=True)


# (id, call) with the same code for ember and torch: ``call(lib)`` raises
CASES = [
    ("sgd_lr", lambda lib: lib.optim.SGD([_param(lib)], lr=-1.0)),
    ("adam_lr", lambda lib: lib.optim.Adam([_param(lib)], lr=-0.5)),
    ("adam_eps", lambda lib: lib.optim.Adam([_param(lib)], eps=-1e-8)),
    ("adagrad_weight_decay", lambda lib: lib.optim.Adagrad([_param(lib)], weight_decay=-1)),
    ("rmsprop_momentum", lambda lib: lib.optim.RMSprop([_param(lib)], momentum=-0.9)),
    ("rmsprop_alpha", lambda lib: lib.optim.RMSprop([_param(lib)], alpha=-0.9)),
    ("sgd_momentum", lambda lib: lib.optim.SGD([_param(lib)], lr=0.1, momentum=-1)),
    ("adadelta_rho", lambda lib: lib.optim.Adadelta([_param(lib)], rho=1.5)),
    ("onecycle_anneal", lambda lib: lib.optim.lr_scheduler.OneCycleLR(
        lib.optim.SGD([_param(lib)], lr=0.1), max_lr=1.0, total_steps=10, anneal_strategy="step")),
    ("dim_out_of_range", lambda lib: lib.ones(2, 3).sum(dim=2)),
    ("dim_out_of_range_softmax", lambda lib: lib.ones(2, 3).softmax(-3)),
    ("int_requires_grad", lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True)),
    ("int_parameter", lambda lib: lib.nn.Parameter(lib.tensor([1, 2]))),
    ("stack_sizes", lambda lib: lib.stack([lib.zeros(2), lib.zeros(3)])),
    ("collate_sizes", lambda lib: lib.utils.data.default_collate([lib.zeros(2), lib.zeros(3)])),
    ("clamp_no_bound", lambda lib: lib.clamp(lib.ones(2))),
    ("vector_norm_int", lambda lib: lib.linalg.vector_norm(lib.tensor([1, 2]))),
    ("normal_std", lambda lib: lib.normal(0.0, -1.5, size=(2,))),
    ("multinomial_too_many", lambda lib: lib.multinomial(lib.ones(3), 4)),
    ("multinomial_negative", lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1)),
    ("multinomial_zero", lambda lib: lib.multinomial(lib.zeros(3), 1)),
    ("bernoulli_probs_and_logits", lambda lib: lib.distributions.Bernoulli()),
    ("categorical_probs_and_logits", lambda lib: lib.distributions.Categorical(
        probs=lib.ones(2) / 2, logits=lib.zeros(2))),
    ("dropout_p", lambda lib: lib.nn.Dropout(p=1.5)),
    ("dropout_functional_p", lambda lib: lib.nn.functional.dropout(lib.ones(2), p=-0.1)),
    ("multi_margin_p", lambda lib: lib.nn.MultiMarginLoss(p=3)),
    ("conv_padding_string", lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 3, 3),
                                                                 padding="full")),
    ("conv_same_strided", lambda lib: lib.nn.functional.conv1d(lib.ones(1, 1, 4), lib.ones(1, 1, 3), stride=2,
                                                               padding="same")),
    ("conv_kernel_too_large", lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 2, 2), lib.ones(1, 1, 3, 3))),
    ("conv3d_kernel_too_large", lambda lib: lib.nn.functional.conv3d(lib.ones(1, 1, 2, 2, 2),
                                                                     lib.ones(1, 1, 3, 3, 3))),
    ("conv_kernel_size", lambda lib: lib.nn.Conv2d(1, 3, 0)(lib.ones(1, 1, 4, 4))),  # (#17: uninitialised memory)
    ("conv1d_kernel_size", lambda lib: lib.nn.functional.conv1d(lib.ones(1, 1, 4), lib.ones(3, 1, 0))),
    ("conv3d_kernel_size", lambda lib: lib.nn.functional.conv3d(lib.ones(1, 1, 4, 4, 4), lib.ones(3, 1, 2, 0, 2))),
    ("conv_transpose2d_kernel_size", lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(1, 1, 4, 4),
                                                                                    lib.ones(1, 3, 2, 0))),
    ("conv_transpose3d_kernel_size", lambda lib: lib.nn.functional.conv_transpose3d(lib.ones(1, 1, 4, 4, 4),
                                                                                    lib.ones(1, 3, 0, 2, 2))),
    ("pool_pad", lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 1, 4, 4), 2, padding=2)),
    ("pool_divisor", lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 1, 4, 4), 2, divisor_override=0)),
    ("embedding_index", lambda lib: lib.nn.functional.embedding(lib.tensor([3]), lib.ones(2, 2))),
    ("index_select_index", lambda lib: lib.ones(2, 2).index_select(0, lib.tensor([5]))),
    ("integer_floor_divide_by_zero", lambda lib: lib.tensor([3]) // lib.tensor([0])),
    ("randint_empty_range", lambda lib: lib.randint(3, 3, (2,))),
    ("tensor_of_a_string", lambda lib: lib.tensor([1, "a"])),
    ("legacy_constructor_of_a_string", lambda lib: lib.FloatTensor("a")),
    ("expand_size", lambda lib: lib.ones(2, 3).expand(4, 3)),
    ("bmm_batch2", lambda lib: lib.baddbmm(lib.ones(2, 2, 2), lib.ones(2, 2, 3), lib.ones(2, 4, 2))),
    ("prelu_count", lambda lib: lib.nn.functional.prelu(lib.ones(1, 3, 2), lib.ones(2))),
    ("conv_output_small", lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 3, 3),
                                                               dilation=3)),
    ("conv_dtype", lambda lib: lib.nn.functional.conv2d(lib.ones(1, 1, 4, 4), lib.ones(1, 1, 3, 3,
                                                                                   dtype=lib.float64))),
    ("pool_output_small", lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 1, 2, 2), 3, stride=1, padding=1,
                                                                   dilation=2)),
    ("pool1d_dims", lambda lib: lib.nn.functional.avg_pool1d(lib.ones(2, 2, 2, 2), 2)),
    ("instance_norm_dims", lambda lib: lib.nn.InstanceNorm1d(2)(lib.ones(2))),
    ("pad_dims", lambda lib: lib.nn.ReflectionPad2d(1)(lib.ones(2))),
]


@pytest.mark.parametrize("call", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_shared_message_matches_torch(call):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(Exception) as got:
        call(ember)
    assert (type(got.value), str(got.value)) == (want.type, str(want.value))
