"""``screener duplicates``: merges listed with their evidence, flagged pairs, unmerging."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from screener.errors import DataError
from screener.project.create import init_project
from screener.project.duplicates import flagged, merges, unmerge
from screener.project.imports import import_files
from screener.project.store import Store

RIS = """TY  - JOUR
TI  - Peer support for people leaving prison: a randomised trial
AU  - Smith, John
AU  - Jones, Ann
PY  - 2019
JO  - Journal of Testing
DO  - 10.1/one
ER  - 

TY  - JOUR
TI  - Peer support for people leaving prison: a randomised trial. [Review] [12 refs]
AU  - Smith, J.
AU  - Jones, A.
PY  - 2019
JO  - J Testing
ER  - 

TY  - JOUR
TI  - Peer support for people leaving prison: a randomised trial
AU  - Smith, John
AU  - Jones, Ann
PY  - 2019
JO  - Journal of Testing
DO  - 10.1/two
ER  - 

TY  - JOUR
TI  - Peer support for people leaving prison: a randomised trial
AU  - Smith, John
AU  - Jones, Ann
PY  - 2018
JO  - medRxiv
ER  - 
"""


@pytest.fixture
def project(tmp_path) -> Path:
    criteria = tmp_path / "criteria.txt"
    criteria.write_text("peer support")
    folder = init_project(tmp_path / "review", criteria)
    export = tmp_path / "search.ris"
    export.write_text(RIS)
    summary = import_files(folder, [export])
    assert summary.totals["added"] == 3 and summary.totals["merged"] == 1  # two DOIs: never one
    return folder


def test_merges_are_listed_with_their_evidence(project):
    table = merges(project)
    assert len(table) == 1
    row = table.iloc[0]
    assert "title 1.00" in row["evidence"] and "authors" in row["evidence"]
    assert "[Review]" in row["duplicate_title"]


def test_preprint_pairs_are_flagged(project):
    pairs = flagged(project)
    assert len(pairs) >= 1 and pairs["reason"].str.contains("preprint").all()


def test_unmerge_puts_the_record_back_and_refuses_unknown_ids(project):
    dup_id = int(merges(project).iloc[0]["duplicate_id"])
    with Store.open(project) as s:
        before = len(s.records())
    assert unmerge(project, [dup_id]) == [dup_id]
    with Store.open(project) as s:
        assert len(s.records()) == before + 1
    assert merges(project).empty
    with pytest.raises(DataError, match="not merged"):
        unmerge(project, [dup_id])
    with pytest.raises(DataError, match="not in the project"):
        unmerge(project, [999])


def test_cli_duplicates(project, tmp_path):
    code, out, err = run_cli(["duplicates", project, "--out", tmp_path / "merges.csv"])
    assert code == 0, err
    assert "1 merged record(s)" in out and "flagged" in out and (tmp_path / "merges.csv").exists()
    dup_id = merges(project).iloc[0]["duplicate_id"]
    code, out, err = run_cli(["duplicates", project, "--unmerge", dup_id])
    assert code == 0 and "1 record(s) back in the pool" in out
    code, out, err = run_cli(["duplicates", project, "--unmerge", "999"])
    assert code != 0 and "not in the project" in err


def test_an_import_matches_on_the_citation_it_keeps(tmp_path):
    # The second export has typos in the title's first and last words and no year: only the
    # journal and pages the project keeps find the pair, and volume/pages are evidence for it.
    criteria = tmp_path / "criteria.txt"
    criteria.write_text("peer support")
    folder = init_project(tmp_path / "review", criteria)
    first, second = tmp_path / "first.ris", tmp_path / "second.csv"
    first.write_text("TY  - JOUR\nTI  - Peer navigators after non-fatal overdose in rural England: a cluster "
                     "randomised trial\nAU  - Okafor, Anna\nAU  - Levesque, David\nPY  - 2019\nJO  - Addiction\n"
                     "VL  - 114\nSP  - 1201\nEP  - 1210\nER  - \n")
    second.write_text("title,authors,journal,pages\n\"Peer navigatros after non-fatal overdose in rural England: "
                      "a cluster randomised trail\",Okafor A; Levesque D,Addiction,1201-10\n")
    import_files(folder, [first])
    assert import_files(folder, [second]).totals["merged"] == 1
    [row] = merges(folder).itertuples()
    assert "page same" in row.evidence
