"""The one way a seed becomes a random generator: every random choice in screener draws from it."""

from __future__ import annotations

import numpy as np

from screener.errors import ConfigError


def check_random_state(random_state) -> np.random.Generator:
    """One ``numpy.random.Generator`` from a seed, ``None`` or a generator (passed through)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise ConfigError(f"random_state must be an int, None or a numpy Generator, got {random_state!r}")
