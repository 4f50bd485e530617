"""Query strategies: which unlabelled records to show next, given the model's scores.

A registry (``QUERY_STRATEGIES``) of small scikit-learn-style estimators (parameters in the
constructor, ``get_params``/``set_params``, checked at the first ``select``), named as in the
active-learning literature. Every strategy breaks ties at random with the generator it is
given, so the input's row order never matters.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from screener.errors import ConfigError


def _order_desc(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions sorted by ``values`` descending, ties in random order."""
    tiebreak = rng.random(len(values))
    return np.lexsort((tiebreak, -values))


def _top(values: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """The ``n`` positions with the highest values (random among ties), best first."""
    if n == 1:  # the hot path of a simulation: O(N), no sort
        best = np.flatnonzero(values == values.max())
        return best[[rng.integers(len(best))]] if len(best) > 1 else best
    return _order_desc(values, rng)[:n]


class QueryStrategy(BaseEstimator):
    """Base class: ``select(scores, n, rng)`` gives the positions of the next ``n`` records, best first."""

    def select(self, scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class MaxQuery(QueryStrategy):
    """Most likely relevant first ("certainty" or "max" sampling; Cormack & Grossman's CAL)."""

    def select(self, scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return _top(scores, n, rng)


class UncertaintyQuery(QueryStrategy):
    """Closest to the decision boundary first (probability nearest 0.5; Lewis & Gale 1994)."""

    def select(self, scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return _top(-np.abs(scores - 0.5), n, rng)


class MaxRandomQuery(QueryStrategy):
    """``max`` with a seeded share of random picks, so the model also sees records it would not choose.

    Parameters
    ----------
    random_share : float in [0, 1)
        Expected share of picks drawn uniformly from the unlabelled records.
    """

    def __init__(self, *, random_share: float = 0.05):
        self.random_share = random_share

    def select(self, scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        if not 0.0 <= self.random_share < 1.0:
            raise ConfigError(f"random_share must be in [0, 1), got {self.random_share!r}")
        order = _order_desc(scores, rng) if n > 1 else None
        picks: list[int] = []
        taken = np.zeros(len(scores), dtype=bool)
        cursor = 0
        for _ in range(min(n, len(scores))):
            if rng.random() < self.random_share:
                free = np.flatnonzero(~taken)
                j = int(free[rng.integers(len(free))])
            else:
                if order is None:
                    masked = np.where(taken, -np.inf, scores)
                    j = int(_top(masked, 1, rng)[0])
                else:
                    while taken[order[cursor]]:
                        cursor += 1
                    j = int(order[cursor])
            taken[j] = True
            picks.append(j)
        return np.asarray(picks, dtype=np.intp)


QUERY_STRATEGIES: dict[str, type[QueryStrategy]] = {
    "max": MaxQuery,
    "uncertainty": UncertaintyQuery,
    "max_random": MaxRandomQuery,
}


def make_query_strategy(name: str, **params) -> QueryStrategy:
    """The query strategy registered under ``name``, built with ``params``."""
    try:
        cls = QUERY_STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"unknown query strategy {name!r}; choose one of {', '.join(QUERY_STRATEGIES)}") from None
    unknown = sorted(set(params) - set(cls().get_params()))
    if unknown:
        raise ConfigError(f"query strategy {name!r} has no parameter {', '.join(unknown)}")
    return cls(**params)
