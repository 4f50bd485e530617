"""A point-process stopping rule: the ranks of relevant records as an inhomogeneous Poisson process
whose rate falls along the ranking (Sneyd & Stevenson 2021, "Modelling stopping criteria for search
results using Poisson processes", EMNLP; Stevenson & Bin-Hezam 2023, "Stopping methods for
technology-assisted reviews based on point processes", ACM TOIS 42(3)).

The rate over the ranks screened so far is fitted as λ(x) = a·exp(−b·x) by maximum likelihood
(a in closed form, b over a grid: the profile likelihood). The relevant records still unscreened are
bounded by the (1 − α) quantile of a Poisson count whose mean is the largest expected remainder
∫ λ over the unscreened ranks among the decay rates b whose profile log-likelihood is within
``ll_drop`` of the best (1.92: a 95% profile-likelihood interval for b). With r records found and
that bound q, recall ≥ r / (r + q) is the rule's stated lower bound; it stops when the bound
reaches the target. Sneyd & Stevenson fit the rate by least squares on binned counts and use the
Poisson quantile alone; the likelihood fit and the slack on b are ours, so that a run with little
evidence about the decay cannot claim a fast one.

The bound rests on the model (a smooth, falling rate), not on a random sample: a heuristic whose
coverage is measured (benchmarks/results/stopping_cv.md).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import poisson

from screener.stopping.base import Param, RunState, StoppingRule, Verdict, check_target, run_of_zeros

_BETA = np.linspace(0.0, 12.0, 121)  # b = β / window length: a scale-free grid, 0 = a flat rate


def missing_upper(ranked: np.ndarray, screened: np.ndarray, total: int, *, alpha: float = 0.05,
                  ll_drop: float | tuple = 1.92, fit_from: float = 0.0):
    """Upper (1 − α) bounds on the relevant records beyond each point of ``screened``.

    ranked : 0/1 labels in screening order (priors excluded).
    screened : ranked records screened at each point (1 ≤ c ≤ len(ranked)), an int array.
    total : ranked plus unscreened records (the rate is integrated up to it).
    fit_from : fit on the last (1 − fit_from) of the records screened at each point.
    ll_drop : a number, or a tuple for one array per value (a sweep).
    Returns (bound array or list of arrays, expected remainder at the best fit). ``inf`` where
    the fitted window holds no relevant record.
    """
    ranked = np.asarray(ranked, dtype=np.int64)
    c = np.asarray(screened, dtype=np.int64)
    pos = np.flatnonzero(ranked) + 1.0  # 1-based ranks of the relevant records
    k = np.searchsorted(pos, c, side="right")
    c0 = np.floor(fit_from * c).astype(np.int64)
    k0 = np.searchsorted(pos, c0, side="right")
    cum = np.r_[0.0, np.cumsum(pos)]
    k_fit = (k - k0).astype(float)
    S = cum[k] - cum[k0] - k_fit * c0  # Σ (x_i − c0) over the fitted window
    L = (c - c0).astype(float)
    b = _BETA[None, :] / L[:, None]
    rest_hi = (total - c0 + 0.5).astype(float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ebl = np.exp(-b * (L[:, None] + 0.5))
        inside = np.where(b == 0, L[:, None], (np.exp(-b * 0.5) - ebl) / b)
        beyond = np.where(b == 0, (total - c).astype(float)[:, None], (ebl - np.exp(-b * rest_hi)) / b)
        kk = k_fit[:, None]
        ll = np.where(kk > 0, kk * np.log(kk / inside), 0.0) - S[:, None] * b - kk
        mu = np.where(kk > 0, kk / inside * beyond, 0.0)
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    best = ll.max(axis=1, keepdims=True)
    mu_hat = mu[np.arange(len(c)), ll.argmax(axis=1)]
    drops = ll_drop if isinstance(ll_drop, tuple) else (ll_drop,)
    outs = []
    for drop in drops:
        mu_max = np.where(ll >= best - drop, mu, -np.inf).max(axis=1)
        q = poisson.ppf(1 - alpha, np.maximum(mu_max, 1e-12))
        q[k_fit == 0] = np.inf
        outs.append(q)
    return (outs if isinstance(ll_drop, tuple) else outs[0]), mu_hat


class PointProcess(StoppingRule):
    """Stop when the point-process bound (Sneyd & Stevenson 2021) says recall ≥ τ, after at least
    ``min_run`` irrelevant records in a row, and never while fewer than ``finish_share`` of the pool
    are left (those are screened to the end). Heuristic: the bound holds under the model; its
    coverage and the defaults (chosen by leave-one-family-out cross-validation) are in
    benchmarks/results/stopping_cv.md.
    """

    name = "point_process"
    uses_target = True
    PARAMS = {"ll_drop": Param(float, 0), "min_run": Param(int, 0),
              "finish_share": Param(float, 0, 1, high_open=True), "fit_from": Param(float, 0, 1, high_open=True)}

    def __init__(self, *, ll_drop: float = 1.92, min_run: int = 50, finish_share: float = 0.0,
                 fit_from: float = 0.0):
        self.ll_drop = ll_drop
        self.min_run = min_run
        self.finish_share = finish_share
        self.fit_from = fit_from

    def bound(self, state: RunState, confidence: float = 0.95, screened: int | None = None) -> tuple[float, float | None]:
        """(lower bound on recall at ``confidence``, point estimate) with the first ``screened`` ranked
        records screened (default: all so far); (0, None) before any relevant record."""
        ranked = state.ranked
        c = len(ranked) if screened is None else int(screened)
        found = int(ranked[:c].sum()) + (state.found - int(ranked.sum()))
        if c == 0 or found == 0:
            return 0.0, None
        q, mu = missing_upper(ranked[:c], np.array([c]), len(ranked) + state.n_unscreened,
                              alpha=1 - confidence, ll_drop=float(self.ll_drop), fit_from=float(self.fit_from))
        lo = found / (found + float(q[0])) if math.isfinite(q[0]) else 0.0
        return lo, found / (found + float(mu[0]))

    def _passes(self, state: RunState, target: float, confidence: float) -> tuple[bool, float, float | None, str]:
        """(stop, bound, estimate, why not). The finish is sticky: a stop reached before fewer than
        ``finish_share`` of the pool were left stays a stop while only irrelevant records follow,
        so the verdict never flips back without a new relevant record."""
        ranked = state.ranked
        lo, est = self.bound(state, confidence)
        if est is None:
            return False, lo, est, "none found"
        run = run_of_zeros(ranked)
        if run < self.min_run:
            return False, lo, est, "run"
        total = len(ranked) + state.n_unscreened
        # the last ranked length at which at least finish_share of the pool was still unscreened
        last_open = min(len(ranked), math.floor(total - self.finish_share * state.pool_size + 1e-9))
        if last_open >= len(ranked):
            return lo >= target - 1e-12, lo, est, "bound"
        quiet_from = len(ranked) - run + self.min_run  # first length with the run long enough
        if last_open < max(quiet_from, 1):
            return False, lo, est, "finish"
        lo_open, _ = self.bound(state, confidence, screened=last_open)
        return lo_open >= target - 1e-12, lo, est, "finish"

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        stop, lo, est, why = self._passes(state, target, confidence)
        interval = (lo, 1.0) if est is not None else None
        if est is None:
            return self._verdict(state, False, "No relevant record found yet: nothing to extrapolate from.")
        if stop:
            return self._verdict(state, True, f"Discovery-rate model: recall ≥ {lo:.3f} at {confidence:.0%}, at least "
                                 f"the target {target:g}.", est, interval)
        if why == "finish":
            return self._verdict(state, False, f"Fewer than {self.finish_share:.0%} of the pool are left "
                                 f"({state.n_unscreened} records): screen them all.", est, interval)
        if why == "run":
            return self._verdict(state, False, f"{run_of_zeros(state.ranked)} irrelevant records in a row; the rule "
                                 f"needs {self.min_run} before it may stop.", est, interval)
        return self._verdict(state, False, f"Discovery-rate model: recall ≥ {lo:.3f} at {confidence:.0%}, below "
                             f"the target {target:g}.", est, interval)
