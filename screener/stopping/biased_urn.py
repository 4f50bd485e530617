"""A biased-urn ranked hypergeometric test after a run of irrelevant records, which screens a small
rest of the pool to the end; optionally confirmed by a small random sample of the unscreened
records. screener's recommended rule until issue 10: a heuristic whose fixed bias was calibrated
on 14 pools and did not hold on the 33 added later (README "Measured results", stopping).
"""

from __future__ import annotations

import math

import numpy as np

from screener.stopping.base import Param, RunState, StoppingRule, Verdict, check_target, run_of_zeros
from screener.stopping.hypergeometric import ranked_p_values
from screener.stopping.random_check import check_progress, check_size


class BiasedUrn(StoppingRule):
    """Stops when

    1. the ranked hypergeometric test of Callaghan & Müller-Hansen (2020) with a biased urn
       (Wallenius; the ranking is assumed ``bias`` times likelier than chance to pick a relevant
       record) rejects "recall < τ" at α = 1 − confidence, after at least ``min_run`` irrelevant
       records in a row (or ``run_share`` of the pool, if longer);
    2. and, with ``check_share`` > 0 (off by default), a simple random sample of ``check_share``
       of the unscreened records (at least ``check_min``), drawn once condition 1 holds, holds no
       relevant record. When it holds one, the ranking continues for at least ``min_run`` records
       before a new sample is drawn.

    Once fewer than ``finish_share`` of the pool are left unscreened the rule no longer stops:
    the rest is screened to the end. That costs at most ``finish_share`` of the pool, and the
    last records of a ranking are where a ranker puts the relevant records it cannot score
    (on one shared pool the last relevant record sits at 95% of every run).

    ``sparse_run`` ≥ 1 also counts the ranking as quiet when the last ``sparse_run × min_run``
    records hold at most one relevant record, so that one straggler found in a long sparse
    stretch does not restart the whole run.

    ``run_gaps`` > 0 lengthens the run needed to ``run_gaps`` × the mean gap between relevant
    records so far (measured: no better trade-off than the fixed run, so off by default).
    Only the ``max_windows`` windows with the fewest relevant records are tested (speed; this
    can only make the test more conservative).

    Heuristic: the bias is an assumption about the ranking, and the defaults were chosen by a
    sweep on screener's orders of the 14 shared pools (benchmarks/tune_stopping.py; results in
    benchmarks/results/tune_stopping.md): in sample 95.4% of 280 runs reached τ = 0.95 with
    0.14 of the pool screened beyond the best stopping point; with the random check
    (``check_share=0.02``) 97.5% with 0.166. ``finish_share`` is there for one pool only, so it is
    not supported by leave-one-pool-out (cross-validated: 91.8% at 0.13).
    """

    name = "biased_urn"
    uses_target = True
    draws_sample = True
    PARAMS = {"bias": Param(float, 1), "min_run": Param(int, 0), "run_share": Param(float, 0, 1, high_open=True),
              "finish_share": Param(float, 0, 1, high_open=True), "check_share": Param(float, 0, 1),
              "check_min": Param(int, 0), "max_windows": Param(int, 1), "run_gaps": Param(float, 0),
              "sparse_run": Param(float, 1, also=(0,))}

    def __init__(self, *, bias: float = 5.0, min_run: int = 50, run_share: float = 0.0, finish_share: float = 0.2,
                 check_share: float = 0.0, check_min: int = 10, max_windows: int = 8, run_gaps: float = 0.0,
                 sparse_run: float = 0.0):
        self.bias = bias
        self.min_run = min_run
        self.run_share = run_share
        self.finish_share = finish_share
        self.run_gaps = run_gaps
        self.sparse_run = sparse_run
        self.max_windows = max_windows
        self.check_share = check_share
        self.check_min = check_min

    def _test(self, state: RunState, target: float, confidence: float) -> tuple[bool, float]:
        ranked = state.ranked
        if len(ranked) == 0 or not self._quiet(ranked, self._min_run(state)) or self._finishing(state):
            return False, 1.0
        _, _, p = ranked_p_values(ranked, state.n_unscreened, target, float(self.bias), r_seen=state.found,
                                  max_windows=self.max_windows)
        p_min = float(np.nanmin(p)) if np.isfinite(p).any() else 1.0
        return p_min < 1 - confidence, p_min

    def _min_run(self, state: RunState) -> float:
        """The run of irrelevant records needed: the longest of ``min_run``, ``run_share`` of the pool
        and ``run_gaps`` times the mean gap between relevant records so far."""
        found = max(1, int(state.ranked.sum()))
        return max(self.min_run, self.run_share * state.pool_size, self.run_gaps * len(state.ranked) / found)

    def _quiet(self, ranked: np.ndarray, run: float) -> bool:
        """The ranking has gone quiet: ``run`` irrelevant records in a row or, with ``sparse_run``,
        at most one relevant record among the last ``sparse_run × run``."""
        if run_of_zeros(ranked) >= run:
            return True
        if self.sparse_run <= 0:
            return False
        window = math.ceil(self.sparse_run * run)
        return len(ranked) >= window and int(ranked[-window:].sum()) <= 1

    def _finishing(self, state: RunState) -> bool:
        """Fewer than ``finish_share`` of the pool left unscreened: screen them all rather than stop."""
        return state.n_unscreened < self.finish_share * state.pool_size

    def _check_sample(self, state: RunState) -> tuple[int, int | None]:
        return check_progress(state)

    def _size(self, state: RunState) -> int:
        return check_size(state, self.check_share, self.check_min)

    def sample_request(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> int:
        self._validate()
        if state.n_unscreened <= 0 or self.check_share == 0:
            return 0
        clean, failed_at = self._check_sample(state)
        if failed_at is not None and len(state.labels) < failed_at + self.min_run:
            return 0  # a check found a relevant record: screen the ranking on first
        ok, _ = self._test(state, target, confidence)
        if not ok:
            return 0
        return min(max(0, self._size(state) - clean), state.n_unscreened)

    def verdict(self, state: RunState, *, target: float = 0.95, confidence: float = 0.95) -> Verdict:
        self._validate()
        check_target(target, confidence)
        if (end := self._at_end(state)) is not None:
            return end
        ok, p = self._test(state, target, confidence)
        if not ok:
            if self._finishing(state):
                return self._verdict(state, False, f"Fewer than {self.finish_share:.0%} of the pool are left "
                                     f"({state.n_unscreened} records): screen them all.")
            return self._verdict(state, False, f"Ranked test (bias {self.bias:g}): p = {p:.3g}, not below "
                                 f"{1 - confidence:.3g}, or fewer than {math.ceil(self._min_run(state))} irrelevant "
                                 "in a row.")
        if self.check_share == 0:
            return self._verdict(state, True, f"Ranked test (bias {self.bias:g}): p = {p:.3g} < {1 - confidence:.3g}.")
        clean, failed_at = self._check_sample(state)
        need = self._size(state)
        if clean < need:
            return self._verdict(state, False, f"The ranked test passes (p = {p:.3g}); screen a random check sample "
                                 f"of {need} unscreened records ({clean} so far).")
        return self._verdict(state, True, f"Ranked test (bias {self.bias:g}) p = {p:.3g} < {1 - confidence:.3g} and a random "
                             f"sample of {clean} unscreened records held no relevant record.")
