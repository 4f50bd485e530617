"""Screener re-imports its own exports (CSV, TSV, XLSX, RIS) with every record and field; the
XLSX is a sheet a reviewer can use; 'rank --out' escapes formulas as export does."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import run_cli
from screener.project import import_files, init_project
from screener.project.export import export_project
from screener.project.store import Store
from screener.readers import read_file

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


# Hand-made records carrying every citation field and database id, one file per source format.
_CITED_RIS = """TY  - JOUR
TI  - Peer navigators after non-fatal overdose: a cluster trial
AU  - Okafor, Anna
AU  - Levesque, David L.
PY  - 2019
JO  - Addiction
VL  - 114
IS  - 7
SP  - 1201
EP  - 1210
DO  - 10.1111/add.14567
DB  - Embase
AN  - 2019123456
N1  - PMID: 30912345
ER  - 
"""

_CITED_MEDLINE = """PMID- 31234567
TI  - Recovery coaches in emergency departments: a stepped-wedge trial.
FAU - Chen, Nadia G
VI  - 21
IP  - Suppl 2
PG  - 45-53
DP  - 2020 Mar
JT  - Harm reduction journal
PMC - PMC7012345
AID - 10.1186/s12954-020-0001-x [doi]
SO  - Harm Reduct J. 2020 Mar;21(Suppl 2):45-53.
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rt") / "review"
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    nasty = folder.parent / "nasty.csv"
    pd.DataFrame({"title": ["=HYPERLINK(\"x\") peer support trial", "Peer support in prisons"],
                  "authors": ["Smith, J", "Jones, A"], "year": [2020, 2021],
                  "doi": ["10.1/a", "10.1/b"]}).to_csv(nasty, index=False)
    scopus = folder.parent / "scopus.csv"  # Scopus's own column names: pages as start and end
    pd.DataFrame({"Authors": ["Walker A.; Jensen N."], "Title": ["Contingency management for stimulant use"],
                  "Year": [2021], "Source title": ["Drug and Alcohol Dependence"], "Volume": ["220"],
                  "Issue": ["3"], "Page start": ["108512"], "Page end": ["108520"], "DOI": ["10.1016/j.dad.2021.1"],
                  "PubMed ID": ["33456789"], "EID": ["2-s2.0-85101234567"]}).to_csv(scopus, index=False)
    ris, medline = folder.parent / "embase.ris", folder.parent / "pubmed.nbib"
    ris.write_text(_CITED_RIS)
    medline.write_text(_CITED_MEDLINE)
    import_files(folder, [DEMO / "update_search.ris", nasty, scopus, ris, medline])
    return folder


CITED = ["title", "authors", "year", "doi", "pmid", "journal", "volume", "issue", "pages", "source_ids"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx", "ris"])
def test_exports_import_again_with_their_citations_and_database_ids(project, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    export_project(project, fmt, out)
    again = init_project(tmp_path / "again", ROOT / "data" / "peer_support.criteria.toml")
    import_files(again, [out])
    with Store.open(project) as s:
        before = s.records()[CITED]
    with Store.open(again) as s:
        after = s.records()[CITED]
    after["title"] = after["title"].str.removeprefix("'")  # the formula escape
    before, after = (t.sort_values("title", kind="stable").reset_index(drop=True) for t in (before, after))
    pd.testing.assert_frame_equal(after, before)
    cited = before.set_index("title")
    # the hand-made records did carry what is compared (a blank column would compare equal)
    assert tuple(cited.loc["Contingency management for stimulant use", ["volume", "issue", "pages", "source_ids"]]
                 ) == ("220", "3", "108512-108520", "EID:2-s2.0-85101234567")
    assert tuple(cited.loc["Peer navigators after non-fatal overdose: a cluster trial",
                           ["pmid", "volume", "issue", "pages", "source_ids"]]) == (
        "30912345", "114", "7", "1201-1210", "Embase:2019123456")
    assert tuple(cited.loc["Recovery coaches in emergency departments: a stepped-wedge trial.",
                           ["volume", "issue", "pages", "source_ids"]]) == ("21", "Suppl 2", "45-53", "PMC:PMC7012345")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx", "ris"])
def test_exports_import_again_whole(project, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    n, _ = export_project(project, fmt, out)
    back = read_file(out)
    assert len(back) == n
    with Store.open(project) as s:
        kept = s.records()
    assert set(back["doi"]) - {""} == set(kept["doi"]) - {""}
    assert sorted(back["title"].str.lstrip("'")) == sorted(kept["title"])
    again = init_project(tmp_path / f"again-{fmt}", ROOT / "data" / "peer_support.criteria.toml")
    assert import_files(again, [out]).totals["added"] == n


def test_xlsx_has_a_named_sheet_frozen_header_and_filters(project, tmp_path):
    out = tmp_path / "export.xlsx"
    export_project(project, "xlsx", out)
    sheet = openpyxl.load_workbook(out)["records"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


def test_rank_out_escapes_formulas(project, tmp_path):
    out = tmp_path / "ranked.csv"
    code, _, err = run_cli(["rank", project, "--out", out])
    assert code == 0, err
    titles = pd.read_csv(out, dtype=str)["title"]
    assert not titles.str.startswith("=").any() and titles.str.startswith("'=").any()
