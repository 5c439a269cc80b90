"""``torch.nn.utils.rnn``: PackedSequence and the pack/pad helpers (defined in ``ember/nn/_packed_sequence.py``, a
leaf module, so that ``nn.modules.rnn`` can use them without importing the ``nn.utils`` package, whose other
modules import ``nn.modules``)."""
from .._packed_sequence import *  # noqa: F401,F403
from .._packed_sequence import __all__  # noqa: F401
