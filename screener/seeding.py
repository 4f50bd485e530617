"""The one source of random generators: every random choice in screener draws from a generator made here.

A seed becomes a ``numpy.random.Generator`` in one of two ways:

- ``check_random_state(random_state)``: an estimator's ``random_state`` (a seed, ``None`` or a
  generator passed through), scikit-learn's habit.
- ``stream(name, seed, *key)``: a *named stream*, for a random choice that must be reproducible
  from a project's or a run's state alone (its seed and, say, the ledger length) and independent of
  every other stream. The generator is ``default_rng([seed, *key, *tag])``, where ``tag`` is the
  stream's entry in ``STREAMS``: two streams of the same state never share their draws.

The one generator not made here is EVALUATION.md's prior draw (``simulate.draw_priors``): it
is ``numpy.random.RandomState(seed)``, because that is what ASReview's ``--prior-seed`` draws
and the reference table was made with it.
"""

from __future__ import annotations

import numpy as np

from screener.errors import ConfigError

# stream name -> its tag: the entropy after the seed and the caller's key. The tags are kept
# from the code they came from, so projects and benchmark orders reproduce across the change.
STREAMS: dict[str, tuple[int, ...]] = {
    # a simulation's seeded pool shuffle, then its learner's draws: default_rng(seed)
    "simulation": (),
    # a project's learner rebuilt from the ledger, key (ledger length,): default_rng([seed, n])
    "learner": (),
    # a stopping rule's random check, key (ledger length,); the tag 7 keeps its draws apart from
    # the learner's stream at the same ledger length
    "random_check": (7,),
    # the tail a benchmark appends to a run stopped at its last relevant record
    "order_tail": (),
    # a stopping rule replayed offline, key (crc32 of the rule's spec, target recall x 10,000)
    "stopping_replay": (),
}


def check_random_state(random_state) -> np.random.Generator:
    """One ``numpy.random.Generator`` from a seed, ``None`` or a generator (passed through)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise ConfigError(f"random_state must be an int, None or a numpy Generator, got {random_state!r}")


def stream(name: str, seed: int, *key: int) -> np.random.Generator:
    """The generator of the named stream (``STREAMS``) for ``seed`` and the caller's ``key`` integers."""
    try:
        tag = STREAMS[name]
    except KeyError:
        raise ConfigError(f"unknown random stream {name!r}; streams: {', '.join(STREAMS)}") from None
    if not isinstance(seed, (int, np.integer)) or not all(isinstance(k, (int, np.integer)) for k in key):
        raise ConfigError(f"a stream's seed and key must be integers, got {seed!r}, {key!r}")
    return np.random.default_rng([int(seed), *map(int, key), *tag])
