"""Importing search exports into a project (de-duplication, atomicity), ranking and saved models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DEMO, make_review
from screener.errors import DataError, ProjectError
from screener.project import import_files, init_project, load_pool, rank_project
from screener.project.store import Store


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_review(tmp_path_factory.mktemp("tpl") / "review", ("ebscohost.ris", "pubmed.nbib"))


@pytest.fixture
def project(review) -> Path:
    return review


def _count(folder: Path) -> tuple[int, int]:
    with Store.open(folder) as s:
        return (s.con.execute("SELECT COUNT(*) FROM records").fetchone()[0],
                s.con.execute("SELECT COUNT(*) FROM imports").fetchone()[0])


def test_import_counts_add_up_and_duplicates_link_to_kept_records(project):
    summary = import_files(project, [DEMO / "webofscience.csv"])
    row = summary.files.iloc[0]
    assert row["read"] == row["added"] + row["merged"] + row["skipped"] == 805
    assert row["merged"] > 0  # Web of Science overlaps EBSCOhost and PubMed
    with Store.open(project) as s:
        records = s.records(kept_only=False)
    kept = set(records.loc[records["duplicate_of"].isna(), "id"])
    assert set(records["duplicate_of"].dropna()) <= kept
    assert len(kept) == len(records) - records["duplicate_of"].notna().sum()


def test_importing_the_same_file_twice_adds_nothing(project):
    before = _count(project)[0]
    summary = import_files(project, [DEMO / "ebscohost.ris"])
    assert summary.totals == {"read": 805, "added": 0, "merged": 0, "skipped": 805, "blank": 0}
    assert _count(project)[0] == before


def test_the_same_records_in_a_changed_file_are_skipped_record_by_record(project, tmp_path):
    copy = tmp_path / "ebscohost-again.ris"
    copy.write_text((DEMO / "ebscohost.ris").read_text() + "\n\n")
    summary = import_files(project, [copy])
    assert summary.totals["skipped"] == 805 and summary.totals["added"] == 0


def test_duplicates_within_one_import_are_merged(project, tmp_path):
    csv = tmp_path / "dups.csv"
    csv.write_text("title,doi,year\nA brand new study of peer navigators,10.1/new,2024\n"
                   "A brand-new study of peer navigators.,10.1/NEW,2024\n")
    summary = import_files(project, [csv])
    assert summary.totals["added"] == 1 and summary.totals["merged"] == 1
    assert len(summary.added_ids) == 1


@pytest.mark.parametrize("name,content,match", [
    ("truncated.ris", "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two cut off", "truncated"),
    ("binary.ris", b"\x00\x01\x02TY  - JOUR\x00\xff\xfe" * 20, "binary"),
    ("notitle.csv", "author,year\nSmith,2020\n", "no title"),
])
def test_malformed_imports_change_nothing(project, tmp_path, name, content, match):
    bad = tmp_path / name
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    good_new = DEMO / "update_search.ris"
    before = _count(project)
    with pytest.raises(DataError, match=match):
        import_files(project, [good_new, bad])  # the good file is not imported either
    assert _count(project) == before


def test_raw_ris_and_medline_fields_are_kept(project):
    with Store.open(project) as s:
        records = s.records(kept_only=False, raw=True)
    ris = records[records["source"] == "ebscohost.ris"].iloc[0]
    pairs = json.loads(ris["raw"])
    assert ris["raw_format"] == "ris" and pairs[0] == ["TY", "JOUR"] and ["AN", ris["source_record_id"]] in pairs
    nbib = records[records["source"] == "pubmed.nbib"].iloc[0]
    assert nbib["raw_format"] == "medline" and json.loads(nbib["raw"])["PMID"] == [nbib["pmid"]]


def test_rank_scores_are_probabilities_in_queue_order_and_cold_start_follows_criteria(project):
    ranked, summary = rank_project(project)
    assert summary is None
    assert list(ranked.columns[:4]) == ["record_id", "title", "score", "rank"]
    assert ranked["score"].between(0, 1).all()
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    # the queue interleaves the word and character models; the scores are the word model's
    # probabilities, so its top record is one of the first two
    assert ranked["score"].head(2).max() == ranked["score"].max()
    with Store.open(project) as s:
        pool = load_pool(s)
    text = (pool.records["title"] + " " + pool.records["abstract"]).str.lower()
    top = (ranked["title"].head(30).str.lower().str.contains("peer")).mean()
    # criteria order the queue before any include (margin 0.15: since de-duplication keeps records
    # with different DOIs apart, the demo pool holds 100 more records, more of them about peers)
    assert top > text.str.contains("peer").mean() + 0.15


def test_rank_new_imports_first_and_ranks_only_new_records_using_decisions(project):
    with Store.open(project) as s:
        pool = load_pool(s)
        for rid in pool.ids[:3]:
            s.add_decision(int(rid), "exclude", reviewer="ann")
        s.add_decision(int(pool.ids[3]), "include", reviewer="ann")
    ranked, summary = rank_project(project, new=[DEMO / "update_search.ris"])
    assert summary.totals["added"] == len(ranked) > 0
    assert set(ranked["record_id"]) == set(summary.added_ids)
    with Store.open(project) as s:
        assert s.models()["n_include"].iloc[-1] == 1 and s.models()["n_exclude"].iloc[-1] == 3
    again, summary2 = rank_project(project, new=[DEMO / "update_search.ris"])
    assert summary2.totals["added"] == 0 and again.empty


def test_saved_model_is_reused_and_a_tampered_one_refused(project):
    rank_project(project)
    with Store.open(project) as s:
        saved = s.latest_saved_model()
        path = project / saved["path"]
    assert path.is_file() and path.with_suffix(".npz.json").is_file()
    rank_project(project)  # same ledger: the saved model is loaded, no new version
    with Store.open(project) as s:
        assert s.latest_saved_model()["version"] == saved["version"]
    side = path.with_suffix(".npz.json")
    meta = json.loads(side.read_text())
    old_defaults = json.loads(side.read_text())
    old_defaults["settings"]["features"]["fields"] = ["title", "abstract", "keywords"]
    side.write_text(json.dumps(old_defaults))
    rank_project(project)  # a model built with other feature settings is refit, not reused
    with Store.open(project) as s:
        assert s.latest_saved_model()["version"] == saved["version"] + 1
        saved = s.latest_saved_model()
        path = project / saved["path"]
    side = path.with_suffix(".npz.json")
    meta = json.loads(side.read_text())
    meta["versions"]["scikit-learn"] = "0.0.1"
    side.write_text(json.dumps(meta))
    with pytest.raises(ProjectError, match="scikit-learn 0.0.1"):
        rank_project(project)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ProjectError, match="hash"):
        rank_project(project)
    ranked, _ = rank_project(project, retrain=True)
    assert len(ranked) > 0


def test_init_refuses_a_broken_criteria_file(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("include = [unclosed")
    with pytest.raises(Exception, match="TOML"):
        init_project(tmp_path / "r", bad)
    assert not (tmp_path / "r").exists()
