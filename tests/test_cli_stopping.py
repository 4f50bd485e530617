"""``screener stopping evaluate`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli


def make_pool(tmp_path: Path, n: int = 80, relevant: int = 8) -> Path:
    rng = np.random.default_rng(0)
    y = np.zeros(n, int)
    y[rng.choice(n, relevant, replace=False)] = 1
    words = ["trial", "peer", "support", "drug", "review", "cohort", "mouse", "survey"]
    rows = []
    for i in range(n):
        topic = "peer support trial" if y[i] else " ".join(rng.choice(words, 3))
        rows.append({"record_id": str(i + 1), "title": f"{topic} {i}", "abstract": f"{topic} study of {rng.choice(words)}",
                     "label_included": y[i]})
    path = tmp_path / "pool.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def write_orders(tmp_path: Path, pool: Path, seeds) -> Path:
    df = pd.read_csv(pool, dtype={"record_id": str})
    orders = tmp_path / "orders"
    for seed in seeds:
        rng = np.random.default_rng(seed)
        # a decent ranking: relevant records mostly early
        key = rng.random(len(df)) + (1 - df["label_included"].to_numpy()) * 0.7
        o = df.iloc[np.argsort(key)].reset_index(drop=True)
        out = pd.DataFrame({"rank": np.arange(1, len(o) + 1), "record_id": o["record_id"], "label": o["label_included"],
                            "is_prior": [1, 1] + [0] * (len(o) - 2), "score": [np.nan, np.nan] + list(np.linspace(0.9, 0.01, len(o) - 2))})
        d = orders / "pool" / "label_included" / f"seed{seed}"
        d.mkdir(parents=True)
        out.to_csv(d / "order.csv", index=False)
    return orders


def test_evaluate_reuses_orders_and_writes_reports(tmp_path):
    pool = make_pool(tmp_path)
    orders = write_orders(tmp_path, pool, range(3))
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["stopping", "evaluate", pool, "--seeds", "0-2", "--targets", "0.8,0.95",
                                    "--rules", "knee;n_in_a_row:n=10;hypergeometric;target;screener", "--orders", orders,
                                    "--out", out, "--n-jobs", "1"])
    assert code == 0, stderr
    assert "| 0.95 | n_in_a_row:n=10 |" in stdout
    rows = [json.loads(line) for line in (out / "stopping.jsonl").read_text().splitlines()]
    assert len(rows) == 3 * 2 * 5
    assert {r["rule"] for r in rows} == {"knee", "n_in_a_row:n=10", "hypergeometric", "target", "screener"}
    assert all({"recall", "reached", "effort", "excess", "pool", "seed"} <= set(r) for r in rows)
    assert (out / "stopping.md").read_text().count("## pool") == 1
    assert (out / "stopping_effort_recall.png").exists() and (out / "stopping_reliability.png").exists()


def test_evaluate_simulates_missing_orders(tmp_path):
    pool = make_pool(tmp_path, n=40, relevant=5)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["stopping", "evaluate", pool, "--seeds", "0", "--targets", "0.9", "--rules", "n_in_a_row:n=10",
                                    "--out", out, "--n-jobs", "1", "--no-plots"])
    assert code == 0, stderr
    assert (out / "orders" / "pool" / "label_included" / "seed0" / "order.csv").exists()


def test_user_errors_are_one_line(tmp_path):
    pool = make_pool(tmp_path)
    code, _, stderr = run_cli(["stopping", "evaluate", pool, "--rules", "nope", "--out", tmp_path / "o"])
    assert code == 1 and "unknown stopping rule" in stderr and "Traceback" not in stderr
    code, _, stderr = run_cli(["stopping", "evaluate", tmp_path / "missing.csv", "--out", tmp_path / "o"])
    assert code == 1 and "not found" in stderr
    code, _, stderr = run_cli(["stopping", "evaluate", pool, "--seeds", "x", "--out", tmp_path / "o"])
    assert code == 1 and "--seeds" in stderr


def test_evaluate_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    pool = make_pool(tmp_path)
    orders = write_orders(tmp_path, pool, range(2))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        code, stdout, stderr = run_cli(["stopping", "evaluate", pool, "--seeds", "0-1", "--targets", "0.9",
                                        "--rules", "n_in_a_row:n=10;screener", "--orders", orders, "--out", tmp_path / "dask",
                                        "--scheduler", cluster.scheduler_address, "--no-plots"])
    assert code == 0, stderr
    local = tmp_path / "local"
    code, _, stderr = run_cli(["stopping", "evaluate", pool, "--seeds", "0-1", "--targets", "0.9", "--rules",
                               "n_in_a_row:n=10;screener", "--orders", orders, "--out", local, "--n-jobs", "1", "--no-plots"])
    assert code == 0, stderr

    def strip(p):
        return [{k: v for k, v in json.loads(line).items() if k != "wall_s"} for line in p.read_text().splitlines()]

    assert strip(tmp_path / "dask" / "stopping.jsonl") == strip(local / "stopping.jsonl")  # same results, either backend


def test_skip_missing_orders(tmp_path):
    pool = make_pool(tmp_path)
    orders = write_orders(tmp_path, pool, [0])
    code, _, stderr = run_cli(["stopping", "evaluate", pool, "--seeds", "0-3", "--targets", "0.9", "--rules", "knee",
                               "--orders", orders, "--out", tmp_path / "o", "--skip-missing", "--no-plots"])
    assert code == 0, stderr
    assert len((tmp_path / "o" / "stopping.jsonl").read_text().splitlines()) == 1
