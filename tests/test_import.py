"""`import ember` loads NumPy and nothing else from outside the standard library: SciPy, numba, threadpoolctl and the
app extras are imported on first use, so the core install starts fast whatever else is installed."""
import subprocess
import sys

_NEW_PACKAGES = """
import sys
before = set(sys.modules)
import ember
new = {m.split(".")[0] for m in set(sys.modules) - before}
print(" ".join(sorted(m for m in new - set(sys.stdlib_module_names) if not m.startswith(("_", "cython")))))
"""


def test_import_ember_loads_only_numpy():
    out = subprocess.run([sys.executable, "-c", _NEW_PACKAGES], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["ember", "numpy"]


def test_gelu_without_scipy_uses_embers_own_erf(monkeypatch):
    import numpy as np
    import torch

    import ember
    from ember.autograd.ops import nn as nn_ops

    x = np.random.default_rng(0).normal(size=(64,)).astype(np.float32) * 3
    expected = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # `from scipy.special import erf` raises ImportError
    nn_ops._erf.cache_clear()
    try:
        without = ember.nn.functional.gelu(ember.tensor(x)).numpy()
        np.testing.assert_allclose(without, expected, rtol=1e-5, atol=1e-6)
        assert nn_ops._erf().__module__ == "ember.autograd.ops.special"
    finally:
        nn_ops._erf.cache_clear()
