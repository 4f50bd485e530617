"""Exports: every kept record with its decision; formula cells escaped; RIS keeps original fields."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import rispy

from screener.errors import ConfigError
from screener.project import import_files, init_project, load_pool
from screener.project.export import EXPORT_COLUMNS, escape_cells, export_project
from screener.project.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
NASTY = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exp") / "review"
    init_project(folder, ROOT / "data" / "peer_support.criteria.toml")
    csv = folder.parent / "nasty.csv"
    pd.DataFrame({"title": [f"{v} a title number {i}" for i, v in enumerate(NASTY)],
                  "authors": NASTY, "year": 2020}).to_csv(csv, index=False)
    import_files(folder, [DEMO / "update_search.ris", csv])
    with Store.open(folder) as s:
        ids = load_pool(s).ids
        s.add_decision(int(ids[0]), "include", reviewer="ann", note="key paper")
        s.add_decision(int(ids[1]), "exclude", reviewer="ann", reason="not peer support", note="=cmd")
        s.add_decision(int(ids[2]), "maybe", reviewer="bob")
        s.add_decision(int(ids[2]), "exclude", reviewer="bob", reason="no qualitative evidence")
    return folder


def test_csv_has_every_kept_record_with_current_decision(project):
    n, text = export_project(project, "csv")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(table.columns) == EXPORT_COLUMNS and len(table) == n
    with Store.open(project) as s:
        assert n == len(s.records())
    by_decision = table["decision"].value_counts()
    assert by_decision["include"] == 1 and by_decision["exclude"] == 2
    row = table[table["reason"] == "no qualitative evidence"].iloc[0]
    assert row["reviewer"] == "bob" and row["decided_at"]
    assert table.loc[table["decision"] == "include", "notes"].iloc[0] == "key paper"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx"])
def test_formula_cells_are_escaped(project, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    export_project(project, fmt, out)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(out).active
        cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    else:
        table = pd.read_csv(out, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False)
        cells = [v for col in table.columns for v in table[col]]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    for value in NASTY[:4] + ["=cmd"]:
        assert any(c.startswith("'" + value[:3]) for c in cells), value


def test_escape_cells_leaves_numbers_and_safe_text_alone():
    table = pd.DataFrame({"a": ["-x", "ok", None], "n": [-1, 2, 3]})
    out = escape_cells(table)
    assert list(out["a"][:2]) == ["'-x", "ok"] and list(out["n"]) == [-1, 2, 3]


def test_ris_keeps_original_fields_and_adds_the_decision(project, tmp_path):
    out = tmp_path / "export.ris"
    n, _ = export_project(project, "ris", out)
    text = out.read_text()
    entries = rispy.loads(text)
    assert len(entries) == n
    original = (DEMO / "update_search.ris").read_text()
    first_an = next(line for line in original.splitlines() if line.startswith("AN  - "))
    assert first_an in text  # original accession numbers travel along
    included = [e for e in entries if "screener:include" in e.get("keywords", [])]
    assert len(included) == 1 and "screener: include" in included[0]["notes"][0]
    excluded = [e for e in entries if "screener:exclude" in e.get("keywords", [])]
    assert any("reason: not peer support" in e["notes"][0] for e in excluded)
    csv_made = [e for e in entries if e.get("primary_title", e.get("title", "")).startswith("@SUM")]
    assert csv_made and csv_made[0]["type_of_reference"] == "JOUR"


def test_xlsx_needs_a_file_and_unknown_formats_are_refused(project):
    with pytest.raises(ConfigError, match="--out"):
        export_project(project, "xlsx")
    with pytest.raises(ConfigError, match="unknown export format"):
        export_project(project, "docx")
