"""Rules that certify recall from a simple random sample of the pool: the target method,
QBCB, and the hypergeometric test on a random sample. All three carry a guarantee (recall
≥ τ with probability ≥ 1 − α) when the sample is uniform and independent of the ranking.
Sampled records count as effort; relevant sampled records count as found.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.stats import beta, binom, hypergeom

from screener.stopping.base import (
    Param,
    RunState,
    StoppingRule,
    Verdict,
    check_target,
    run_of_zeros,
)
from screener.stopping.hypergeometric import k_target


def qbcb_j(r: int, target: float, alpha: float) -> int | None:
    """Smallest j ≤ r with P(Binomial(r, τ) ≥ j) ≤ α, or None when r positives cannot certify τ.

    Recall at the point where the ranking has found j of r sampled positives is the j-th order
    statistic of r uniforms, Beta(j, r−j+1); P(recall < τ) = P(Binom(r, τ) ≥ j).
    """
    return _qbcb_j(int(r), float(target), float(alpha))


@functools.lru_cache(maxsize=4096)
def _qbcb_j(r: int, target: float, alpha: float) -> int | None:
    # a replay asks the same (r, τ, α) at every checkpoint: one vectorised sf, memoised
    if r < 1:
        return None
    j = np.arange(1, r + 1)
    ok = np.flatnonzero(binom.sf(j - 1, r, target) <= alpha)
    return int(j[ok[0]]) if ok.size else None


@functools.lru_cache(maxsize=16384)
def beta_lower(alpha: float, a: int, b: int) -> float:
    """The α quantile of Beta(a, b): the recall bound when a of a + b − 1 sampled relevant records
    are reached (memoised: a replay asks the same few at every checkpoint)."""
    return float(beta.ppf(alpha, a, b))


def target_size(target: float, alpha: float) -> int:
    """Sample positives the target method needs: smallest T with τ^T ≤ α (then j = T)."""
    if target >= 1:
        raise ValueError("target 1.0 cannot be certified from a sample")
    return max(1, math.ceil(math.log(alpha) / math.log(target) - 1e-9))


def _reached_verdict(rule: StoppingRule, state: RunState, j: int | None, target: float, alpha: float) -> Verdict:
    pos = state.sample_labels == 1
    r = int(pos.sum())
    m = int((pos & state.sample_reached).sum())
    lo = beta_lower(alpha, m, r - m + 1) if m > 0 else 0.0
    est = m / r if r else None
    if j is None:
        return rule._verdict(state, False, f"The sample holds {r} relevant records, too few to certify recall {target:g}; "
                             "screen on.", est, (lo, 1.0) if r else None)
    stop = m >= j
    return rule._verdict(state, stop, f"The ranking has reached {m} of the {r} relevant sampled records; {j} certify "
                         f"recall ≥ {target:g} at {1 - alpha:.0%}.", est, (lo, 1.0))


class TargetMethod(StoppingRule):
    """Target method (Cormack & Grossman 2016): draw a random sample until it holds ``T``
    relevant records (the target set), then screen the ranking until all of them are reached.
    ``T`` defaults to the smallest with τ^T ≤ α (T = 10 gives recall ≥ 0.74 at 95%; 59 for 0.95).
    Guarantee (recall ≥ τ with probability ≥ 1 − α).
    """

    name = "target"
    guaranteed = True
    uses_target = True
    draws_sample = True
    PARAMS = {"T": Param(int, 1, optional=True)}

    def __init__(self, *, T: int | None = None):
        self.T = T

    def _T(self, target: float, confidence: float) -> int:
        self._validate()
        return int(self.T) if self.T is not None else target_size(target, 1 - confidence)

    def sample_request(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> int:
        self._validate()
        if state.sample_reached.any() or state.n_unscreened <= 0:
            return 0  # sampling is over once the ranking has moved on
        if len(state.sample_labels) and len(state.labels) > state.sample_start:
            return 0
        T = self._T(target, confidence)
        have = int(state.sample_labels.sum())
        return 1 if have < T else 0

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        T = self._T(target, confidence)
        r = int(state.sample_labels.sum())
        if r < T:
            return self._verdict(state, False, f"The target set holds {r} of {T} relevant records; keep sampling.")
        m = int((state.sample_reached & (state.sample_labels == 1)).sum())
        stop = m >= r
        return self._verdict(state, stop, f"The ranking has reached {m} of the {r} target records; it stops when all are reached.",
                             m / r, (beta_lower(1 - confidence, m, r - m + 1) if m else 0.0, 1.0))


class QBCB(StoppingRule):
    """Quantile binomial confidence bound (Lewis, Yang & Frieder 2021, "Certifying one-phase
    technology-assisted reviews", CIKM): draw a random sample of ``sample_share`` of the pool;
    with r relevant in it, stop when the ranking has reached j of them, j the smallest with
    P(Binomial(r, τ) ≥ j) ≤ α. Guarantee. When r is too small no j exists and it screens on.
    """

    name = "qbcb"
    guaranteed = True
    uses_target = True
    draws_sample = True
    PARAMS = {"sample_share": Param(float, 0, 1, low_open=True)}

    def __init__(self, *, sample_share: float = 0.10):
        self.sample_share = sample_share

    def sample_request(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> int:
        self._validate()
        if len(state.sample_labels) == 0 and len(state.labels) == state.n_priors:
            return min(max(1, math.ceil(self.sample_share * state.pool_size)), state.n_unscreened)
        return 0

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        if len(state.sample_labels) == 0:
            return self._verdict(state, False, "Needs a random sample of the pool first.")
        j = qbcb_j(int(state.sample_labels.sum()), target, 1 - confidence)
        return _reached_verdict(self, state, j, target, 1 - confidence)


class RandomHypergeometric(StoppingRule):
    """Hypergeometric test on a random sample (Callaghan & Müller-Hansen 2020): screen the
    ranking until ``switch_after`` irrelevant in a row, then draw the remaining records at
    random, ``batch`` at a time; with k relevant among n drawn from a frame of U records and
    r_seen found in all, stop when P(X ≤ k | U, K_tar, n) < α, K_tar = floor(r_seen/τ) − r_seen + 1 + k.
    Guarantee (for the sampled phase; the switch point is a choice).
    """

    name = "hypergeometric_random"
    guaranteed = True
    uses_target = True
    draws_sample = True
    PARAMS = {"switch_after": Param(int, 1), "batch": Param(int, 1)}

    def __init__(self, *, switch_after: int = 50, batch: int = 5):
        self.switch_after = switch_after
        self.batch = batch

    def _switched(self, state: RunState) -> bool:
        return len(state.sample_labels) > 0 or run_of_zeros(state.ranked) >= self.switch_after

    def sample_request(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> int:
        self._validate()
        if state.n_unscreened > 0 and self._switched(state):
            return min(self.batch, state.n_unscreened)
        return 0

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        n = len(state.sample_labels)
        if n == 0:
            return self._verdict(state, False, f"Ranked phase: {run_of_zeros(state.ranked)} of {self.switch_after} irrelevant "
                                 "in a row before random sampling starts.")
        k = int(state.sample_labels.sum())
        r_seen = state.found
        U = state.sample_frame
        K = min(int(k_target(r_seen, k, target)), U)
        p = float(hypergeom.cdf(k, U, K, n))
        stop = p < 1 - confidence
        est_missing = (k / n) * (U - n)
        return self._verdict(state, stop, f"p = {p:.3g} for H0 'recall < {target:g}' from {k} relevant in a random sample of "
                             f"{n} of {U} records ({'stop' if stop else 'continue'} at α = {1 - confidence:.3g}).",
                             r_seen / (r_seen + est_missing) if r_seen else None)
