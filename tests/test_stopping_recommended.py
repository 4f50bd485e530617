"""The recommended rule (screener/stopping/recommended.py): the ranked hypergeometric test as a bound."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hypergeom

from screener.errors import ConfigError
from screener.stopping import as_state, make_rule
from screener.stopping.recommended import hypergeom_cdf, missing_bound, windows


def test_hypergeom_cdf_matches_scipy():
    rng = np.random.default_rng(0)
    for _ in range(300):
        M = int(rng.integers(1, 3000))
        K, n = int(rng.integers(0, M + 1)), int(rng.integers(0, M + 1))
        k = int(rng.integers(0, 10))
        assert hypergeom_cdf(k, M, K, n) == pytest.approx(float(hypergeom.cdf(k, M, K, n)), abs=1e-10)


def test_windows_end_before_the_last_relevant_records():
    ranked = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0], np.int8)
    n, k = windows(ranked, max_windows=2)
    assert list(n) == [3, 6] and list(k) == [0, 1]
    n, k = windows(ranked, max_windows=8)  # fewer relevant than windows: the whole run too
    assert list(n) == [3, 6, 8, 9] and list(k) == [0, 1, 2, 3]


def test_the_bound_is_the_published_test_inverted():
    """Stop at τ exactly when Callaghan & Müller-Hansen's p-value for 'recall < τ' is below α."""
    rng = np.random.default_rng(1)
    rec, pub = make_rule("screener"), make_rule("hypergeometric")
    for trial in range(60):
        n = int(rng.integers(50, 600))
        p = 0.5 * np.exp(-np.arange(n) / rng.uniform(20, 200))
        ranked = (rng.random(n) < p).astype(np.int8)
        pool = n + int(rng.integers(0, 2000))
        for target in (0.8, 0.9, 0.95):
            st = as_state(ranked, pool)
            assert rec.verdict(st, target=target).stop == pub.verdict(st, target=target).stop, (trial, target)


def test_bound_only_rises_while_records_are_irrelevant():
    ranked = np.r_[np.ones(10, np.int8), np.zeros(5, np.int8)]
    rule = make_rule("screener")
    bounds = [rule.recall_bound(as_state(np.r_[ranked, np.zeros(z, np.int8)], 1000)) for z in range(0, 900, 25)]
    assert all(b2 >= b1 for b1, b2 in zip(bounds, bounds[1:]))
    assert missing_bound(ranked, 985) <= 985


def test_records_to_stop_is_exact():
    ranked = np.r_[np.ones(12, np.int8), np.zeros(30, np.int8)]
    rule = make_rule("screener")
    st = as_state(ranked, 800)
    z = rule.records_to_stop(st, 0.9)
    assert z > 0 and not rule.verdict(st, target=0.9).stop
    assert not rule.verdict(as_state(np.r_[ranked, np.zeros(z - 1, np.int8)], 800), target=0.9).stop
    assert rule.verdict(as_state(np.r_[ranked, np.zeros(z, np.int8)], 800), target=0.9).stop


def test_no_verdict_before_evidence_and_a_stop_at_the_end():
    rule = make_rule("screener")
    v = rule.verdict(as_state(np.zeros(40, np.int8), 500))
    assert not v.stop and v.interval is None and rule.records_to_stop(as_state(np.zeros(40, np.int8), 500)) is None
    assert not rule.verdict(as_state(np.r_[1, 0, 1], 500, n_priors=2)).stop
    assert rule.verdict(as_state(np.r_[1, np.zeros(99, np.int8)], 100)).stop  # nothing left


def test_bad_max_windows():
    with pytest.raises(ConfigError, match="max_windows"):
        make_rule("screener:max_windows=0").verdict(as_state(np.r_[1, 0], 10))
