"""The ranked hypergeometric test against buscarpy (skips where absent) and an independent scipy computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import hypergeom, nchypergeom_wallenius

from screener.stopping import as_state, make_rule
from screener.stopping.hypergeometric import k_target, ranked_p_values


def brute_force_p(labels: np.ndarray, n_docs: int, target: float, bias: float = 1.0) -> float:
    """min over every window n of P(X ≤ k), written out directly from the paper's definition."""
    r_seen = int(labels.sum())
    m = len(labels)
    best = 1.0
    for n in range(1, m + 1):
        k = int(labels[m - n :].sum())
        K = math.floor(r_seen / target + 1e-9) - r_seen + 1 + k
        M = n_docs - m + n
        K = min(K, M)
        p = hypergeom.cdf(k, M, K, n) if bias == 1 else nchypergeom_wallenius.cdf(k, M, K, n, bias)
        best = min(best, float(p))
    return best


def runs(seed: int, m: int, prevalence: float):
    rng = np.random.default_rng(seed)
    # a ranked-looking run: relevant records concentrated at the start
    p = prevalence * np.exp(-np.arange(m) / (m / 4)) * 4
    return (rng.random(m) < np.clip(p, 0, 1)).astype(np.int8)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("target", [0.8, 0.95])
def test_windows_shortcut_equals_brute_force(seed, target):
    labels = runs(seed, 300, 0.08)
    n_docs = 600
    _, _, p = ranked_p_values(labels, n_docs - len(labels), target)
    assert p.min() == pytest.approx(brute_force_p(labels, n_docs, target), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_windows_shortcut_equals_brute_force_biased(seed):
    labels = runs(seed, 120, 0.1)
    _, _, p = ranked_p_values(labels, 200, 0.9, bias=3.0)
    assert p.min() == pytest.approx(brute_force_p(labels, 320, 0.9, bias=3.0), rel=1e-6, abs=1e-12)


def test_k_target_known_values():
    # 19 found, τ = 0.95: recall < τ needs ≥ 2 missed (19/21 < 0.95 ≤ 19/20)
    assert int(k_target(19, 0, 0.95)) == 2
    assert int(k_target(20, 3, 0.95)) == 5  # floor(21.05) − 20 + 1 + 3
    assert int(k_target(8, 0, 0.8)) == 3  # 8/10 = 0.8 reaches τ, 8/11 does not


def test_rule_stops_exactly_when_p_below_alpha():
    rule = make_rule("hypergeometric")
    labels = np.r_[np.ones(20, np.int8), np.zeros(400, np.int8)]
    for pool in (450, 600, 2000):
        st = as_state(labels, pool)
        p = brute_force_p(labels, pool, 0.95)
        assert rule.verdict(st, target=0.95).stop == (p < 0.05)


try:
    import buscarpy
except ImportError:  # an optional reference implementation: only its comparisons skip
    buscarpy = None
needs_buscarpy = pytest.mark.skipif(buscarpy is None, reason="buscarpy is not installed")


@needs_buscarpy
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("target", [0.8, 0.9, 0.95])
def test_matches_buscarpy(seed, target):
    labels = runs(seed, 250 + 30 * seed, 0.06)
    n_docs = 700
    expected = buscarpy.calculate_h0(labels, n_docs, recall_target=target)
    _, _, p = ranked_p_values(labels, n_docs - len(labels), target)
    assert p.min() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert make_rule("hypergeometric").verdict(as_state(labels, n_docs), target=target).stop == (expected < 0.05)


@needs_buscarpy
@pytest.mark.parametrize("seed", range(3))
def test_matches_buscarpy_biased(seed):
    labels = runs(seed, 150, 0.08)
    expected = buscarpy.calculate_h0(labels, 400, recall_target=0.9, bias=2.0)
    _, _, p = ranked_p_values(labels, 250, 0.9, bias=2.0)
    assert p.min() == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_p_values_are_memoised_on_the_labels_not_the_array():
    from screener.stopping.hypergeometric import _p_values

    rng = np.random.default_rng(3)
    ranked = (rng.random(300) < 0.2).astype(np.int8)
    first = ranked_p_values(ranked, 500, 0.95, 5.0, max_windows=8)
    copy = ranked.copy()
    again = ranked_p_values(copy, 500, 0.95, 5.0, max_windows=8)
    assert again is first  # the same contents hit the memo
    fresh = _p_values(ranked, 500, 0.95, 5.0, int(ranked.sum()), 8)
    for a, b in zip(first, fresh):
        assert np.array_equal(a, b)
    assert not first[2].flags.writeable
    copy[-1] = 1 - copy[-1]
    changed = ranked_p_values(copy, 500, 0.95, 5.0, max_windows=8)
    assert changed is not first


@pytest.mark.parametrize("seed", range(6))
def test_fewer_windows_never_stop_earlier(seed):
    """max_windows tests a subset of the windows: its smallest p is never below the full test's."""
    labels = runs(seed, 300, 0.08)
    full = ranked_p_values(labels, 400, 0.95)[2].min()
    some = ranked_p_values(labels, 400, 0.95, max_windows=8)[2].min()
    assert some >= full - 1e-12
    rule_full, rule_some = make_rule("hypergeometric"), make_rule("hypergeometric:max_windows=8")
    for cut in range(20, 301, 20):
        state = as_state(labels[:cut], 700 - 300 + cut)
        if rule_some.verdict(state).stop:
            assert rule_full.verdict(state).stop
