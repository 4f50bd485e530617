"""``screener simulate`` and ``screener demo`` through the CLI."""

import json
from pathlib import Path

from conftest import run_cli
from screener.demo_data import make_demo_pool

ROOT = Path(__file__).resolve().parents[1]


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
    assert code == 1 and "not found" in err
    pool = tmp_path / "pool.csv"
    make_demo_pool(60, random_state=5).to_csv(pool, index=False)
    code, _, err = run_cli(["simulate", pool, "--seeds", "9-2", "--out", tmp_path / "o"])
    assert code == 1 and "--seeds" in err


def test_demo_runs_on_shipped_data_and_writes_the_plot(tmp_path):
    code, out, err = run_cli(["demo", "--out", tmp_path / "demo"])
    assert code == 0, err
    assert "SYNTHETIC" in out and "criteria" in out
    assert (tmp_path / "demo" / "recall_curve.png").stat().st_size > 1000
    crit = json.loads((tmp_path / "demo" / "criteria_cold_start" / "metrics.json").read_text())
    rand = json.loads((tmp_path / "demo" / "random_start" / "metrics.json").read_text())
    assert crit["first@1"] < rand["first@1"]
