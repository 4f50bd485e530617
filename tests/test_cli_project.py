"""The project commands through the CLI: init, import, screen (keys from stdin), rank, status, export."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import screener.cli.project  # noqa: F401  (registers the commands)
from conftest import run_cli
from screener.project.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
CRITERIA = ROOT / "data" / "peer_support.criteria.toml"


@pytest.fixture
def review(tmp_path) -> Path:
    folder = tmp_path / "review"
    code, out, err = run_cli(["init", folder, "--criteria", CRITERIA])
    assert code == 0, err
    return folder


def _screen(review: Path, keys: str, monkeypatch, reviewer: str = "ann") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(keys))
    return run_cli(["screen", review, "--reviewer", reviewer, "--keys-from-stdin"])


def test_workflow_import_screen_status_rank_export(review, tmp_path, monkeypatch):
    code, out, _ = run_cli(["import", review, DEMO / "ebscohost.ris", DEMO / "update_search.ris"])
    assert code == 0 and "added" in out and "merged" in out and "skipped" in out
    code, out, _ = run_cli(["import", review, DEMO / "ebscohost.ris"])
    assert code == 0 and "805" in out.splitlines()[-3]  # all 805 skipped, none added
    code, out, err = _screen(review, "iir1e" + "nfollow up\r" + "mq", monkeypatch)
    assert code == 0, err
    assert out.count("saved #") == 4 and "continues here" in out
    code, out, _ = run_cli(["status", review])
    assert code == 0
    for line in ("identified: ebscohost.ris", "duplicates removed", "records screened",
                 "excluded: not peer support", "not yet screened"):
        assert line in out
    assert "model: v" in out and ": ok" in out
    ranked = tmp_path / "ranked.csv"
    code, out, _ = run_cli(["rank", review, "--out", ranked])
    table = pd.read_csv(ranked)
    assert code == 0 and list(table.columns[:4]) == ["record_id", "title", "score", "rank"]
    code, out, _ = run_cli(["export", review, "--format", "tsv"])
    table = pd.read_csv(io.StringIO(out), sep="\t", dtype=str, keep_default_na=False)
    assert code == 0 and (table["decision"] != "").sum() == 4
    assert "follow up" in set(table["notes"])


def test_rank_new_ranks_the_update_search_only(review, tmp_path):
    run_cli(["import", review, DEMO / "ebscohost.ris"])
    out_csv = tmp_path / "ranked.csv"
    code, out, err = run_cli(["rank", review, "--new", DEMO / "update_search.ris", "--out", out_csv])
    assert code == 0, err
    assert (pd.read_csv(out_csv)["source"] == "update_search.ris").all()


@pytest.mark.parametrize("content,match", [
    ("TY  - JOUR\nTI  - cut", "truncated"),
    ("author,year\nSmith,2020\n", "no title"),
])
def test_malformed_import_is_one_error_line_and_changes_nothing(review, tmp_path, content, match):
    bad = tmp_path / ("bad.ris" if content.startswith("TY") else "bad.csv")
    bad.write_text(content)
    code, out, err = run_cli(["import", review, bad])
    flat = " ".join(err.split())  # the console wraps long lines
    assert code == 1 and match in flat and "Traceback" not in err and flat.count("error:") == 1
    code, out, _ = run_cli(["status", review])
    assert "identified: total" in out and "│ 0 " in out.split("identified: total")[1].splitlines()[0]


def test_tampered_model_is_refused_with_one_line(review, tmp_path, monkeypatch):
    run_cli(["import", review, DEMO / "update_search.ris"])
    assert run_cli(["rank", review, "--out", tmp_path / "r.csv"])[0] == 0
    model = sorted((review / "models").glob("*.npz"))[-1]
    side = model.with_suffix(".npz.json")
    meta = json.loads(side.read_text())
    meta["versions"]["numpy"] = "0.1"
    side.write_text(json.dumps(meta))
    code, out, err = run_cli(["rank", review, "--out", tmp_path / "r.csv"])
    assert code == 1 and "numpy 0.1" in " ".join(err.split())
    code, out, _ = run_cli(["status", review])
    assert code == 0 and "refused" in out
    code, out, err = _screen(review, "q", monkeypatch)
    assert code == 1 and "numpy 0.1" in " ".join(err.split())
    monkeypatch.setattr(sys, "stdin", io.StringIO("eq"))
    assert run_cli(["screen", review, "--keys-from-stdin", "--retrain"])[0] == 0
    assert run_cli(["rank", review, "--out", tmp_path / "r.csv", "--retrain"])[0] == 0


def test_user_errors_are_one_line(tmp_path):
    code, _, err = run_cli(["status", tmp_path / "nope"])
    assert code == 1 and "not a screener project" in " ".join(err.split())
    code, _, err = run_cli(["export", tmp_path / "nope", "--format", "docx"])
    assert code == 1 and "docx" in err


def test_screen_takes_the_stopping_rule_to_show(review, monkeypatch):
    run_cli(["import", review, DEMO / "ebscohost.ris"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("eq"))
    code, out, err = run_cli(["screen", review, "--reviewer", "ann", "--keys-from-stdin",
                              "--stopping-rule", "n_in_a_row:n=50"])
    assert code == 0, err
    assert "stopping (n_in_a_row" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("eq"))
    code, out, err = run_cli(["screen", review, "--keys-from-stdin", "--stopping-rule", "nonsense"])
    flat = " ".join(err.split())
    assert code == 1 and "unknown stopping rule 'nonsense'" in flat and flat.count("error:") == 1
    with Store.open(review) as store:
        assert store.n_decisions() == 1  # the refused call screened nothing
