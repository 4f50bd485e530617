"""``screener read`` through the CLI: one table, duplicate groups, one-line errors."""

from pathlib import Path

import pandas as pd

from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]


def test_read_reports_duplicate_groups_across_exports(tmp_path):
    demo = ROOT / "data" / "demo"
    code, out, err = run_cli(["read", demo / "ebscohost.ris", demo / "pubmed.nbib", demo / "webofscience.csv",
                              "--out", tmp_path / "records.csv", "--duplicates", tmp_path / "dups.csv"])
    assert code == 0, err
    assert "duplicate group(s)" in out
    records = pd.read_csv(tmp_path / "records.csv")
    dups = pd.read_csv(tmp_path / "dups.csv")
    assert len(records) == 805 + 721 + 805  # nothing dropped
    assert (dups["size"] >= 2).all() and len(dups) > 100


def test_read_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    code, out, err = run_cli(["read", bad])
    assert code == 1 and err.strip().count("\n") == 0 and "empty.csv" in err
