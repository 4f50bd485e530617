"""``screener metrics`` through the real entry point: tables, JSON, plots and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

DATA = """record_id,title,abstract,label_included
1,a,x,0
2,b,x,1
3,c,x,0
4,d,x,1
5,e,x,0
6,f,x,0
7,g,x,1
8,h,x,0
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "data.csv").write_text(DATA)
    # After the priors 1 and 2: 4 3 5 7 6 8 → labels 1 0 0 1 0 0; N = 6, R = 2, records@100 = 4
    (tmp_path / "a.csv").write_text("record_id\n1\n2\n4\n3\n5\n7\n6\n8\n")
    # Another tool's order with its own labels and priors: 4 7 3 5 6 8 → ideal, records@100 = 2
    (tmp_path / "b.csv").write_text(
        "rank,record_id,label,is_prior,score\n1,1,0,1,\n2,2,1,1,\n3,4,1,0,.9\n4,7,1,0,.8\n"
        "5,3,0,0,.5\n6,5,0,0,.4\n7,6,0,0,.3\n8,8,0,0,.1\n"
    )
    return {p.stem: p for p in tmp_path.glob("*.csv")}


def test_table_for_one_order(files):
    code, out, err = run_cli(["metrics", files["a"], "--data", files["data"], "--prior-ids", "1,2"])
    assert code == 0, err
    assert "records@95" in out and "loss" in out and "a.csv" in out
    assert "mean" not in out


def test_json_for_several_orders(files):
    code, out, err = run_cli([
        "metrics", files["a"], files["b"], "--data", files["data"], "--prior-ids", "1,2",
        "--metrics", "records@100,loss", "--json",
    ])
    assert code == 0, err
    got = json.loads(out)
    a, b = got["orders"]
    assert (a["N"], a["R"], a["records@100"], a["records_share@100"]) == (6, 2, 4, pytest.approx(4 / 6))
    assert b["records@100"] == 2 and b["loss"] == 0
    # a: TP = 1 1 1 2 2 2 (Σ 9); loss = (2·(6 − 0.5) − 9) / (2·4) = 2/8
    assert a["loss"] == pytest.approx(0.25)
    assert got["mean"]["records@100"] == 3 and got["mean"]["order"] == "mean"


def test_order_with_labels_needs_no_data_and_table_has_mean(files):
    code, out, err = run_cli(["metrics", files["b"], files["b"]])
    assert code == 0, err
    assert "mean" in out


def test_plot_option_writes_files(files, tmp_path):
    code, out, err = run_cli(["metrics", files["a"], "--data", files["data"], "--plot", tmp_path / "curves"])
    assert code == 0, err
    assert (tmp_path / "curves.png").stat().st_size > 0 and (tmp_path / "curves.svg").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.csv"], "not found"),
        (["{a}"], "no 'label' column"),
        (["{a}", "--data", "{data}", "--prior-ids", "99"], "prior id 99"),
        (["{a}", "--data", "{data}", "--label-column", "label_x"], "label_x"),
        (["{a}", "--data", "{data}", "--metrics", "wss@x"], "metric"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_1(files, monkeypatch, args, message):
    # rich wraps stderr at the terminal width (80 when not a terminal); long tmp paths would wrap.
    monkeypatch.setenv("COLUMNS", "1000")
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    code, out, err = run_cli(["metrics", *args])
    assert code == 1
    assert message in err and err.startswith("error:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_real_pool(shared_data, tmp_path):
    import pandas as pd

    data = pd.read_csv(shared_data / "SYNERGY_Donners_2021.csv", dtype={"record_id": str})
    ids = data.sample(frac=1, random_state=3)["record_id"]
    (tmp_path / "o.csv").write_text("record_id\n" + "\n".join(ids) + "\n")
    code, out, err = run_cli(["metrics", tmp_path / "o.csv", "--data", shared_data / "SYNERGY_Donners_2021.csv", "--json"])
    assert code == 0, err
    row = json.loads(out)["orders"][0]
    assert row["N"] == len(data) and row["R"] == int(data["label_included"].sum())


def test_wide_terminal_gets_one_row_per_order(files, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    code, out, err = run_cli(["metrics", files["a"], files["b"], "--data", files["data"], "--prior-ids", "1,2"])
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if "records@95" in line)
    assert "order" in header and "loss" in header
    assert any(line.strip("│ ").startswith("a.csv") for line in lines)
    assert any(line.strip("│ ").startswith("mean") for line in lines)
