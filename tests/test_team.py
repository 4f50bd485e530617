"""The team workflow in the library: reviewers, blind dual screening, conflicts, full texts, counts."""

from __future__ import annotations

import numpy as np
import pytest

from screener.errors import ConfigError, DataError
from screener.project import import_files, load_pool
from screener.project.consensus import conflicts, resolve, stage_agreement
from screener.project.flow import flow_counts
from screener.project.fulltext import attach_report, mark_not_retrieved, report_file
from screener.project.reviewers import (
    add_reason,
    add_reviewer,
    check_reviewer,
    exclusion_reasons,
    set_mode,
)
from screener.project.votes import (
    ReviewerLedger,
    cast_vote,
    reviewer_decisions,
    stage_outcomes,
)
from screener.session import Session


@pytest.fixture
def team_store(store):
    add_reviewer(store, "alice", "owner")
    add_reviewer(store, "bob")
    add_reviewer(store, "carol", "adjudicator")
    set_mode(store, "ta", "dual")
    set_mode(store, "ft", "dual")
    return store


def _ids(store) -> np.ndarray:
    return store.records()["id"].to_numpy(np.int64)


def _nothing_changed(store, before: tuple) -> None:
    assert (store.n_decisions(), len(store.reports()), len(store.reviewers())) == before


def _state(store) -> tuple:
    return store.n_decisions(), len(store.reports()), len(store.reviewers())


def test_reviewers_roles_and_bad_names(store):
    assert check_reviewer(store, "anyone") == "anyone"  # no reviewers yet: a one-person project
    with pytest.raises(ConfigError, match="owner"):
        add_reviewer(store, "bob")
    add_reviewer(store, "alice", "owner")
    add_reviewer(store, "bob")
    assert check_reviewer(store, None) == "alice"
    before = _state(store)
    for bad, match in ((("alice", "owner"), "already"), (("eve", "boss"), "role"), (("a b", "reviewer"), "name")):
        with pytest.raises(ConfigError, match=match):
            add_reviewer(store, *bad)
    with pytest.raises(ConfigError, match="unknown reviewer 'eve'"):
        Session(store, load_pool(store), reviewer="eve", background=False)
    with pytest.raises(ConfigError, match="unknown reviewer"):
        cast_vote(store, int(_ids(store)[0]), "include", reviewer="eve")
    _nothing_changed(store, before)


def test_dual_needs_two_reviewers(store):
    add_reviewer(store, "alice", "owner")
    with pytest.raises(ConfigError, match="two reviewers"):
        set_mode(store, "ta", "dual")
    assert store.get_meta("mode:ta") is None


def _bob_sees(store, keys: str) -> list:
    s = Session(store, load_pool(store), reviewer="bob", background=False)
    seen = []
    for k in keys:
        v = s.view()
        seen.append((v.record["record_id"], v.progress.screened, v.progress.included, v.progress.excluded,
                     round(v.record["score"], 12)))
        s.handle_key(k)
    s.trainer.stop()
    return seen


def test_blind_dual_bob_sees_nothing_of_alices_undecided_votes(team_store, template, tmp_path):
    import shutil

    from screener.project.store import Store

    other = Store.open(shutil.copytree(template, tmp_path / "twin"))
    try:
        add_reviewer(other, "alice", "owner"), add_reviewer(other, "bob"), add_reviewer(other, "carol", "adjudicator")
        set_mode(other, "ta", "dual")
        ids = _ids(team_store)
        for rid in ids[:40]:  # alice votes on 40 records in one project only
            cast_vote(team_store, int(rid), "include" if rid % 3 else "exclude", reviewer="alice")
        keys = "ieeieemie"
        assert _bob_sees(team_store, keys) == _bob_sees(other, keys)  # same records, counts, scores, order
    finally:
        other.close()


def test_each_reviewer_is_served_what_needs_their_vote(team_store):
    ids = _ids(team_store)
    a = ReviewerLedger(team_store, "alice").load(ids)
    assert a.open.all()
    for rid in ids[:3]:
        cast_vote(team_store, int(rid), "include", reviewer="alice")
        cast_vote(team_store, int(rid), "include", reviewer="bob")
    cast_vote(team_store, int(ids[3]), "exclude", reviewer="bob")
    cv = ReviewerLedger(team_store, "carol").load(ids)
    assert not cv.open[:3].any() and cv.open[3]  # carol: decided ones gone; bob's single vote hidden
    assert list(cv.labels[:4]) == ["include", "include", "include", ""]
    bv = ReviewerLedger(team_store, "bob").load(ids)
    assert not bv.open[:4].any() and bv.labels[3] == "exclude"
    cast_vote(team_store, int(ids[3]), "exclude", reviewer="carol")  # now two votes: alice is not needed
    assert not ReviewerLedger(team_store, "alice").load(ids).open[3]
    assert ReviewerLedger(team_store, "alice").taken(int(ids[3])) == ""  # no longer needs alice


