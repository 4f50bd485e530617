"""The point-process rule (screener/stopping/point_process.py): its bound, its verdicts, its settings."""

from __future__ import annotations

import numpy as np
import pytest

from screener.errors import ConfigError
from screener.stopping import as_state, make_rule
from screener.stopping.point_process import missing_upper


def decaying(n: int, scale: float, seed: int = 0) -> np.ndarray:
    """Labels whose relevance rate falls as exp(−x / scale) along the ranking."""
    rng = np.random.default_rng(seed)
    x = np.arange(1, n + 1)
    return (rng.random(n) < 0.9 * np.exp(-x / scale)).astype(np.int8)


def test_bound_is_infinite_before_any_relevant_record():
    q, _ = missing_upper(np.zeros(50, np.int8), np.array([10, 50]), 1000)
    assert np.isinf(q).all()


def test_flat_rate_means_a_large_remainder():
    # one relevant record in ten, all along: the model cannot claim a decay, so the
    # remainder scales with the unscreened records
    ranked = np.tile(np.r_[1, np.zeros(9, np.int8)], 20).astype(np.int8)
    q, mu = missing_upper(ranked, np.array([200]), 2000)
    assert q[0] >= 180  # a flat rate (180 more) is within the slack
    assert q[0] >= mu[0]


def test_bound_grows_with_slack_and_confidence():
    ranked = decaying(600, 60)
    c = np.array([300])
    q0 = missing_upper(ranked, c, 3000, ll_drop=0.0)[0][0]
    q2 = missing_upper(ranked, c, 3000, ll_drop=1.92)[0][0]
    q8 = missing_upper(ranked, c, 3000, ll_drop=8.0)[0][0]
    assert q0 <= q2 <= q8
    assert missing_upper(ranked, c, 3000, alpha=0.01)[0][0] >= q2


def test_sweep_of_slacks_matches_single_calls():
    ranked = decaying(800, 80, seed=3)
    c = np.arange(50, 801, 50)
    many, _ = missing_upper(ranked, c, 1500, ll_drop=(0.0, 3.0))
    for drop, q in zip((0.0, 3.0), many):
        np.testing.assert_array_equal(q, missing_upper(ranked, c, 1500, ll_drop=drop)[0])


def test_rule_stops_once_the_rate_has_died_away_and_not_before():
    ranked = np.r_[decaying(200, 20, seed=1), np.zeros(400, np.int8)]
    rule = make_rule("point_process")
    assert not rule.verdict(as_state(ranked[:60], 5000)).stop
    v = rule.verdict(as_state(ranked, 5000))
    assert v.stop and v.interval[0] >= 0.95 and "recall ≥" in v.explanation
    assert not v.guaranteed


def test_rule_waits_for_its_run_and_for_the_finish():
    ranked = np.r_[decaying(200, 20, seed=1), np.zeros(400, np.int8)]
    assert not make_rule("point_process:min_run=700").verdict(as_state(ranked, 5000)).stop
    v = make_rule("point_process:finish_share=0.99").verdict(as_state(ranked, 5000))
    assert not v.stop and "screen them all" in v.explanation


def test_stated_bound_is_below_the_target_while_continuing():
    ranked = decaying(300, 100, seed=2)
    v = make_rule("point_process:min_run=0").verdict(as_state(ranked, 3000), target=0.95)
    assert not v.stop and v.interval[0] < 0.95


@pytest.mark.parametrize("spec, word", [("point_process:ll_drop=-1", "ll_drop"), ("point_process:min_run=2.5", "min_run"),
                                        ("point_process:finish_share=1", "finish_share"),
                                        ("point_process:fit_from=-0.1", "fit_from")])
def test_bad_settings_name_the_parameter(spec, word):
    with pytest.raises(ConfigError, match=word):
        make_rule(spec).verdict(as_state(np.r_[1, np.zeros(10, np.int8)], 100))


# --- sticky finish, no flipping ---------------------------------------------------------------


def test_a_stop_reached_before_the_finish_stays_a_stop_until_a_new_relevant_record():
    ranked = np.r_[decaying(200, 20, seed=1), np.zeros(300, np.int8)]
    rule = make_rule("point_process:finish_share=0.5")
    assert rule.verdict(as_state(ranked, 1000)).stop  # 500 of 1000 left
    for extra in (5, 50, 400):  # fewer than half left now: still a stop
        assert rule.verdict(as_state(np.r_[ranked, np.zeros(extra, np.int8)], 1000)).stop
    assert not rule.verdict(as_state(np.r_[ranked, np.zeros(50, np.int8), [1]], 1000)).stop


def test_a_run_that_starts_after_the_finish_point_never_stops():
    ranked = np.r_[decaying(200, 20, seed=1), np.zeros(300, np.int8), [1], np.zeros(200, np.int8)]
    v = make_rule("point_process:finish_share=0.5").verdict(as_state(ranked, 1000))
    assert not v.stop and "screen them all" in v.explanation


def test_stop_holds_as_more_irrelevant_records_are_screened():
    ranked = np.r_[decaying(300, 40, seed=4), np.zeros(200, np.int8)]
    rule = make_rule("point_process")
    verdicts = [rule.verdict(as_state(ranked[:n], 3000)).stop for n in range(60, len(ranked) + 1, 5)]
    first = verdicts.index(True)
    assert all(verdicts[first:])


def test_an_empty_or_barely_started_run_never_stops():
    rule = make_rule("point_process")
    assert not rule.verdict(as_state(np.zeros(0, np.int8), 500)).stop
    assert not rule.verdict(as_state(np.r_[1, 0], 500, n_priors=2)).stop
    v = rule.verdict(as_state(np.r_[1, 0, 1, np.zeros(60, np.int8)], 500, n_priors=2))
    assert not v.stop
