"""Random number generation: ``manual_seed``, ``Generator`` and the default generator.

ember draws from NumPy's PCG64; the streams differ from torch's (tests copy values across).
"""
from __future__ import annotations

import numpy as np


class Generator:
    """A random number generator, like ``torch.Generator`` (``manual_seed``, ``initial_seed``, state)."""

    def __init__(self, device="cpu"):
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed) -> "Generator":
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The bit generator's state (a dict, where torch returns a ByteTensor)."""
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self):
        from ._backend import CPU

        return CPU


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed ember's default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def _gen(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng
