"""Heuristic stopping rules (no statistical guarantee): N irrelevant in a row, the knee and
budget methods, and the SAFE procedure.
"""

from __future__ import annotations

import math

import numpy as np

from screener.errors import ConfigError
from screener.stopping.base import Param, RunState, StoppingRule, Verdict, run_of_zeros


class NInARow(StoppingRule):
    """Stop after ``n`` irrelevant ranked records in a row, or ``share`` of the pool in a row.

    The common practitioners' heuristic (e.g. ASReview's "stop after N irrelevant");
    see also Ros et al. 2017 and Boetje & van de Schoot 2024. Heuristic: no guarantee.
    Give at most one of ``n`` and ``share``; the default is n = 100.
    """

    name = "n_in_a_row"
    PARAMS = {"n": Param(int, 1, optional=True), "share": Param(float, 0, 1, low_open=True, optional=True)}

    def __init__(self, *, n: int | None = None, share: float | None = None):
        self.n = n
        self.share = share

    def _check_params(self) -> None:
        if self.n is not None and self.share is not None:
            raise ConfigError("stopping rule 'n_in_a_row': give n or share, not both")

    def threshold(self, pool_size: int) -> int:
        self._validate()
        if self.share is not None:
            return max(1, math.ceil(self.share * pool_size))
        return 100 if self.n is None else int(self.n)

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        n = self.threshold(state.pool_size)
        if (end := self._at_end(state)) is not None:
            return end
        run = run_of_zeros(state.ranked)
        stop = run >= n
        return self._verdict(state, stop, f"{run} irrelevant records in a row; the rule stops at {n}.")


def knee_rho(ranked: np.ndarray) -> tuple[float, int]:
    """Slope ratio at the knee of the gain curve (Cormack & Grossman 2016), and the knee's rank.

    The knee is the point of the curve (rank, relevant found) farthest above the straight
    line from the origin to the current point; ρ = (rel(i)/i) / ((rel(s) − rel(i) + 1)/(s − i)).
    """
    s = len(ranked)
    if s < 2:
        return 0.0, 0
    rel = np.cumsum(ranked)
    total = rel[-1]
    if total == 0:
        return 0.0, 0
    i = np.arange(1, s + 1)
    dist = rel / total - i / s  # distance above the diagonal in normalised coordinates
    knee = int(np.argmax(dist[:-1])) + 1  # 1-based, strictly before s
    rho = (rel[knee - 1] / knee) / ((total - rel[knee - 1] + 1) / (s - knee))
    return float(rho), knee


class Knee(StoppingRule):
    """Knee method (Cormack & Grossman 2016, "Engineering quality and reliability in
    technology-assisted review", SIGIR): stop once the slope ratio at the knee of the gain
    curve is ≥ 156 − min(relret, 150) and at least ``min_screened`` (150) records are screened.
    Heuristic: no guarantee (aimed at recall ≈ 0.7 and up in the paper).
    """

    name = "knee"
    PARAMS = {"min_screened": Param(int, 0)}

    def __init__(self, *, min_screened: int = 150):
        self.min_screened = min_screened

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        if (end := self._at_end(state)) is not None:
            return end
        ranked = state.ranked
        rho, knee = knee_rho(ranked)
        relret = int(ranked.sum())
        need = 156 - min(relret, 150)
        stop = len(ranked) >= self.min_screened and rho >= need
        return self._verdict(state, stop, f"Slope ratio {rho:.1f} at the knee (rank {knee}) against {need} needed, "
                             f"{len(ranked)} of at least {self.min_screened} records screened.")