def test_conflict_resolution_with_reason_keeps_every_vote(team_store):
    rid = int(_ids(team_store)[0])
    cast_vote(team_store, rid, "include", reviewer="alice")
    cast_vote(team_store, rid, "exclude", reviewer="bob", reasons=[exclusion_reasons(team_store)[0]])
    c = conflicts(team_store, "ta")
    assert list(c["record_id"]) == [rid] and c["voters"].iloc[0] == "alice, bob" and c["conflict"].iloc[0] == "label"
    before = _state(team_store)
    with pytest.raises(ConfigError, match="say why"):
        resolve(team_store, rid, "include", by="carol")
    with pytest.raises(ConfigError, match="is a reviewer"):
        resolve(team_store, rid, "include", by="bob", note="x")
    with pytest.raises(ConfigError, match="voters"):
        resolve(team_store, rid, "include", by="alice+carol", note="x")
    with pytest.raises(ConfigError, match="not in this project's list"):
        resolve(team_store, rid, "exclude", by="carol", reason="made up")
    _nothing_changed(team_store, before)
    resolve(team_store, rid, "include", by="alice+bob", note="peers are central after all")
    assert conflicts(team_store, "ta").empty
    d = team_store.decisions()
    assert list(d["kind"]) == ["vote", "vote", "consensus"] and d["reviewer"].iloc[-1] == "alice+bob"
    out = stage_outcomes(team_store, "ta").set_index("record_id").loc[rid]
    assert (out["state"], out["label"]) == ("decided", "include")


def test_full_text_stage_reports_reasons_and_counts(team_store, tmp_path):
    ids = [int(i) for i in _ids(team_store)[:4]]
    for rid in ids[:3]:
        for who in ("alice", "bob"):
            cast_vote(team_store, rid, "maybe" if who == "bob" else "include", reviewer=who)
    for who in ("alice", "bob"):
        cast_vote(team_store, ids[3], "exclude", reviewer=who)
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    fake = tmp_path / "paper2.pdf"
    fake.write_text("<html>not a pdf</html>")
    before = _state(team_store)
    with pytest.raises(DataError, match="not a PDF"):
        attach_report(team_store, ids[0], fake, reviewer="alice")
    with pytest.raises(ConfigError, match="not at the full-text stage"):
        attach_report(team_store, ids[3], pdf, reviewer="alice")
    with pytest.raises(DataError, match="no such file"):
        attach_report(team_store, ids[0], tmp_path / "missing.pdf", reviewer="alice")
    with pytest.raises(ConfigError, match="needs a reason"):
        cast_vote(team_store, ids[1], "exclude", reviewer="alice", stage="ft")
    with pytest.raises(ConfigError, match="not in this project's list"):
        cast_vote(team_store, ids[1], "exclude", reviewer="alice", stage="ft", reasons=["vibes"])
    _nothing_changed(team_store, before)
    assert not (team_store.folder / "fulltexts").exists() or not list((team_store.folder / "fulltexts").iterdir())
    copy = attach_report(team_store, ids[0], pdf, reviewer="alice")
    assert copy.is_relative_to(team_store.folder / "fulltexts") and copy.read_bytes() == pdf.read_bytes()
    assert report_file(team_store, ids[0]) == copy.resolve()
    mark_not_retrieved(team_store, ids[2], reviewer="bob")
    add_reason(team_store, "conference abstract only", by="alice")
    r0, r1 = exclusion_reasons(team_store)[0], "conference abstract only"
    cast_vote(team_store, ids[0], "include", reviewer="alice", stage="ft")
    cast_vote(team_store, ids[0], "include", reviewer="bob", stage="ft")
    cast_vote(team_store, ids[1], "exclude", reviewer="alice", stage="ft", reasons=[r0, r1], tags=["ask co-author"])
    cast_vote(team_store, ids[1], "exclude", reviewer="bob", stage="ft", reasons=[r1])
    assert list(conflicts(team_store, "ft")["conflict"]) == ["reason"]
    resolve(team_store, ids[1], "exclude", by="carol", reason=r1, stage="ft")
    (flow,) = flow_counts(team_store)
    n = len(_ids(team_store))
    assert (flow.records_screened, flow.records_excluded, flow.records_awaiting) == (4, 1, n - 4)
    assert (flow.reports_sought, flow.reports_not_retrieved, flow.reports_assessed) == (3, 1, 2)
    assert flow.reports_excluded == {r1: 1} and flow.studies_included == 1 and flow.reports_awaiting == 0
    mine = reviewer_decisions(team_store, "alice", stage="ft")
    assert list(mine["record_id"]) == ids[:2] and mine["tags"].iloc[1] == '["ask co-author"]'


