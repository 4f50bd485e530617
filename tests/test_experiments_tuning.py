"""The order cache and the resumable tuning sweep (screener.experiments.order_cache, .tuning)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from screener.errors import DataError
from screener.experiments import tuning
from screener.experiments.order_cache import (
    cached_orders,
    fingerprint,
    load_order,
    order_path,
)
from screener.experiments.stopping_sweep import replay_order_file
from screener.experiments.summary import summarise


def write_order(path, labels, n_priors=2):
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(labels)
    pd.DataFrame({"rank": np.arange(n, 0, -1), "record_id": [f"r{i}" for i in range(n)][::-1],  # rows out of order
                  "label": labels[::-1], "is_prior": ([1] * n_priors + [0] * (n - n_priors))[::-1]}).to_csv(path, index=False)


def make_cache(tmp_path, pools=("p1", "p2"), seeds=range(3)):
    rng = np.random.default_rng(0)
    for pool in pools:
        for seed in seeds:
            ranked = (rng.random(150) < np.linspace(0.5, 0.0, 150)).astype(np.int8)
            write_order(order_path(tmp_path / "orders", pool, seed), np.r_[np.int8(1), np.int8(0), ranked])
    return tmp_path / "orders"


def test_load_order_sorts_by_rank_and_counts_priors(tmp_path):
    labels = np.array([1, 0, 1, 1, 0, 0, 1, 0], np.int8)
    path = order_path(tmp_path, "pool", 4)
    write_order(path, labels)
    order = load_order(path, "pool", 4)
    assert np.array_equal(order.labels, labels) and order.n_priors == 2 and order.checkpoints is None


def test_load_order_names_a_broken_file(tmp_path):
    path = tmp_path / "order.csv"
    path.write_text("rank,label\n1,1\n")
    with pytest.raises(DataError, match="is_prior"):
        load_order(path, "pool", 0)


def test_cached_orders_and_fingerprint(tmp_path):
    orders = make_cache(tmp_path)
    runs = cached_orders(orders, [0, 1, 2, 9])
    assert [(p, s) for p, s, _ in runs] == [("p1", 0), ("p1", 1), ("p1", 2), ("p2", 0), ("p2", 1), ("p2", 2)]
    sha = fingerprint(runs)
    assert sha == fingerprint(runs)
    write_order(runs[0][2], np.r_[np.int8(1), np.int8(0), np.ones(150, np.int8)])
    assert fingerprint(runs) != sha
    with pytest.raises(DataError, match="not found"):
        cached_orders(tmp_path / "nowhere", [0])


def test_recommended_grid_is_explicit_and_parses():
    from screener.stopping import make_rule

    grid = tuning.recommended_grid()
    assert len(grid) == len(set(grid)) == 288
    assert all(s.startswith("biased_urn:bias=") for s in grid)
    make_rule(grid[0])


def test_sweep_resumes_from_the_summary_and_reports_from_it_alone(tmp_path):
    orders = make_cache(tmp_path)
    runs = cached_orders(orders, range(3))
    sha = fingerprint(runs)
    specs = ["n_in_a_row:n=10", "n_in_a_row:n=30", "biased_urn:min_run=20,bias=4"]
    kw = dict(orders="orders", sha=sha, runs_path=tmp_path / "runs.jsonl", summary_path=tmp_path / "summary.jsonl",
              targets=[0.8], batch=2)
    assert tuning.sweep(runs, specs[:2], **kw) == 2
    assert tuning.sweep(runs, specs, **kw) == 1  # the first two are in the summary already
    lines = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [rec["spec"] for rec in lines] == specs and all(rec["n_runs"] == 6 and "versions" in rec for rec in lines)
    summary = tuning.load_summary(tmp_path / "summary.jsonl", "orders", sha)
    assert set(summary["pool"]) == {"p1", "p2", "all"} and set(summary["rule"]) == set(specs)
    # the summary is the per-pool summary of the per-run rows
    direct = pd.DataFrame([r for pool, seed, p in runs for r in replay_order_file(p, pool, seed, specs, [0.8])])
    expect = summarise(direct).set_index(["rule", "pool"]).sort_index()
    got = summary.set_index(["rule", "pool"]).sort_index()
    assert got["reliability"].to_numpy() == pytest.approx(expect["reliability"].to_numpy())
    assert got["excess"].to_numpy() == pytest.approx(expect["excess"].to_numpy(), abs=1e-6)  # stored to 6 decimals
    # ... and can be rebuilt from the per-run file
    tuning.summaries_from_runs(tmp_path / "runs.jsonl", tmp_path / "rebuilt.jsonl")
    rebuilt = tuning.load_summary(tmp_path / "rebuilt.jsonl", "orders", sha).set_index(["rule", "pool"]).sort_index()
    assert rebuilt["excess"].to_numpy() == pytest.approx(got["excess"].to_numpy())
    assert tuning.last_fingerprint(tmp_path / "summary.jsonl", "orders") == sha
    (tmp_path / "runs.jsonl").unlink()  # the report needs the summary only
    text = tuning.tuning_report(summary, target=0.8, reliability=0.5, wilson_lo=0.0)
    assert "## Leave-one-pool-out" in text and "| p1 |" in text and "3 settings at τ = 0.8 over 2 pools" in text
