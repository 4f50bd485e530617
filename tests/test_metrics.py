"""Metrics: hand-computed answers, the random/ideal/worst anchors, names that round-trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from screener.errors import ConfigError, DataError
from screener.metrics import (
    DEFAULT_METRICS,
    METRICS,
    Metric,
    evaluate,
    evaluate_order,
    parse_metric,
    parse_metrics,
    summarise,
    to_markdown,
)

# N = 10, R = 3, relevant at positions 1, 3, 6.
# TP(n) for n = 1..10: 1 1 2 2 2 3 3 3 3 3   (Σ TP = 23)
ORDER = [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]


def test_hand_computed_order():
    got = evaluate(ORDER, DEFAULT_METRICS)
    # records@r: ceil(0.8·3) = ceil(0.9·3) = ceil(0.95·3) = 3 relevant → first reached at n = 6
    for r in (80, 90, 95, 100):
        assert got[f"records@{r}"] == 6
    # wss@95 = (10 − 6)/10 − 0.05 = 0.35; wss@100 = 0.4 − 0 = 0.4
    assert got["wss@95"] == pytest.approx(0.35)
    assert got["wss@100"] == pytest.approx(0.40)
    # recall@10% = TP(1)/3; @20% = TP(2)/3; @30% = TP(3)/3
    assert got["recall@10%"] == pytest.approx(1 / 3)
    assert got["recall@20%"] == pytest.approx(1 / 3)
    assert got["recall@30%"] == pytest.approx(2 / 3)
    # atd = mean(1, 3, 6) / 10 = (10/3)/10
    assert got["atd"] == pytest.approx(1 / 3)
    # loss = (3·(10 − 1) − 23) / (3·7) = 4/21
    assert got["loss"] == pytest.approx(4 / 21)
    assert list(got) == [str(m) for m in DEFAULT_METRICS]


def test_records_targets_use_ceil_without_float_noise():
    # R = 20: ceil(0.95·20) must be 19, not 20 (0.95·20 = 19.000000000000004 in floats).
    labels = np.array([1] * 19 + [0] * 5 + [1])
    got = evaluate(labels, ["records@95", "records@100", "records@80", "records@90"])
    assert got["records@95"] == 19
    assert got["records@100"] == 25
    assert got["records@80"] == 16  # ceil(16.0) = 16
    assert got["records@90"] == 18  # ceil(18.0) = 18
    # R = 15: ceil(0.95·15 = 14.25) = 15
    assert evaluate([1] * 15 + [0], ["records@95"])["records@95"] == 15


def test_recall_uses_floor_of_share():
    # N = 100, relevant at positions 29 and 30: floor(0.29·100) must be 29, not 28.
    labels = np.zeros(100, int)
    labels[[28, 29]] = 1
    assert evaluate(labels, ["recall@29%"])["recall@29%"] == pytest.approx(0.5)
    # N = 15: floor(0.1·15) = 1 record screened
    assert evaluate([1, 1] + [0] * 13, ["recall@10%"])["recall@10%"] == pytest.approx(0.5)
    # floor(0.1·5) = 0 records screened → recall 0
    assert evaluate([1, 0, 0, 0, 0], ["recall@10%"])["recall@10%"] == 0


def test_ideal_and_worst_orders():
    n, r = 200, 17
    ideal = np.array([1] * r + [0] * (n - r))
    got = evaluate(ideal, DEFAULT_METRICS)
    assert got["loss"] == 0
    assert got["records@100"] == r
    assert got["atd"] == pytest.approx((r + 1) / (2 * n))
    worst = ideal[::-1]
    got = evaluate(worst, DEFAULT_METRICS)
    assert got["loss"] == pytest.approx(1.0)
    assert got["records@100"] == n
    assert got["wss@100"] == 0


def test_random_orders_average_half():
    rng = np.random.default_rng(0)
    labels = np.zeros(500, int)
    labels[:25] = 1
    runs = [evaluate(rng.permutation(labels), ["loss", "atd", "wss@95"]) for _ in range(2000)]
    assert np.mean([x["loss"] for x in runs]) == pytest.approx(0.5, abs=0.01)
    assert np.mean([x["atd"] for x in runs]) == pytest.approx(0.5, abs=0.01)
    # Random screening saves about nothing: wss@95 ≈ 0 (here ≈ 0.025, the 24th of 25 comes at ≈ 92.5% of N).
    assert abs(np.mean([x["wss@95"] for x in runs])) < 0.05


def test_everything_relevant_and_nothing_relevant():
    got = evaluate([1, 1, 1], DEFAULT_METRICS)
    assert got["loss"] == 0 and got["records@100"] == 3 and got["recall@30%"] == pytest.approx(0 / 3)
    with pytest.raises(DataError, match="no relevant"):
        evaluate([0, 0, 0])
    with pytest.raises(DataError, match="empty"):
        evaluate([])


@pytest.mark.parametrize(
    "name, family, cutoff, printed",
    [
        ("records@95", "records", 0.95, "records@95"),
        ("records@0.95", "records", 0.95, "records@95"),
        ("records@100", "records", 1.0, "records@100"),
        ("records@1.0", "records", 1.0, "records@100"),
        ("wss@95", "wss", 0.95, "wss@95"),
        ("wss@97.5", "wss", 0.975, "wss@97.5"),
        ("recall@10%", "recall", 0.1, "recall@10%"),
        ("recall@10", "recall", 0.1, "recall@10%"),
        ("recall@0.1", "recall", 0.1, "recall@10%"),
        ("records_share@95", "records_share", 0.95, "records_share@95"),
        ("atd", "atd", None, "atd"),
        (" Loss ", "loss", None, "loss"),
    ],
)
def test_names_parse_and_print_back(name, family, cutoff, printed):
    m = parse_metric(name)
    assert m == Metric(family, cutoff)
    assert str(m) == printed
    assert parse_metric(str(m)) == m


def test_every_default_and_registered_name_round_trips():
    for m in DEFAULT_METRICS:
        assert parse_metric(str(m)) == m
    assert set(METRICS) >= {"records", "wss", "recall", "atd", "loss"}


@pytest.mark.parametrize(
    "bad", ["", "foo", "foo@95", "records", "records@", "records@0", "records@150", "atd@5", "recall@-1", "wss@x"]
)
def test_invalid_names_raise_config_error(bad):
    with pytest.raises(ConfigError):
        parse_metric(bad)


def test_parse_metrics_accepts_comma_string():
    assert [str(m) for m in parse_metrics("records@95, loss")] == ["records@95", "loss"]


def test_evaluate_order_removes_priors_and_adds_shares():
    order = pd.DataFrame({
        "rank": range(1, 13),
        "record_id": [str(i) for i in range(12)],
        # two priors (one relevant) first, then ORDER
        "label": [1, 0, *ORDER],
        "is_prior": [1, 1] + [0] * 10,
        "score": [np.nan, np.nan] + [0.5] * 10,
    })
    got = evaluate_order(order, ["records@95", "loss"])
    assert got == {"N": 10, "R": 3, "screened": 10, "records@95": 6, "loss": pytest.approx(4 / 21),
                   "records_share@95": pytest.approx(0.6)}


def test_first_found_counts_records_to_the_kth_relevant():
    labels = np.array([0, 1, 0, 1, 1, 1, 0, 1])
    got = evaluate(labels, ["first@1", "first@5", "first@9"])
    assert got["first@1"] == 2 and got["first@5"] == 8 and np.isnan(got["first@9"])
    assert str(parse_metric("first@5")) == "first@5"
    with pytest.raises(ConfigError):
        parse_metric("first@0.5")


def test_summarise_and_markdown():
    rows = [
        {"dataset": "a", "seed": 0, "records@95": 10, "loss": 0.1},
        {"dataset": "a", "seed": 1, "records@95": 20, "loss": 0.3},
        {"dataset": "b", "seed": 0, "records@95": 40, "loss": 0.2},
    ]
    table = summarise(rows)
    assert list(table.columns) == ["dataset", "runs", "records@95", "records@95_std", "loss", "loss_std"]
    a, b, total = table.to_dict("records")
    assert a["runs"] == 2 and a["records@95"] == 15 and a["records@95_std"] == pytest.approx(math.sqrt(50))
    assert b["runs"] == 1 and math.isnan(b["loss_std"])
    # overall: mean of the per-set means, each set weighing the same
    assert total["dataset"] == "all" and total["records@95"] == pytest.approx(27.5)
    assert total["loss"] == pytest.approx(0.2)

    md = to_markdown(table)
    lines = md.strip().splitlines()
    assert lines[0] == "| dataset | runs | records@95 | records@95_std | loss | loss_std |"
    assert lines[1] == "|---|--:|--:|--:|--:|--:|"
    assert lines[2].startswith("| a | 2 | 15 | 7.071 | 0.200 |")
    assert len(lines) == 5

    flat = summarise(rows, by=())
    assert flat.loc[0, "runs"] == 3 and flat.loc[0, "records@95"] == pytest.approx(70 / 3)
    with pytest.raises(ConfigError):
        summarise(rows, by=("pool",))


@pytest.mark.parametrize(
    "n, r, ideal", [(849, 19, 19), (391, 40, 38), (501, 135, 129), (669, 23, 22), (1860, 89, 85), (2017, 100, 95)]
)
def test_ideal_records_at_95_matches_evaluation_md(n, r, ideal):
    # The "ideal records@95" column of EVALUATION.md's reference table.
    labels = np.r_[np.ones(r, int), np.zeros(n - r, int)]
    assert evaluate(labels, ["records@95"])["records@95"] == ideal