def test_stored_report_path_outside_the_project_is_refused(team_store, tmp_path):
    from screener.errors import ProjectError

    rid = int(_ids(team_store)[0])
    for who in ("alice", "bob"):
        cast_vote(team_store, rid, "include", reviewer=who)
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(b"%PDF-1.4\n")
    team_store.add_report(rid, "attached", reviewer="alice", path="../../elsewhere.pdf")
    with pytest.raises(ProjectError, match="not a file inside"):
        report_file(team_store, rid)


def test_agreement_counts_from_the_ledger(team_store):
    ids = [int(i) for i in _ids(team_store)[:6]]
    pairs = [("include", "include"), ("maybe", "include"), ("exclude", "exclude"), ("exclude", "exclude"),
             ("include", "exclude"), ("exclude", "maybe")]
    for rid, (a, b) in zip(ids, pairs):
        cast_vote(team_store, rid, a, reviewer="alice")
        cast_vote(team_store, rid, b, reviewer="bob")
    cast_vote(team_store, ids[0], "exclude", reviewer="carol")  # carol shares one record with each
    (ab, ac, bc) = stage_agreement(team_store, "ta")
    # alice/bob: 4 of 6 agree (maybe = include); a: 3 incl 3 excl, b: 3 incl 3 excl -> p_e = .5,
    # kappa = (4/6 - .5)/.5 = 1/3, PABAK = 2*4/6 - 1 = 1/3
    assert (ab.a, ab.b, ab.n, ab.n_agree) == ("alice", "bob", 6, 4)
    assert ab.kappa == pytest.approx(1 / 3) and ab.pabak == pytest.approx(1 / 3)
    assert ab.count("include", "exclude") == 1 and ab.count("exclude", "include") == 1
    assert (ac.n, ac.n_agree, bc.n, bc.n_agree) == (1, 0, 1, 0)


