"""The session's whole-request API (what the browser calls), the decision history, the discovery
curve and editing the project's criteria: each checked before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from screener.criteria import Criteria, criteria_from_dict
from screener.errors import ConfigError
from screener.project import import_files, init_project, load_pool
from screener.project.create import project_criteria, set_project_criteria
from screener.project.history import decision_history, discovery_curve, neighbours
from screener.project.reviewers import add_reviewer, set_mode
from screener.project.store import Store
from screener.project.votes import MAX_NOTE, cast_vote
from screener.session import Session

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tpl") / "review"
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    import_files(folder, [ROOT / "data" / "demo" / "update_search.ris"])
    with Store.open(folder) as store:
        add_reviewer(store, "ann", "owner")
        add_reviewer(store, "ben")
    return folder


def _session(store: Store, reviewer: str = "ann", stage: str = "ta") -> Session:
    return Session(store, load_pool(store), reviewer=reviewer, background=False, stage=stage)


def _ledger(store: Store) -> list[tuple]:
    return [tuple(r) for r in store.con.execute("SELECT id, record_id, label, reason, note FROM decisions")]


def test_decide_saves_label_reason_and_note_then_advances(store):
    s = _session(store)
    first = s.record()["record_id"]
    reason = s.reasons[2]
    assert s.decide("exclude", reason=reason, note="  no peers  ")
    assert _ledger(store)[-1][1:] == (first, "exclude", reason, "no peers")
    assert s.record()["record_id"] != first and s.view().acknowledged


@pytest.mark.parametrize("label, reason, note, message", [
    ("exclude", "not a reason", None, "not in this project's list"),
    ("include", "not peer support", None, "goes with an exclusion"),
    ("exclude", None, "x" * (MAX_NOTE + 1), "at most 10,000 characters"),
    ("keep", None, None, "use one of include, exclude, maybe"),
])
def test_decide_refuses_bad_fields_and_saves_nothing(store, label, reason, note, message):
    s = _session(store)
    shown = s.record()["record_id"]
    with pytest.raises(ConfigError, match=message) as err:
        s.decide(label, reason=reason, note=note)
    assert "\n" not in str(err.value)
    assert _ledger(store) == [] and s.record()["record_id"] == shown


def test_a_note_over_the_limit_is_refused_by_the_library_too(store):
    rid = int(store.records()["id"].iloc[0])
    with pytest.raises(ConfigError, match="nothing was saved"):
        cast_vote(store, rid, "include", reviewer="ann", note="n" * (MAX_NOTE + 1))
    assert _ledger(store) == []


def test_revise_appends_a_row_keeps_the_history_order_and_undo_reverts_it(store):
    s = _session(store)
    ids = []
    for label in ("include", "exclude", "maybe"):
        ids.append(s.record()["record_id"])
        s.decide(label)
    shown = s.record()["record_id"]
    assert s.revise(ids[0], "exclude", reason=s.reasons[0], note="on second thought")
    rows = _ledger(store)
    assert len(rows) == 4 and rows[-1][1:] == (ids[0], "exclude", s.reasons[0], "on second thought")
    assert s.record()["record_id"] == shown  # the record in focus stays
    hist = decision_history(store, "ann")
    assert list(hist["record_id"]) == ids and list(hist["label"]) == ["exclude", "exclude", "maybe"]
    assert s.progress().included == 0
    s.handle_key("u")  # undoes the change: back to include, another row
    assert _ledger(store)[-1][1:3] == (ids[0], "include") and s.progress().included == 1
    assert list(decision_history(store, "ann")["record_id"]) == ids


def test_revise_refuses_a_record_without_a_decision_of_yours(store):
    s = _session(store)
    other = s.record()["record_id"]
    with pytest.raises(ConfigError, match="no decision of yours"):
        s.revise(other, "include")
    cast_vote(store, other, "include", reviewer="ben")
    with pytest.raises(ConfigError, match="no decision of yours"):
        _session(store).revise(other, "exclude")
    assert len(_ledger(store)) == 1


def test_record_at_explains_any_record_with_the_current_model(store):
    s = _session(store)
    for k in "iee":
        s.handle_key(k)
    first = int(decision_history(store, "ann")["record_id"].iloc[0])
    rec = s.record_at(first)
    assert rec["record_id"] == first and 0 <= rec["score"] <= 1
    assert rec["why_up"] and all(c.weight > 0 for c in rec["why_up"])
    assert s.record_at(10**9) is None


def test_history_leaves_out_undone_and_neighbours_walk_it(store):
    s = _session(store)
    for k in "ieu":
        s.handle_key(k)
    hist = decision_history(store, "ann")
    assert len(hist) == 1 and hist["label"].iloc[0] == "include"
    s.handle_key("m")
    s.handle_key("e")
    ids = list(decision_history(store, "ann")["record_id"])
    assert neighbours(decision_history(store, "ann"), None) == (ids[-1], None)
    assert neighbours(decision_history(store, "ann"), ids[1]) == (ids[0], ids[2])
    assert neighbours(decision_history(store, "ann"), ids[0]) == (None, ids[1])
    assert decision_history(store, "ben").empty


def test_discovery_curve_shared_and_own(store):
    s = _session(store)
    for k in "iemei":
        s.handle_key(k)
    screened, found = discovery_curve(store, "ann", shared=True)
    assert list(screened) == [0, 1, 2, 3, 4] and list(found) == [0, 1, 1, 1, 2]  # the maybe left out
    own_s, own_f = discovery_curve(store, "ann", shared=False)
    assert np.array_equal(own_s, screened) and np.array_equal(own_f, found)
    assert list(discovery_curve(store, "ben", shared=False)[1]) == [0]


def test_blind_curve_counts_only_ones_own_votes(store):
    set_mode(store, "ta", "dual")
    ids = store.records()["id"].to_numpy()
    for rid in ids[:3]:
        cast_vote(store, int(rid), "include", reviewer="ben")
    cast_vote(store, int(ids[5]), "exclude", reviewer="ann")
    assert list(discovery_curve(store, "ann", shared=False)[1]) == [0, 0]


def test_withdraw_takes_a_full_text_record_out_of_the_queue(store):
    ids = store.records()["id"].to_numpy()
    for rid in ids[:2]:
        cast_vote(store, int(rid), "include", reviewer="ann")
    s = _session(store, stage="ft")
    first = s.record()["record_id"]
    s.withdraw(first)
    assert s.record()["record_id"] != first
    s.withdraw(s.record()["record_id"])
    assert s.record() is None


# -- criteria ------------------------------------------------------------------------------------
def test_exclude_terms_highlight_and_bad_stopping_tables():
    c = Criteria(include="x", exclude_terms=("randomi*ed", "cohort"))
    assert c.exclude_pattern().findall("A randomised cohort, randomized") == ["randomised", "cohort", "randomized"]
    assert Criteria(include="x").exclude_pattern() is None
    for doc, message in (({"include": "x", "stopping": 3}, r"\[stopping\] is a table"),
                         ({"include": "x", "stopping": {"target_recall": "high"}}, "must be a number"),
                         ({"include": "x", "exclude": ["a"]}, "'exclude' must be"),
                         ({"include": "x", "exclude_terms": "a"}, "'exclude_terms' must be a list")):
        with pytest.raises(ConfigError, match=message):
            criteria_from_dict(doc)


def test_set_project_criteria_saves_checked_text_and_keeps_the_old(store):
    old = store.get_meta("criteria_text")
    new = old.replace('exclude_terms = [', 'exclude_terms = ["cardiology", ')
    c = set_project_criteria(store, new, by="ann")
    assert "cardiology" in c.exclude_terms and project_criteria(store).exclude_terms == c.exclude_terms
    assert store.get_meta("criteria_previous") == old and store.get_meta("criteria_edited").endswith("by ann")


@pytest.mark.parametrize("edit, message", [
    (lambda t: t + "\n[[", "not valid TOML"),
    (lambda t: t.replace("include =", "inclde ="), "unknown key"),
    (lambda t: t + "x" * 100_001, "at most 100,000 characters"),
])
def test_set_project_criteria_refuses_bad_text_and_changes_nothing(store, edit, message):
    old = store.get_meta("criteria_text")
    with pytest.raises(ConfigError, match=message):
        set_project_criteria(store, edit(old), by="ann")
    assert store.get_meta("criteria_text") == old and store.get_meta("criteria_previous") is None


def test_a_reason_in_use_cannot_be_dropped(store):
    rid = int(store.records()["id"].iloc[0])
    cast_vote(store, rid, "exclude", reviewer="ann", reasons=["not drug addiction"])
    old = store.get_meta("criteria_text")
    with pytest.raises(ConfigError, match="'not drug addiction' are used by decisions"):
        set_project_criteria(store, old.replace('    "not drug addiction",\n', ""), by="ann")
    assert store.get_meta("criteria_text") == old
    set_project_criteria(store, old.replace('    "not peer support",\n', ""), by="ann")  # unused: fine
    assert "not peer support" not in project_criteria(store).reasons
    with pytest.raises(ConfigError, match="unknown reviewer"):
        set_project_criteria(store, old, by="mallory")
