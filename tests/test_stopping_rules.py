"""Stopping rules on hand-built runs with known answers, plus contract tests over every rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from screener.errors import ConfigError
from screener.stopping import (
    PRESETS,
    STOPPING_RULES,
    RunState,
    Verdict,
    as_state,
    make_rule,
    parse_rules,
    stopping_report,
)
from screener.stopping.heuristics import knee_rho
from screener.stopping.sampling import qbcb_j, target_size


def seq(*parts) -> np.ndarray:
    """seq((1, 3), (0, 10)) → three 1s then ten 0s."""
    return np.concatenate([np.full(n, v, dtype=np.int8) for v, n in parts])


# --- n in a row ---------------------------------------------------------------------


def test_n_in_a_row_stops_exactly_at_n():
    rule = make_rule("n_in_a_row:n=5")
    assert not rule.verdict(as_state(seq((1, 2), (0, 4)), 100)).stop
    v = rule.verdict(as_state(seq((1, 2), (0, 5)), 100))
    assert v.stop and "5 irrelevant records in a row" in v.explanation
    assert not rule.verdict(as_state(seq((1, 2), (0, 5), (1, 1)), 100)).stop


def test_n_in_a_row_share_of_pool():
    rule = make_rule("n_in_a_row:share=0.1")  # 10 of 100
    assert not rule.verdict(as_state(seq((1, 1), (0, 9)), 100)).stop
    assert rule.verdict(as_state(seq((1, 1), (0, 10)), 100)).stop


def test_n_in_a_row_both_parameters_is_an_error():
    with pytest.raises(ConfigError, match="n or share"):
        make_rule("n_in_a_row:n=5,share=0.1").verdict(as_state(seq((0, 1)), 10))


def test_priors_are_not_part_of_the_run():
    rule = make_rule("n_in_a_row:n=3")
    # two priors (1, 0) then two irrelevant: the run is 2, not 3
    assert not rule.verdict(as_state(seq((1, 1), (0, 1), (0, 2)), 50, n_priors=2)).stop


# --- knee and budget ----------------------------------------------------------------


def test_knee_rho_on_a_sharp_knee():
    ranked = seq((1, 10), (0, 190))
    rho, knee = knee_rho(ranked)
    assert knee == 10
    assert rho == pytest.approx((10 / 10) / (1 / 190))


def test_knee_rule_needs_150_records_and_the_slope_ratio():
    rule = make_rule("knee")
    assert not rule.verdict(as_state(seq((1, 10), (0, 100)), 1000)).stop  # < 150 screened
    v = rule.verdict(as_state(seq((1, 10), (0, 190)), 1000))  # rho 190 >= 156 - 10
    assert v.stop
    assert not rule.verdict(as_state(seq((1, 10), (0, 140)), 1000)).stop  # rho 140 < 146


def test_budget_method_spends_three_quarters_at_most():
    rule = make_rule("budget")
    ranked = np.tile(seq((1, 1), (0, 9)), 8)  # flat gain curve, 80 of 100
    assert rule.verdict(as_state(ranked[:74], 100)).stop is False
    v = rule.verdict(as_state(ranked[:75], 100))
    assert v.stop and "budget" in v.explanation


def test_budget_knee_branch():
    # 10 relevant first, then 0s: rho large; 10·pool/relret = 10·1000/10 = 1000 needed
    rule = make_rule("budget")
    assert not rule.verdict(as_state(seq((1, 10), (0, 500)), 1000)).stop
    assert rule.verdict(as_state(seq((1, 100), (0, 50)), 1000)).stop  # 10·1000/100 = 100 ≤ 150, rho ≥ 6


# --- SAFE ---------------------------------------------------------------------------


def test_safe_needs_its_random_sample_then_two_runs():
    rule = make_rule("safe:n=5,min_share=0.1")
    state = as_state(seq((1, 3), (0, 20)), 100)
    assert rule.sample_request(state) == 1  # 1% of 100
    assert not rule.verdict(state).stop
    sampled = RunState(labels=seq((1, 3), (0, 20)), pool_size=100, sample_labels=np.array([0], np.int8),
                       sample_reached=np.array([False]), sample_frame=100)
    # phase 2 ends at 3 + 5 zeros (≥ 10 screened incl. sample? 8 + 1 = 9 < 10) → at 9 zeros; phase 3 needs 5 more
    v = rule.verdict(sampled)
    assert v.stop


def test_safe_phase_three_needs_another_run():
    rule = make_rule("safe:n=5,min_share=0.1")
    labels = seq((1, 3), (0, 10))  # phase 2 ends at 3 + 6 (≥ 10 screened with the sample); then 4 zeros
    s = RunState(labels=labels, pool_size=100, sample_labels=np.array([0], np.int8), sample_reached=np.array([False]))
    assert not rule.verdict(s).stop


# --- sampling rules -----------------------------------------------------------------


def test_target_size_and_qbcb_j():
    assert target_size(0.95, 0.05) == 59  # 0.95**59 < 0.05 < 0.95**58
    assert 0.95**59 <= 0.05 < 0.95**58
    assert target_size(0.7, 0.05) == 9
    # QBCB: smallest j with P(Binom(r, τ) >= j) <= α
    from scipy.stats import binom

    for r in (10, 30, 80):
        j = qbcb_j(r, 0.8, 0.05)
        if j is not None:
            assert binom.sf(j - 1, r, 0.8) <= 0.05 < binom.sf(j - 2, r, 0.8)
    assert qbcb_j(5, 0.95, 0.05) is None
    assert qbcb_j(59, 0.95, 0.05) == 59


def _sampled(labels, sample, reached, pool):
    return RunState(labels=np.asarray(labels, np.int8), pool_size=pool, sample_labels=np.asarray(sample, np.int8),
                    sample_reached=np.asarray(reached, bool), sample_frame=pool)


def test_target_method_stops_when_all_targets_are_reached():
    rule = make_rule("target:T=2")
    st = _sampled(seq((1, 1)), [0, 1, 0, 1], [False, True, False, False], 50)
    assert not rule.verdict(st).stop
    st = _sampled(seq((1, 1)), [0, 1, 0, 1], [False, True, False, True], 50)
    v = rule.verdict(st)
    assert v.stop and v.guaranteed


def test_target_method_keeps_sampling_until_T_relevant():
    rule = make_rule("target:T=2")
    st = _sampled([], [0, 1, 0], [False] * 3, 50)
    assert rule.sample_request(st) == 1
    st = _sampled([], [0, 1, 1], [False] * 3, 50)
    assert rule.sample_request(st) == 0


def test_qbcb_stop_and_recall_interval():
    rule = make_rule("qbcb")
    r = 40
    j = qbcb_j(r, 0.8, 0.05)
    sample = [1] * r + [0] * 60
    reached = [True] * (j - 1) + [False] * (100 - j + 1)
    st = _sampled(seq((1, 5)), sample, reached, 1000)
    assert not rule.verdict(st, target=0.8).stop
    reached[j - 1] = True
    v = rule.verdict(_sampled(seq((1, 5)), sample, reached, 1000), target=0.8)
    assert v.stop and v.interval[0] >= 0.8 - 0.05  # the Clopper–Pearson lower bound near τ


def test_random_hypergeometric_against_scipy():
    from scipy.stats import hypergeom

    rule = make_rule("hypergeometric_random:switch_after=5")
    # 20 found in the ranking, 100 left; sample 80 of them, none relevant
    st = RunState(labels=seq((1, 20), (0, 30)), pool_size=150, sample_labels=np.zeros(80, np.int8),
                  sample_reached=np.zeros(80, bool), sample_frame=100)
    v = rule.verdict(st, target=0.95)
    K = math.floor(20 / 0.95) - 20 + 1
    p = hypergeom.cdf(0, 100, K, 80)
    assert v.stop == (p < 0.05)
    assert f"{p:.3g}" in v.explanation


# --- model based ---------------------------------------------------------------------


def test_quant_ci_interval_and_stop():
    rule = make_rule("quant_ci")
    found = 19
    st = as_state(seq((1, found), (0, 100)), 1000, scores_unscreened=(0.2, 0.19))
    v = rule.verdict(st, target=0.95)
    z = 1.6448536269514722
    lo = found / (found + 0.2 + z * math.sqrt(0.19))
    assert v.interval[0] == pytest.approx(lo)
    assert v.recall_estimate == pytest.approx(found / 19.2)
    assert v.stop == (lo >= 0.95)
    st = as_state(seq((1, found), (0, 100)), 1000, scores_unscreened=np.full(881, 0.01))
    v = rule.verdict(st, target=0.95)
    assert not v.stop and v.recall_estimate == pytest.approx(19 / (19 + 8.81))


def test_quant_ci_without_model_scores_never_stops_early():
    v = make_rule("quant_ci").verdict(as_state(seq((1, 5), (0, 100)), 1000))
    assert not v.stop and "No model probabilities" in v.explanation


# --- the registry and the session's report ------------------------------------------------


def test_make_rule_errors():
    with pytest.raises(ConfigError, match="unknown stopping rule"):
        make_rule("nope")
    with pytest.raises(ConfigError, match="unknown parameter 'zzz' for stopping rule 'knee'"):
        make_rule("knee:zzz=1")
    with pytest.raises(ConfigError, match="key=value"):
        make_rule("knee:150")


def test_parse_rules():
    assert parse_rules("all") == PRESETS
    assert parse_rules("knee,budget") == ["knee", "budget"]
    assert parse_rules("knee;n_in_a_row:n=5") == ["knee", "n_in_a_row:n=5"]


def test_stopping_report_gives_one_verdict_per_rule():
    verdicts = stopping_report(seq((1, 1), (0, 1), (1, 10), (0, 200)), 1000, np.full(788, 0.001), 0.9, 0.95, n_priors=2)
    assert [v.rule for v in verdicts] == [p.split(":")[0] for p in PRESETS]
    assert all(isinstance(v, Verdict) and v.explanation.endswith(".") for v in verdicts)
    assert any(v.stop for v in verdicts) and not all(v.stop for v in verdicts)


# --- contract: every registered rule ----------------------------------------------------------

ALL_SPECS = sorted(set(PRESETS) | set(STOPPING_RULES))


def _states(rng):
    labels = (rng.random(300) < 0.05).astype(np.int8)
    labels[:40] = (rng.random(40) < 0.5)
    for n in (0, 2, 50, 150, 300):
        yield RunState(labels=labels[:n].copy(), pool_size=300, n_priors=min(n, 2),
                       expected_remaining=float(300 - n) * 0.01, remaining_var=float(300 - n) * 0.0099)


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_contract_pure_and_not_mutating(spec):
    rule = make_rule(spec)
    for st in _states(np.random.default_rng(1)):
        before = st.labels.copy()
        a = rule.verdict(st, target=0.9)
        b = make_rule(spec).verdict(st, target=0.9)
        assert a == b
        assert np.array_equal(st.labels, before)
        assert isinstance(a.stop, bool) and a.rule == rule.name
        assert a.recall_estimate is None or 0 <= a.recall_estimate <= 1
        if a.interval is not None:
            assert 0 <= a.interval[0] <= a.interval[1] <= 1


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_contract_never_stops_before_the_priors_and_always_at_the_end(spec):
    rule = make_rule(spec)
    empty = RunState(labels=np.zeros(0, np.int8), pool_size=100)
    assert not rule.verdict(empty).stop
    priors = RunState(labels=np.array([1, 0], np.int8), pool_size=100, n_priors=2)
    assert not rule.verdict(priors).stop
    full = RunState(labels=(np.arange(100) % 7 == 0).astype(np.int8), pool_size=100, n_priors=2)
    v = rule.verdict(full)
    assert v.stop and v.recall_estimate == 1.0


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_contract_guarantee_is_declared(spec):
    rule = make_rule(spec)
    assert isinstance(rule.guaranteed, bool)
    assert STOPPING_RULES[rule.name].__doc__ and "20" in STOPPING_RULES[rule.name].__doc__  # cites a paper (year)


# --- the biased urn (the recommended rule until issue 10) ---------------------------------


def test_biased_urn_needs_the_ranked_test_then_a_clean_random_check():
    rule = make_rule("biased_urn:min_run=50,check_min=10,check_share=0.02")
    labels = seq((1, 30), (0, 600))
    st = as_state(labels, 1000)
    from screener.stopping.hypergeometric import ranked_p_values

    _, _, p = ranked_p_values(labels, 370, 0.9, bias=3.0)
    assert p.min() < 0.05  # the ranked biased test passes here
    assert not rule.verdict(st, target=0.9).stop
    assert rule.sample_request(st, target=0.9) == 10  # max(10, 2% of 370)
    clean = RunState(labels=labels, pool_size=1000, sample_labels=np.zeros(10, np.int8), sample_reached=np.zeros(10, bool),
                     sample_drawn_at=np.full(10, 630))
    v = rule.verdict(clean, target=0.9)
    assert v.stop and "random sample of 10" in v.explanation
    dirty = RunState(labels=labels, pool_size=1000, sample_labels=np.r_[np.zeros(9, np.int8), [1]],
                     sample_reached=np.zeros(10, bool), sample_drawn_at=np.full(10, 630))
    assert not rule.verdict(dirty, target=0.9).stop
    assert rule.sample_request(dirty, target=0.9) == 0  # screen the ranking on first
    later = RunState(labels=np.r_[labels, np.zeros(50, np.int8)], pool_size=1000, sample_labels=dirty.sample_labels,
                     sample_reached=dirty.sample_reached, sample_drawn_at=dirty.sample_drawn_at)
    assert rule.sample_request(later, target=0.9) > 0  # a new check after min_run more records


def test_biased_urn_without_enough_run_does_not_test():
    rule = make_rule("biased_urn")
    assert not rule.verdict(as_state(seq((1, 30), (0, 99)), 1000)).stop
    assert rule.sample_request(as_state(seq((1, 30), (0, 99)), 1000)) == 0


def test_biased_urn_run_share_scales_the_run_with_the_pool():
    # 30 relevant then 600 irrelevant in a pool of 1000: the biased test passes (see above)
    labels = seq((1, 30), (0, 600))
    assert make_rule("biased_urn:min_run=50,check_share=0").verdict(as_state(labels, 1000), target=0.9).stop
    longer = make_rule("biased_urn:min_run=50,run_share=0.7,check_share=0")  # needs 700 in a row
    v = longer.verdict(as_state(labels, 1000), target=0.9)
    assert not v.stop and "700 irrelevant in a row" in v.explanation
    assert longer.sample_request(as_state(labels, 1000), target=0.9) == 0


def test_biased_urn_finish_share_screens_a_small_rest_to_the_end():
    labels = seq((1, 30), (0, 600))
    rule = make_rule("biased_urn:min_run=50,finish_share=0.4")  # 370 of 1000 left: fewer than 40%
    v = rule.verdict(as_state(labels, 1000), target=0.9)
    assert not v.stop and "screen them all" in v.explanation
    assert rule.sample_request(as_state(labels, 1000), target=0.9) == 0  # no check sample either
    assert rule.verdict(as_state(np.r_[labels, np.zeros(370, np.int8)], 1000), target=0.9).stop  # the end


def test_biased_urn_sparse_run_lets_one_straggler_not_restart_the_run():
    # 30 relevant, 500 irrelevant, one straggler, 40 irrelevant: 40 in a row is short of 50
    labels = seq((1, 30), (0, 500), (1, 1), (0, 40))
    strict = make_rule("biased_urn:min_run=50,check_share=0")
    assert not strict.verdict(as_state(labels, 1000), target=0.9).stop
    sparse = make_rule("biased_urn:min_run=50,sparse_run=1.5,check_share=0")  # <= 1 relevant in the last 75
    assert sparse.verdict(as_state(labels, 1000), target=0.9).stop
    two = seq((1, 30), (0, 500), (1, 1), (0, 20), (1, 1), (0, 40))  # two stragglers in the last 75: not quiet
    assert not sparse.verdict(as_state(two, 1000), target=0.9).stop


@pytest.mark.parametrize("spec, word", [("biased_urn:run_share=1.5", "run_share"), ("biased_urn:sparse_run=0.5", "sparse_run"), ("biased_urn:finish_share=-0.1", "finish_share"),
                                        ("biased_urn:check_min=-1", "check_min"), ("biased_urn:bias=0.5", "bias"),
                                        ("biased_urn:run_gaps=-1", "run_gaps"), ("biased_urn:max_windows=0", "max_windows")])
def test_biased_urn_rejects_bad_parameters(spec, word):
    with pytest.raises(ConfigError, match=word):
        make_rule(spec).verdict(as_state(seq((1, 3), (0, 10)), 100))


def test_stopping_report_with_a_random_sample():
    sample = np.r_[np.ones(60, np.int8), np.zeros(40, np.int8)]
    reached = np.r_[np.ones(60, bool), np.zeros(40, bool)]
    verdicts = stopping_report(seq((1, 1), (0, 1), (1, 70), (0, 300)), 1000, None, 0.95, 0.95, rules="target;qbcb",
                               n_priors=2, sample_labels=sample, sample_reached=reached)
    assert [v.stop for v in verdicts] == [True, True]
