"""The engine's commands through the CLI: read, simulate, demo (the README's commands)."""

import json
from pathlib import Path

import pandas as pd

from screener.demo_data import make_demo_pool
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
    assert code == 2 and err.strip().count("\n") == 0 and "empty.csv" in err


def test_simulate_many_seeds_writes_orders_metrics_and_runs(tmp_path):
    pool = tmp_path / "pool.csv"
    make_demo_pool(120, random_state=5).to_csv(pool, index=False)
    code, out, err = run_cli(["simulate", pool, "--seeds", "0-1", "--out", tmp_path / "runs", "--n-jobs", "1",
                              "--stop-at-last-relevant"])
    assert code == 0, err
    for seed in (0, 1):
        run = tmp_path / "runs" / "pool" / f"seed{seed}"
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["seed"] == seed and 0 <= metrics["loss"] <= 1
        assert (run / "order.csv").exists()
    assert len((tmp_path / "runs" / "runs.jsonl").read_text().splitlines()) == 2


def test_simulate_bad_seeds_and_missing_data_are_one_line(tmp_path):
    code, _, err = run_cli(["simulate", tmp_path / "nope.csv", "--out", tmp_path / "o"])
    assert code == 2 and "not found" in err
    pool = tmp_path / "pool.csv"
    make_demo_pool(60, random_state=5).to_csv(pool, index=False)
    code, _, err = run_cli(["simulate", pool, "--seeds", "9-2", "--out", tmp_path / "o"])
    assert code == 2 and "--seeds" in err


def test_demo_runs_on_shipped_data_and_writes_the_plot(tmp_path):
    code, out, err = run_cli(["demo", "--out", tmp_path / "demo"])
    assert code == 0, err
    assert "SYNTHETIC" in out and "criteria" in out
    assert (tmp_path / "demo" / "recall_curve.png").stat().st_size > 1000
    crit = json.loads((tmp_path / "demo" / "criteria_cold_start" / "metrics.json").read_text())
    rand = json.loads((tmp_path / "demo" / "random_start" / "metrics.json").read_text())
    assert crit["first@1"] < rand["first@1"]