class Budget(StoppingRule):
    """Budget method (Cormack & Grossman 2016): stop when ρ ≥ 6 at the knee and at least
    10·|pool|/relret records are screened, or when 75% of the pool is screened.
    Heuristic: no guarantee.
    """

    name = "budget"
    PARAMS = {"rho": Param(float, 0), "budget_share": Param(float, 0, 1, low_open=True)}

    def __init__(self, *, rho: float = 6.0, budget_share: float = 0.75):
        self.rho = rho
        self.budget_share = budget_share

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        if (end := self._at_end(state)) is not None:
            return end
        ranked = state.ranked
        s = len(ranked)
        relret = int(ranked.sum())
        rho, _ = knee_rho(ranked)
        pool = state.pool_size
        enough = relret > 0 and s >= 10 * pool / relret
        if rho >= self.rho and enough:
            return self._verdict(state, True, f"Slope ratio {rho:.1f} ≥ {self.rho:g} and {s} ≥ 10·pool/relret records screened.")
        if s >= self.budget_share * pool:
            return self._verdict(state, True, f"{s} records screened: the budget of {self.budget_share:.0%} of the pool is spent.")
        return self._verdict(state, False, f"Slope ratio {rho:.1f}, {s} screened; neither the knee nor the budget is reached.")


class SAFE(StoppingRule):
    """SAFE procedure (Boetje & van de Schoot 2024, Systematic Reviews 13:81), a multi-phase heuristic.

    1. Screen a random sample (``random_share`` of the pool, 1%) as training data; it also
       estimates the number of relevant records.
    2. Active learning until all hold: at least twice the estimated number of relevant records
       screened, at least ``min_share`` (10%) of the pool screened, ``n`` (50) irrelevant in a row.
    3. Switch to a different model and screen until again ``n`` irrelevant in a row. Replaying a
       single order cannot switch models, so phase 3 continues the same ranking.
    4. Quality checks by a second reviewer (not modelled).
    Heuristic: no guarantee.
    """

    name = "safe"
    draws_sample = True
    PARAMS = {"random_share": Param(float, 0, 1, low_open=True), "min_share": Param(float, 0, 1, low_open=True),
              "n": Param(int, 1)}

    def __init__(self, *, random_share: float = 0.01, min_share: float = 0.10, n: int = 50):
        self.random_share = random_share
        self.min_share = min_share
        self.n = n

    def _sample_size(self, state: RunState) -> int:
        return max(1, math.ceil(self.random_share * state.pool_size))

    def sample_request(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> int:
        self._validate()
        if len(state.sample_labels) == 0 and state.n_unscreened > 0:
            return min(self._sample_size(state), state.n_unscreened)
        return 0

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        if (end := self._at_end(state)) is not None:
            return end
        if len(state.sample_labels) == 0:
            return self._verdict(state, False, "Phase 1: screen a random sample for training data first.")
        frame = state.sample_frame or state.pool_size
        est_relevant = state.sample_labels.mean() * frame + state.labels[: state.sample_start].sum()
        ranked = state.ranked
        # phase 2 ends at the first point where all three conditions hold
        zeros = _run_lengths(ranked)
        s = np.arange(1, len(ranked) + 1) + len(state.sample_labels)
        ok = (s >= 2 * est_relevant) & (s >= self.min_share * state.pool_size) & (zeros >= self.n)
        if not ok.any():
            return self._verdict(state, False, f"Phase 2: {int(zeros[-1]) if len(zeros) else 0} irrelevant in a row of {self.n}, "
                                 f"{s[-1] if len(s) else 0} screened (needs ≥ {max(2 * est_relevant, self.min_share * state.pool_size):.0f}).")
        end2 = int(np.argmax(ok))
        tail = ranked[end2 + 1 :]
        run = run_of_zeros(tail) if len(tail) else 0
        stop = run >= self.n
        return self._verdict(state, stop, f"Phase 3 (replayed on the same ranking): {run} of {self.n} irrelevant in a row.")


def _run_lengths(x: np.ndarray) -> np.ndarray:
    """Length of the run of zeros ending at each position."""
    x = np.asarray(x)
    idx = np.arange(1, len(x) + 1)
    last_one = np.maximum.accumulate(np.where(x != 0, idx, 0))
    return idx - last_one
