"""Stopping advice for a live review: verdicts from the ledger, target from the criteria, random samples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import screener.cli.project  # noqa: F401  (registers the commands)
from conftest import run_cli
from screener.project.advice import DEFAULT_RULES, draw_sample, load_sample, pending_sample, run_state, stopping_advice
from screener.project import import_files, init_project
from screener.project.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tpl") / "review"
    crit = tmp_path_factory.mktemp("crit") / "c.toml"
    text = (ROOT / "data" / "peer_support.criteria.toml").read_text()
    crit.write_text(text.replace("target_recall = 0.95", "target_recall = 0.9"))
    init_project(folder, crit, seed=3)
    import_files(folder, [DEMO / "update_search.ris"])  # 181 kept records
    return folder


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
    advice = stopping_advice(store, rules=["screener:min_run=100,finish_share=0,check_share=0.02"])  # a small pool: no finishing
    req = advice.request("screener")
    assert req is not None and req.n == 10 and "random check" in req.why
    drawn = draw_sample(store, req.n)
    assert len(drawn) == 10 and not set(drawn) & set(ids[:135])
    draw = load_sample(store)[0]
    assert draw["record_ids"] == drawn and draw["frame"] == len(ids) - 135 and draw["ledger_rows"] == 135
    assert pending_sample(store) == drawn
    for i in drawn:
        store.add_decision(i, "exclude", reviewer="ann")
    state = run_state(store)
    assert len(state.labels) == 135 and list(state.sample_labels) == [0] * 10 and state.n_unscreened == len(ids) - 145
    advice = stopping_advice(store, rules=["screener:finish_share=0"])
    assert advice.sample_screened == 10 and not advice.sample_pending and advice.request() is None
    assert advice.verdict().stop


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
    code, out, err = run_cli(["status", folder, "--target", "0.8"])
    assert code == 0, err
    assert "Stopping advice" in out and "target recall 0.8" in out
    assert out.index("screener") < out.index("n_in_a_row") and "recommended" in out
    assert "heuristic" in out and "guarantee" in out and "continue" in out
    assert "random sample: 'target' asks for 1 random record" in out
