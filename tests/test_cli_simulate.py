"""``screener simulate`` and ``screener demo`` through the CLI."""

import json
from pathlib import Path

import pandas as pd

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


def test_simulate_defaults_to_the_interleave_with_checkpoints_and_word_is_the_single_learner(tmp_path):
    pool = tmp_path / "pool.csv"
    make_demo_pool(150, random_state=5).to_csv(pool, index=False)
    code, out, err = run_cli(["simulate", pool, "--out", tmp_path / "run"])
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["settings"]["views"] == "word+char"
    members = metrics["settings"]["learner"]["members"]
    assert [m["features"] for m in members] == ["word", "char"] and members[1]["params"]["C"] == 1.0
    order = pd.read_csv(tmp_path / "run" / "order.csv")
    assert len(order) == 150 and order.record_id.is_unique
    # its scores are the word member's probabilities: checkpoints for model-based stopping rules
    assert (tmp_path / "run" / "checkpoints.csv").exists()
    code, _, _ = run_cli(["simulate", pool, "--ranker", "interleave", "--out", tmp_path / "named"])
    assert code == 0 and pd.read_csv(tmp_path / "named" / "order.csv").record_id.equals(order.record_id)
    code, _, _ = run_cli(["simulate", pool, "--ranker", "word", "--out", tmp_path / "word"])
    assert code == 0 and (tmp_path / "word" / "checkpoints.csv").exists()
    word = pd.read_csv(tmp_path / "word" / "order.csv")
    assert json.loads((tmp_path / "word" / "metrics.json").read_text())["settings"]["views"] == "word"
    assert not order.record_id.equals(word.record_id)  # another ranker, another order


def test_simulate_ranker_errors_are_one_line(tmp_path):
    pool = tmp_path / "pool.csv"
    make_demo_pool(60, random_state=5).to_csv(pool, index=False)
    code, _, err = run_cli(["simulate", pool, "--ranker", "bert", "--out", tmp_path / "o"])
    assert code == 1 and "unknown ranker 'bert'; choose interleave (the default) or word" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_the_interleave_takes_a_criteria_file_for_a_cold_start(tmp_path):
    from screener.demo import DEMO_CRITERIA, DEMO_POOL

    first = {}
    for name, extra in (("criteria", ["--criteria", DEMO_CRITERIA]), ("random", [])):
        code, _, err = run_cli(["simulate", DEMO_POOL, "--ranker", "interleave", "--prior-ids", "none", "--seed", "1",
                                "--stop-at-last-relevant", *extra, "--out", tmp_path / name])
        assert code == 0, err
        first[name] = json.loads((tmp_path / name / "metrics.json").read_text())["first@5"]
    assert json.loads((tmp_path / "criteria" / "metrics.json").read_text())["criteria"] == str(DEMO_CRITERIA)
    # the criteria's rows in the word and the character features find the first five includes sooner
    assert first["criteria"] < first["random"]


def test_demo_runs_on_shipped_data_and_writes_the_plot(tmp_path):
    code, out, err = run_cli(["demo", "--out", tmp_path / "demo"])
    assert code == 0, err
    assert "SYNTHETIC" in out and "criteria" in out
    assert (tmp_path / "demo" / "recall_curve.png").stat().st_size > 1000
    crit = json.loads((tmp_path / "demo" / "criteria_cold_start" / "metrics.json").read_text())
    rand = json.loads((tmp_path / "demo" / "random_start" / "metrics.json").read_text())
    assert crit["first@1"] < rand["first@1"]
