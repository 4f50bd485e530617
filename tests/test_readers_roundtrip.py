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


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rt") / "review"
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    nasty = folder.parent / "nasty.csv"
    pd.DataFrame({"title": ["=HYPERLINK(\"x\") peer support trial", "Peer support in prisons"],
                  "authors": ["Smith, J", "Jones, A"], "year": [2020, 2021],
                  "doi": ["10.1/a", "10.1/b"]}).to_csv(nasty, index=False)
    import_files(folder, [DEMO / "update_search.ris", nasty])
    return folder


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
