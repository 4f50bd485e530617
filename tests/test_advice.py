"""Stopping advice for a live review: verdicts from the ledger, target from the criteria, random samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import screener.cli.project  # noqa: F401  (registers the commands)
from conftest import CRITERIA, make_review, run_cli
from screener.errors import ConfigError
from screener.project.advice import (
    DEFAULT_RULES,
    draw_sample,
    headline,
    load_sample,
    methods_paragraph,
    pending_sample,
    run_state,
    stopping_advice,
)
from screener.project.store import Store


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    crit = tmp_path_factory.mktemp("crit") / "c.toml"
    crit.write_text(CRITERIA.read_text().replace("target_recall = 0.95", "target_recall = 0.9"))
    return make_review(tmp_path_factory.mktemp("tpl") / "review", criteria=crit, seed=3)  # 181 kept records


def _ledger(store: Store, n_include: int, n_exclude: int) -> list[int]:
    ids = [int(i) for i in store.records()["id"]]
    for i in ids[:n_include]:
        store.add_decision(i, "include", reviewer="ann")
    for i in ids[n_include:n_include + n_exclude]:
        store.add_decision(i, "exclude", reviewer="ann")
    return ids


def test_every_rule_gives_a_verdict_with_the_criteria_target(store):
    _ledger(store, 5, 20)
    advice = stopping_advice(store)
    assert [v.rule for v in advice.verdicts] == [r.partition(":")[0] for r in DEFAULT_RULES]
    assert advice.target == 0.9 and advice.confidence == 0.95
    assert not advice.verdict("screener").stop and advice.verdict("n_in_a_row") is not None
    assert {r.rule for r in advice.requests} >= {"target"}  # the target method samples from the start
    override = stopping_advice(store, target=0.8, confidence=0.9, rules=["quant_ci"])
    assert (override.target, override.confidence) == (0.8, 0.9) and len(override.verdicts) == 1


def test_state_uses_first_position_and_current_label(store):
    ids = _ledger(store, 2, 3)
    store.add_decision(ids[0], "exclude", reviewer="ann")  # changed mind: stays at position 1
    store.add_decision(ids[1], "maybe", reviewer="ann")     # maybe: out of the sequence
    state = run_state(store)
    assert list(state.labels) == [0, 0, 0, 0] and state.pool_size == len(store.records())


def test_sample_request_is_drawn_stored_and_counted_once_screened(store):
    ids = _ledger(store, 5, 130)
    advice = stopping_advice(store, rules=["biased_urn:min_run=100,finish_share=0,check_share=0.02"])  # a small pool: no finishing
    req = advice.request("biased_urn")
    assert req is not None and req.n == 10 and "random check" in req.why
    drawn = draw_sample(store, req.n, rule="biased_urn")
    assert len(drawn) == 10 and not set(drawn) & set(ids[:135])
    draw = load_sample(store)[0]
    assert draw["record_ids"] == drawn and draw["frame"] == len(ids) - 135 and draw["ledger_rows"] == 135
    assert draw == store.draws()[0] and draw["rule"] == "biased_urn" and store.get_meta("random_sample") is None
    assert [store.draw_of(i) for i in drawn] == [draw["id"]] * 10 and store.draw_of(ids[0]) is None
    assert pending_sample(store) == drawn
    for i in drawn:
        store.add_decision(i, "exclude", reviewer="ann")
    state = run_state(store)
    assert len(state.labels) == 135 and list(state.sample_labels) == [0] * 10 and state.n_unscreened == len(ids) - 145
    advice = stopping_advice(store, rules=["biased_urn:finish_share=0"])
    assert advice.sample_screened == 10 and not advice.sample_pending and advice.request("biased_urn") is None
    assert advice.verdict("biased_urn").stop


def test_same_seed_same_draw(template, tmp_path):
    picks = []
    for k in range(2):
        with Store.open(shutil.copytree(template, tmp_path / f"r{k}")) as s:
            picks.append(draw_sample(s, 5))
    assert picks[0] == picks[1]


def test_status_prints_the_advice_table(template, tmp_path):
    folder = shutil.copytree(template, tmp_path / "review")
    with Store.open(folder) as s:
        _ledger(s, 3, 10)
    code, out, err = run_cli(["status", folder, "--target", "0.8", "--details"])
    assert code == 0, err
    assert "Stopping advice" in out and "target recall 0.8" in out
    assert out.index("screener") < out.index("n_in_a_row") and "recommended" in out
    assert "heuristic" in out and "guarantee" in out and "continue" in out
    assert "random sample: 'target' asks for 1 random record" in out


# -- the one verdict a reviewer reads ----------------------------------------------------------------


def test_headline_before_any_evidence_gives_no_verdict(store):
    assert headline(stopping_advice(store)).startswith("No stopping advice yet")
    _ledger(store, 0, 30)
    line = headline(stopping_advice(store))
    assert line.startswith("Keep screening: no relevant record found yet") and "stop" not in line.replace("Keep", "")


def test_headline_keep_screening_says_what_it_needs(store):
    _ledger(store, 5, 20)
    line = headline(stopping_advice(store))
    assert line.startswith("Keep screening: at least ") and "(95% confidence)" in line
    assert "If the next " in line and "records hold no relevant one, you can stop." in line
    for jargon in ("p =", "hypergeometric", "α", "H0"):
        assert jargon not in line


def test_headline_stop_names_the_rule_and_its_paper_and_never_flips_back(store):
    ids = _ledger(store, 8, 0)
    z = stopping_advice(store, rules=["screener"]).next_clean
    for i in ids[8:8 + z]:
        store.add_decision(i, "exclude", reviewer="ann")
    advice = stopping_advice(store, rules=["screener"])
    line = headline(advice)
    assert line.startswith("You can stop: at least ") and "Callaghan & Müller-Hansen 2020" in line
    for i in ids[8 + z:8 + z + 10]:  # screening on without a relevant record: still a stop
        store.add_decision(i, "exclude", reviewer="ann")
        assert stopping_advice(store, rules=["screener"]).verdict().stop


def test_follow_the_next_clean_records_and_the_rule_stops(store):
    ids = _ledger(store, 6, 10)
    advice = stopping_advice(store, rules=["screener"])
    z = advice.next_clean
    assert z is not None and z > 0 and not advice.verdict().stop
    for i in ids[16:16 + z - 1]:
        store.add_decision(i, "exclude", reviewer="ann")
    assert not stopping_advice(store, rules=["screener"]).verdict().stop
    store.add_decision(ids[16 + z - 1], "exclude", reviewer="ann")
    assert stopping_advice(store, rules=["screener"]).verdict().stop


def test_headline_asks_for_the_random_records_a_rule_needs(store):
    _ledger(store, 5, 20)
    line = headline(stopping_advice(store, rules=["target"]), "target")
    assert "Next: screen 1 random record from the unscreened part." in line


def test_methods_paragraph_states_rule_settings_target_and_evidence(template, tmp_path):
    folder = shutil.copytree(template, tmp_path / "review")
    with Store.open(folder) as s:
        _ledger(s, 4, 40)
        advice = stopping_advice(s)
        text = methods_paragraph(advice)
    assert "Callaghan & Müller-Hansen 2020" in text and "'screener'" in text and "max_windows = 8" in text
    assert "target recall of 90%" in text and "95% confidence" in text and f"44 of {advice.pool_size} records" in text
    assert "4 relevant records had been found" in text and "was not yet met" in text
    code, out, err = run_cli(["status", folder, "--methods"])
    assert code == 0 and "methods" not in err and "Callaghan" in out


def test_status_shows_one_verdict_and_details_on_request(template, tmp_path):
    folder = shutil.copytree(template, tmp_path / "review")
    with Store.open(folder) as s:
        _ledger(s, 3, 10)
    code, out, err = run_cli(["status", folder])
    assert code == 0, err
    assert "stopping: Keep screening" in out and "Stopping advice" not in out and "--details" in out


@pytest.mark.parametrize("target, confidence, word", [(1.0, 0.95, "target"), (0.0, 0.95, "target"),
                                                      (0.9, 1.0, "confidence")])
def test_bad_target_or_confidence_is_one_clear_error(store, target, confidence, word):
    with pytest.raises(ConfigError, match=word):
        stopping_advice(store, target=target, confidence=confidence)