def test_exports_carry_every_vote_resolution_undo_and_report(team_store, tmp_path):
    import openpyxl
    import pandas as pd

    from screener.project.export import export_project
    from screener.project.ledger_export import export_ledger

    ids = [int(i) for i in _ids(team_store)[:3]]
    reason = exclusion_reasons(team_store)[0]
    cast_vote(team_store, ids[0], "include", reviewer="alice", note="=1+1", tags=["peer-led"])
    cast_vote(team_store, ids[0], "include", reviewer="bob")
    first = cast_vote(team_store, ids[1], "include", reviewer="alice")
    cast_vote(team_store, ids[1], "none", reviewer="alice", undoes=first, note="undo")
    cast_vote(team_store, ids[1], "exclude", reviewer="alice", reasons=[reason])
    cast_vote(team_store, ids[1], "include", reviewer="bob")
    resolve(team_store, ids[1], "exclude", by="carol", reason=reason)
    mark_not_retrieved(team_store, ids[0], reviewer="bob")
    folder = team_store.folder
    assert export_ledger(folder, tmp_path / "ledger.csv") == 8
    ledger = pd.read_csv(tmp_path / "ledger.csv", keep_default_na=False)
    assert list(ledger["kind"]) == ["vote", "vote", "vote", "undo", "vote", "vote", "consensus", "report"]
    assert ledger["note"].iloc[0] == "'=1+1" and ledger["tags"].iloc[0] == "peer-led"  # formula escaped
    assert ledger["reviewer"].iloc[6] == "carol" and ledger["reasons"].iloc[6] == reason
    assert ledger["report"].iloc[7] == "not_retrieved" and "model_version" in ledger
    export_ledger(folder, tmp_path / "ledger.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "ledger.xlsx").active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    export_project(folder, "csv", tmp_path / "records.csv")
    records = pd.read_csv(tmp_path / "records.csv", keep_default_na=False).set_index("record_id")
    assert records.loc[ids[0], "ta_vote:alice"] == "include" and records.loc[ids[0], "ta_vote:bob"] == "include"
    assert records.loc[ids[1], "ta_vote:alice"] == f"exclude: {reason}"
    assert records.loc[ids[1], "decision"] == "exclude" and records.loc[ids[1], "reviewer"] == "carol"
    assert records.loc[ids[0], "report"] == "not_retrieved" and records.loc[ids[2], "decision"] == ""
    _, ris = export_project(folder, "ris")
    assert "screener: include; reviewer: alice, bob; date: 20" in ris and "votes: alice include, bob include" in ris
    with pytest.raises(ConfigError, match=r"\.csv or \.xlsx"):
        export_ledger(folder, tmp_path / "ledger.json")


def test_my_maybes_queue_and_revisiting_decisions(store):
    s = Session(store, load_pool(store), reviewer="ann", background=False)
    shown = []
    for k in "mimem":
        shown.append(s.view().record["record_id"])
        s.handle_key(k)
    s.trainer.stop()
    maybes = [shown[0], shown[2], shown[4]]
    listed = reviewer_decisions(store, "ann", label="maybe")
    assert sorted(listed["record_id"]) == sorted(maybes)
    m = Session(store, load_pool(store), reviewer="ann", background=False, maybes=True)
    assert "my maybes" in m.view().who
    first = m.view().record["record_id"]
    assert first in maybes
    m.handle_key("i")
    m.handle_key("u")  # undo puts it back in the maybes queue
    assert m.view().record["record_id"] == first
    served = []
    while m.view().record is not None:
        served.append(m.view().record["record_id"])
        m.handle_key("e")
    m.trainer.stop()
    assert sorted(served) == sorted(maybes) and reviewer_decisions(store, "ann", label="maybe").empty
    d = store.decisions()
    assert len(d) == 5 + 2 + 3 and list(d["label"].iloc[-3:]) == ["exclude"] * 3  # new rows, none rewritten
    assert len(reviewer_decisions(store, "ann", search=str(store.records().set_index("id").loc[shown[1], "title"])[:20])) >= 1


def test_an_update_search_gets_its_own_flow(store, tmp_path):
    import pandas as pd

    from screener.project.flow import draw_project_flow
    from tests.test_prisma_diagram import svg_text

    rid = int(_ids(store)[0])
    cast_vote(store, rid, "exclude", reviewer="ann")
    update = tmp_path / "update.csv"
    pd.DataFrame({"title": [f"Peer navigators in opioid treatment: an interview study {k}" for k in range(3)],
                  "abstract": ["Qualitative interviews with peer workers."] * 3, "year": [2024] * 3,
                  "doi": [f"10.9/upd.{k}" for k in range(3)]}).to_csv(update, index=False)
    import_files(store.folder, [update])
    first, new = flow_counts(store)
    assert new.identified == {"update.csv": 3} and new.records_screened == 0 and new.records_awaiting == 3
    assert first.records_screened == 1 and first.records_excluded == 1 and "update.csv" not in first.identified
    _, flows = draw_project_flow(store.folder, tmp_path / "flow.svg")
    text = svg_text(tmp_path / "flow.svg")
    assert "Update search" in text and "update.csv (n = 3)" in text and len(flows) == 2


def test_status_and_advice_count_outcomes_not_the_latest_vote(team_store):
    from screener.project.advice import run_state
    from screener.project.status import project_status

    ids = [int(i) for i in _ids(team_store)[:3]]
    for rid, (a, b) in zip(ids, [("include", "include"), ("include", "exclude"), ("exclude", "exclude")]):
        cast_vote(team_store, rid, a, reviewer="alice")
        cast_vote(team_store, rid, b, reviewer="bob")  # record 2: bob's exclude is the latest row
    s = project_status(team_store.folder)
    assert (s.screened, s.included, s.excluded, s.not_screened) == (2, 1, 1, len(_ids(team_store)) - 2)
    assert s.flows[0].records_screened == s.screened and s.flows[0].reports_sought == s.included
    state = run_state(team_store)
    assert sorted(state.labels.tolist()) == [0, 1]  # the conflict is not an exclusion yet
