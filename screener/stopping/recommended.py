"""screener's recommended rule: the ranked hypergeometric test of Callaghan & Müller-Hansen (2020,
"Statistical stopping criteria for automated screening in systematic reviews", Systematic Reviews
9:273), read as a lower confidence bound on recall.

Why a rule with a guarantee: no heuristic measured for issue 10 (a biased urn with a fixed bias,
a point-process model of the discovery rate, runs of irrelevant records) reached the target in
95% of runs at the excess effort asked for, with its settings chosen on other pools
(benchmarks/results/stopping_cv.md). This test needs no setting chosen from results, so its
numbers are out of sample by construction.

The bound: for every window of the last n screened records holding k relevant ones, the
hypothesis "m or more relevant records are still unscreened" is rejected at level α when
P(X ≤ k) < α, X ~ Hypergeometric(n + U, k + m, n) (the window as a random draw from itself plus
the U unscreened records; a ranking that puts relevant records first makes this conservative).
With m* the smallest m rejected by some window, recall ≥ r / (r + m* − 1) at confidence 1 − α,
r the relevant records found. The rule stops when that bound reaches the target, which is the
published test (p < α for H0 "recall < τ"). Only the windows that end just before one of the
last ``max_windows`` relevant records (and the whole run) are tried: fewer windows can only
make the bound lower.
"""

from __future__ import annotations

import math

import numpy as np

from screener.stopping.base import Param, RunState, StoppingRule, Verdict, check_target


def hypergeom_cdf(k: int, M: int, K: int, n: int) -> float:
    """P(X ≤ k) for X ~ Hypergeometric(M, K, n), by summing the pmf in log space with ``math.lgamma``
    (scipy's ``hypergeom.cdf`` agrees; a scalar loop is faster for the few terms a test needs)."""
    if K > M or n > M:
        raise ValueError("K and n must not exceed M")
    lo = max(0, n - (M - K))
    if k < lo:
        return 0.0
    if k >= min(K, n):
        return 1.0

    def log_comb(a: int, b: int) -> float:
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    total = log_comb(M, n)
    return min(1.0, sum(math.exp(log_comb(K, j) + log_comb(M - K, n - j) - total) for j in range(lo, k + 1)))


def windows(ranked: np.ndarray, max_windows: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(n, k) of the windows tried: the last n records, ending just before the i-th relevant record
    from the end (k = i), for the last ``max_windows`` relevant records, and the whole run when
    it holds fewer."""
    ranked = np.asarray(ranked)
    m = len(ranked)
    pos = np.flatnonzero(ranked)
    r = len(pos)
    i = np.arange(min(r, max_windows))
    n = m - 1 - pos[r - 1 - i] if r else np.zeros(0, int)
    k = i
    if r < max_windows:
        n, k = np.r_[n, m], np.r_[k, r]
    keep = n > 0
    return n[keep].astype(np.int64), k[keep].astype(np.int64)


def missing_bound(ranked: np.ndarray, unscreened: int, alpha: float = 0.05, max_windows: int = 8) -> int:
    """m* − 1: with confidence 1 − α at most this many relevant records are unscreened (module
    docstring); ``unscreened`` when no window rejects anything."""
    U = int(unscreened)
    n_all, k_all = windows(ranked, max_windows)
    if len(n_all) == 0 or U <= 0:
        return max(0, U)
    best = U + 1  # U + 1 missing records cannot hide among U
    for n, k in zip(n_all.tolist(), k_all.tolist()):
        M = n + U
        if hypergeom_cdf(k, M, min(k + best - 1, M), n) >= alpha:
            continue  # this window cannot beat the best so far
        lo, hi = 1, best - 1  # P(X ≤ k | K = k + m) falls as m grows: the smallest m rejected
        while lo < hi:
            mid = (lo + hi) // 2
            if hypergeom_cdf(k, M, min(k + mid, M), n) < alpha:
                hi = mid
            else:
                lo = mid + 1
        best = lo
    return min(U, best - 1)


class Recommended(StoppingRule):
    """The ranked hypergeometric test (Callaghan & Müller-Hansen 2020) as a recall bound: stop when
    recall ≥ τ holds at the stated confidence (module docstring). Guarantee, under the assumption
    that the ranking puts relevant records no later than a random order would. No tuned setting:
    ``max_windows`` only trades speed for a slightly lower bound.
    """

    name = "screener"
    guaranteed = True
    uses_target = True
    PARAMS = {"max_windows": Param(int, 1)}

    def __init__(self, *, max_windows: int = 8):
        self.max_windows = max_windows

    def recall_bound(self, state: RunState, confidence: float = 0.95) -> float | None:
        """Recall ≥ this with probability ≥ ``confidence``; None before a relevant record is found."""
        self._validate()
        found = state.found
        if found == 0:
            return None
        if state.n_unscreened <= 0:
            return 1.0
        missing = missing_bound(state.ranked, state.n_unscreened, 1 - confidence, self.max_windows)
        return found / (found + missing)

    def records_to_stop(self, state: RunState, target: float = 0.95, confidence: float = 0.95) -> int | None:
        """How many more records, all irrelevant, would let the rule stop (None: none found yet)."""
        self._validate()
        found = state.found
        if found == 0:
            return None
        allowed = math.floor(found / target + 1e-9) - found  # missing records compatible with recall ≥ τ
        ranked, U = state.ranked, state.n_unscreened

        def ok(z: int) -> bool:
            longer = np.r_[ranked, np.zeros(z, dtype=ranked.dtype)]
            return U - z <= 0 or missing_bound(longer, U - z, 1 - confidence, self.max_windows) <= allowed

        if ok(0):
            return 0
        lo, hi = 1, U
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
        return lo

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        bound = self.recall_bound(state, confidence)
        if bound is None:
            return self._verdict(state, False, "No relevant record found yet: the test has nothing to go on.")
        stop = bound >= target - 1e-12
        est = None
        expl = (f"Ranked hypergeometric test: recall ≥ {bound:.3f} at {confidence:.0%} confidence "
                f"({'at least' if stop else 'below'} the target {target:g}).")
        return self._verdict(state, stop, expl, est, (bound, 1.0))
