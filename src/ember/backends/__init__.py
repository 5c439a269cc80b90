"""``ember.backends``: the flags of torch.backends that programs set, as a CPU build of torch answers them.

Each submodule holds torch's attributes with torch's CPU-build defaults; they can be set and read back,
and change nothing in ember (there is no cuDNN, TF32 or MPS here; ember's matrix products are NumPy's).
"""
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401
