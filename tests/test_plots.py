"""Recall-curve plots: files written in both formats, readable without a display."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screener.errors import DataError
from screener.plots import plot_recall_curves, recall_curve


def make_order(seed: int, n: int = 120, r: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.r_[np.ones(r, int), np.zeros(n - r, int)])
    return pd.DataFrame({
        "rank": np.arange(1, n + 3),
        "record_id": [str(i) for i in range(n + 2)],
        "label": np.r_[1, 0, labels],
        "is_prior": np.r_[1, 1, np.zeros(n, int)],
        "score": np.r_[np.nan, np.nan, np.linspace(1, 0, n)],
    })


def test_recall_curve_removes_priors():
    x, y, tp = recall_curve(make_order(0))
    assert len(tp) == 120 and tp[-1] == 10
    assert x[0] == 0 and y[0] == 0 and x[-1] == 1 and y[-1] == 1


@pytest.mark.parametrize("orders", [make_order(0), [make_order(s) for s in range(5)]])
def test_writes_png_and_svg(tmp_path, orders):
    paths = plot_recall_curves(orders, tmp_path / "plots" / "curves.png", title="test pool")
    assert [p.name for p in paths] == ["curves.png", "curves.svg"]
    png, svg = (p.read_bytes() for p in paths)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert b"<svg" in svg[:2000]


def test_out_without_suffix_and_one_format(tmp_path):
    paths = plot_recall_curves(make_order(1), tmp_path / "run.v2", formats=("png",), mark_recall=None)
    assert paths == [tmp_path / "run.v2.png"] and paths[0].stat().st_size > 0


def test_order_without_relevant_records(tmp_path):
    order = make_order(0).assign(label=0)
    with pytest.raises(DataError):
        plot_recall_curves(order, tmp_path / "x")
