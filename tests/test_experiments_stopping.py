"""Stopping sweeps, summaries and reports (screener.experiments): EVALUATION.md's quantities on
hand-built orders."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from screener.experiments.reports import markdown_table, write_reports
from screener.experiments.stopping_sweep import evaluate_order_rules
from screener.experiments.summary import (
    leave_one_pool_out,
    pooled,
    summarise,
    wilson_interval,
)
from screener.stopping import make_rule
from screener.stopping.replay import replay


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(19, 20)
    ci = binomtest(19, 20).proportion_ci(confidence_level=0.95, method="wilson")
    assert (lo, hi) == pytest.approx((ci.low, ci.high))
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-4)


def order_labels():
    # priors (1, 0), then 8 relevant in the first 20 ranked, 1 late relevant at ranked position 150, pool 202
    ranked = np.zeros(200, np.int8)
    ranked[[0, 1, 2, 4, 6, 9, 12, 17]] = 1
    ranked[149] = 1
    return np.r_[np.array([1, 0], np.int8), ranked]


def test_replay_n_in_a_row_effort_and_recall():
    labels = order_labels()
    rows = evaluate_order_rules(labels, 2, {"n_in_a_row:n=50": make_rule("n_in_a_row:n=50")}, [0.8, 1.0], check_every=1)
    r8, r10 = rows
    # last relevant before the gap at ranked 18; 50 zeros → stops after ranked record 68
    assert r8["stop_at"] == 68 and r8["N"] == 200 and r8["R"] == 9
    assert r8["recall"] == pytest.approx(8 / 9) and r8["reached"]
    assert r8["effort"] == pytest.approx(68 / 200)
    assert r8["best_effort"] == pytest.approx(18 / 200)  # ceil(0.8·9) = 8: the 8th relevant is ranked 18th
    assert r8["excess"] == pytest.approx((68 - 18) / 200)
    assert not r10["reached"] and r10["best_effort"] == pytest.approx(150 / 200)


def test_random_sample_counts_as_effort_and_found():
    labels = order_labels()
    rule = make_rule("target:T=9")  # draws until all 9 relevant are in the sample: the whole rest, in effect
    r = replay(labels, 2, rule, target=0.95, random_state=0)
    assert r["found"] == 9
    assert r["effort_records"] <= 200
    # every relevant is in the sample, so the ranking must reach all of them or the sample covers the pool
    rows = evaluate_order_rules(labels, 2, {"target:T=9": rule}, [0.95], seed=3)
    assert rows[0]["recall"] == 1.0 and rows[0]["effort"] >= rows[0]["best_effort"]


def test_sampling_rules_are_reproducible_per_seed():
    labels = order_labels()
    rules = {"qbcb:sample_share=0.3": make_rule("qbcb:sample_share=0.3"),
             "hypergeometric_random:switch_after=30": make_rule("hypergeometric_random:switch_after=30"),
             "screener": make_rule("screener")}
    a = evaluate_order_rules(labels, 2, rules, [0.8], seed=1)
    b = evaluate_order_rules(labels, 2, rules, [0.8], seed=1)
    assert a == b
    for row in a:
        assert 0 <= row["effort"] <= 1 and 0 <= row["recall"] <= 1
        assert row["effort"] * row["N"] == pytest.approx(row["stop_at"] + row["sampled"])


def test_model_rule_uses_checkpoints():
    labels = order_labels()
    cps = pd.DataFrame({"n_screened": [2, 30, 60], "expected_remaining": [10.0, 2.0, 0.05], "var": [5.0, 1.5, 0.04]})
    rows = evaluate_order_rules(labels, 2, {"quant_ci": make_rule("quant_ci")}, [0.8], checkpoints=cps, check_every=1)
    assert rows[0]["stop_at"] == 58  # the checkpoint at 60 screened (incl. 2 priors)
    assert evaluate_order_rules(labels, 2, {"quant_ci": make_rule("quant_ci")}, [0.8]) == []  # no model scores: skipped


def test_summary_table_and_reports(tmp_path):
    labels = order_labels()
    rows = []
    for seed in range(3):
        for pool in ("a", "b"):
            rows += evaluate_order_rules(labels, 2, {"n_in_a_row:n=50": make_rule("n_in_a_row:n=50"), "knee": make_rule("knee")},
                                         [0.8, 0.95], seed=seed, meta={"pool": pool, "seed": seed})
    df = pd.DataFrame(rows)
    s = summarise(df)
    overall = s[(s.pool == "all") & (s.rule == "n_in_a_row:n=50") & (s.target == 0.8)].iloc[0]
    assert overall["runs"] == 6 and overall["reliability"] == 1.0
    assert overall["reliability_lo"] == pytest.approx(wilson_interval(6, 6)[0])
    table = markdown_table(s, target=0.95)
    assert "| 0.95 | knee | heuristic | 6 |" in table
    paths = write_reports(df, tmp_path, extra={"wall_s": 1.0})
    lines = paths["runs"].read_text().splitlines()
    assert len(lines) == 24 and json.loads(lines[0])["wall_s"] == 1.0
    assert paths["effort_plot"].stat().st_size > 0 and paths["reliability_plot"].stat().st_size > 0
    assert "## a" in paths["table"].read_text()


def sweep_rows():
    labels = order_labels()
    late = labels.copy()
    late[[5, 8]] = 0  # a pool whose ranking finds less early
    late[[120, 180]] = 1
    rules = {s: make_rule(s) for s in ("n_in_a_row:n=20", "n_in_a_row:n=50", "n_in_a_row:n=140", "knee")}
    rows = []
    for pool, order in (("a", labels), ("b", late), ("c", labels)):
        for seed in range(4):
            rows += evaluate_order_rules(order, 2, rules, [0.8, 0.95], seed=seed, meta={"pool": pool, "seed": seed})
    return pd.DataFrame(rows)


def test_pooled_per_pool_summary_equals_the_summary_over_all_runs():
    rows = sweep_rows()
    s = summarise(rows)
    table = pooled(s, 0.95)
    overall = s[(s["pool"] == "all") & np.isclose(s["target"], 0.95)].set_index("rule")
    for col in ("runs", "reached", "reliability", "reliability_lo", "recall", "effort", "excess"):
        assert table[col].to_numpy() == pytest.approx(overall.loc[table.index, col].to_numpy())


def test_leave_one_pool_out_from_the_summary_matches_a_choice_made_on_the_rows():
    rows = sweep_rows()
    picks, cv = leave_one_pool_out(summarise(rows), 0.8, reliability=0.9, wilson_lo=0.5)
    assert list(picks["pool"]) == ["a", "b", "c"]
    held = []
    for pool in "abc":
        train = summarise(rows[rows["pool"] != pool])
        t = train[(train["pool"] == "all") & np.isclose(train["target"], 0.8)]
        t = t[(t["reliability"] >= 0.9) & (t["reliability_lo"] >= 0.5)].sort_values("excess")
        spec = t["rule"].iloc[0]
        assert picks.set_index("pool").loc[pool, "setting"] == spec
        held.append(rows[(rows["pool"] == pool) & (rows["rule"] == spec) & np.isclose(rows["target"], 0.8)])
    held = pd.concat(held)
    assert cv["runs"] == len(held) and cv["reliability"] == pytest.approx(held["reached"].mean())
    assert cv["excess"] == pytest.approx(held["excess"].mean())


def test_the_report_can_be_rebuilt_from_the_summary_alone(tmp_path):
    from screener.experiments.reports import report_from_summary

    rows = sweep_rows()
    paths = write_reports(rows, tmp_path, extra={"command": "bench", "wall_s": 2.0}, plots=False, title="T")
    written = paths["table"].read_text()
    paths["runs"].unlink()
    rebuilt = report_from_summary(paths["summary"], tmp_path / "again.md", "T").read_text()
    assert rebuilt.split("## All pools")[1] == written.split("## All pools")[1]  # the same tables
    assert "- command: bench" in rebuilt and "- summary: stopping_summary.jsonl" in rebuilt


def test_a_file_that_is_no_labelled_pool_fails_the_evaluation_before_any_simulation(tmp_path):
    from screener.demo_data import make_demo_pool
    from screener.errors import DataError
    from screener.experiments.stopping_sweep import evaluate_stopping

    good = tmp_path / "a_pool.csv"
    make_demo_pool(80, random_state=1).to_csv(good, index=False)
    index = tmp_path / "index.csv"  # as in a data folder beside its pools
    pd.DataFrame({"name": ["a_pool"], "records": [80]}).to_csv(index, index=False)
    with pytest.raises(DataError, match="index.csv: .*no title or abstract"):
        evaluate_stopping([good, index], seeds=[0], targets=[0.95], rules="knee", orders_dir=tmp_path / "orders",
                          n_jobs=1)
    assert not (tmp_path / "orders").exists()  # nothing was simulated
