"""Order files: round trip, orders from other tools, labels joined from data, validation errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screener.errors import DataError
from screener.metrics import evaluate_order
from screener.orders import COLUMNS, read_order, write_order


@pytest.fixture
def data() -> pd.DataFrame:
    # Ten records; 3, 5 and 8 are relevant. record_id strings, label Int64 as the reader returns it.
    return pd.DataFrame({
        "record_id": [str(i) for i in range(1, 11)],
        "title": [f"t{i}" for i in range(1, 11)],
        "label_included": pd.array([0, 0, 1, 0, 1, 0, 0, 1, 0, 0], dtype="Int64"),
        "label_abstract_screening": pd.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0], dtype="Int64"),
    })


def write(tmp_path: Path, text: str, name: str = "order.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_write_then_read_round_trip(tmp_path):
    order = pd.DataFrame({
        "record_id": ["b", "a", "c", "d"],
        "label": [1, 0, 0, 1],
        "is_prior": [0, 1, 0, 0],  # a prior listed second: written first
        "score": [0.9, 0.1, 0.5, 0.2],
    })
    path = write_order(order, tmp_path / "sub" / "order.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "rank,record_id,label,is_prior,score"
    assert lines[1] == "1,a,0,1,"  # prior first, empty score
    assert lines[2] == "2,b,1,0,0.9"
    back = read_order(path)
    assert list(back.columns) == COLUMNS + ["screened"]
    assert back["record_id"].tolist() == ["a", "b", "c", "d"]
    assert back["rank"].tolist() == [1, 2, 3, 4]
    assert back["label"].tolist() == [0, 1, 0, 1]
    assert back["is_prior"].tolist() == [1, 0, 0, 0]
    assert np.isnan(back.loc[0, "score"]) and back.loc[1, "score"] == 0.9


def test_minimal_order_from_another_tool_sorted_by_rank_labels_from_data(tmp_path, data):
    # Another tool: 0-based rank, rows not in rank order, no labels, ids as numbers.
    text = "rank,record_id\n" + "\n".join(f"{r},{i}" for r, i in [(2, 5), (0, 3), (1, 1), *[(k, j) for k, j in zip(range(3, 10), [2, 4, 6, 7, 8, 9, 10])]])
    order = read_order(write(tmp_path, text), data=data)
    assert order["record_id"].tolist()[:4] == ["3", "1", "5", "2"]
    assert order["rank"].tolist() == list(range(1, 11))
    assert order["label"].tolist()[:3] == [1, 0, 1]
    assert order["screened"].sum() == 10
    # Labels come from the chosen column of the data.
    other = read_order(write(tmp_path, text), data=data, label_column="label_abstract_screening")
    assert other["label"].sum() == 5


def test_data_labels_override_order_labels(tmp_path, data):
    text = "record_id,label\n" + "\n".join(f"{i},0" for i in range(1, 11))
    assert read_order(write(tmp_path, text), data=data)["label"].sum() == 3


def test_prior_ids_override_and_go_first(tmp_path, data):
    text = "record_id\n" + "\n".join(str(i) for i in range(1, 11))
    order = read_order(write(tmp_path, text), data=data, prior_ids=["8", " 2"])
    assert order["record_id"].tolist()[:3] == ["2", "8", "1"]
    assert order["is_prior"].tolist() == [1, 1] + [0] * 8
    got = evaluate_order(order, ["records@100"])
    # priors removed: N = 8, R = 2 (3 and 5, at positions 2 and 4 of 1,3,4,5,6,7,9,10)
    assert (got["N"], got["R"], got["records@100"]) == (8, 2, 4)


def test_order_that_stopped_early_is_completed_in_the_worst_case(tmp_path, data):
    order = read_order(write(tmp_path, "record_id\n3\n1\n5\n"), data=data)
    # screened: 3, 1, 5; then the unscreened irrelevant ones (2 4 6 7 9 10), then relevant 8 last.
    assert order["record_id"].tolist() == ["3", "1", "5", "2", "4", "6", "7", "9", "10", "8"]
    assert order["screened"].tolist() == [1] * 3 + [0] * 7
    got = evaluate_order(order, ["records@100", "records@80"])
    assert got["screened"] == 3 and got["records@100"] == 10 and got["records@80"] == 10
    assert evaluate_order(order, ["records@60"])["records@60"] == 3  # ceil(0.6·3) = 2 found by n = 3


def test_tsv_orders(tmp_path):
    order = read_order(write(tmp_path, "record_id\tlabel\nx\t1\ny\t0\n", "order.tsv"))
    assert order["label"].tolist() == [1, 0]


@pytest.mark.parametrize(
    "text, kwargs, message",
    [
        ("id,label\n1,0\n", {}, "needs a 'record_id' column"),
        ("record_id,label\n", {}, "empty"),
        ("record_id,label\n1,0\n1,1\n", {}, "record 1 appears more than once"),
        ("record_id\n1\n2\n", {}, "no 'label' column"),
        ("record_id,label\n1,0\n2,\n", {}, "record 2 has no label"),
        ("record_id,label\n1,0\n2,yes\n", {}, "label must be 0 or 1"),
        ("rank,record_id,label\n1,1,0\n1,2,1\n", {}, "rank 1 appears more than once"),
        ("rank,record_id,label\n1,1,0\nx,2,1\n", {}, "'rank' must be a number"),
        ("record_id,label\n1,0\n2,1\n", {"prior_ids": ["9"]}, "prior id 9 is not in the order"),
        ("record_id\n1\n99\n", {"with_data": True}, "record 99 is not in the data"),
        ("record_id\n1\n", {"with_data": True, "label_column": "label_x"}, "no 'label_x' column"),
    ],
)
def test_validation_errors_are_one_line(tmp_path, data, text, kwargs, message):
    kwargs = dict(kwargs)
    if kwargs.pop("with_data", False):
        kwargs["data"] = data
    with pytest.raises(DataError, match=message) as info:
        read_order(write(tmp_path, text), **kwargs)
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_order(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="cannot read|empty|record_id"):
        read_order(write(tmp_path, ""))


def test_unlabelled_records_in_data(tmp_path, data):
    data = data.copy()
    data.loc[9, "label_included"] = pd.NA
    with pytest.raises(DataError, match="record 10 has no label in the data's 'label_included' column"):
        read_order(write(tmp_path, "record_id\n1\n"), data=data)


def test_reads_real_pool(tmp_path, shared_data):
    data = pd.read_csv(shared_data / "SYNERGY_Donners_2021.csv", dtype={"record_id": str})
    shuffled = data.sample(frac=1, random_state=0)
    (tmp_path / "o.csv").write_text("record_id\n" + "\n".join(shuffled["record_id"]) + "\n")
    order = read_order(tmp_path / "o.csv", data=data)
    got = evaluate_order(order)
    assert got["N"] == len(data) and got["R"] == int(data["label_included"].sum())
    assert 0 <= got["loss"] <= 1
