"""Figures: written as SVG and 300-dpi PNG by suffix, titled and labelled in words, the whole run visible."""

from __future__ import annotations

import re
import struct

import numpy as np
import pandas as pd
import pytest

from screener.errors import DataError
from screener.experiments.plots import plot_effort_recall, plot_reliability
from screener.plots import output_paths, plot_recall_curves, readable_name, recall_curve, style


def make_order(seed: int, n: int = 120, r: int = 10, front: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.r_[np.ones(r, int), np.zeros(n - r, int)])
    if front:  # a good ranking: every relevant record within the first 8% of the pool
        labels = np.zeros(n, int)
        labels[rng.choice(max(r, int(n * 0.08)), r, replace=False)] = 1
    return pd.DataFrame({
        "rank": np.arange(1, n + 3),
        "record_id": [str(i) for i in range(n + 2)],
        "label": np.r_[1, 0, labels],
        "is_prior": np.r_[1, 1, np.zeros(n, int)],
        "score": np.r_[np.nan, np.nan, np.linspace(1, 0, n)],
    })


def svg_text(path) -> str:
    """The text drawn in an SVG (style() keeps text as text elements)."""
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in re.findall(r"<text[^>]*>(.*?)</text>", path.read_text(), re.S))


def png_dpi(path) -> float:
    """Dots per inch from the PNG's pHYs chunk."""
    data = path.read_bytes()
    i = data.index(b"pHYs")
    ppm_x, _, unit = struct.unpack(">IIB", data[i + 4:i + 13])
    assert unit == 1  # metres
    return ppm_x * 0.0254


def test_recall_curve_removes_priors():
    x, y, tp = recall_curve(make_order(0))
    assert len(tp) == 120 and tp[-1] == 10
    assert x[0] == 0 and y[0] == 0 and x[-1] == 1 and y[-1] == 1


@pytest.mark.parametrize("orders", [make_order(0), [make_order(s) for s in range(5)]])
def test_both_formats_without_suffix_with_title_and_axes_in_words(tmp_path, orders):
    paths = plot_recall_curves(orders, tmp_path / "plots" / "curves", title="Peer support in addiction")
    assert [p.name for p in paths] == ["curves.svg", "curves.png"]
    svg, png = paths
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and round(png_dpi(png)) == 300
    text = svg_text(svg)
    for words in ("Peer support in addiction", "Records screened", "Relevant records found (share)",
                  "120 records, 10 relevant", "Random order", "Ideal order"):
        assert words in text
    assert "curves" not in text  # never a file name


def test_suffix_chooses_the_format(tmp_path):
    assert plot_recall_curves(make_order(1), tmp_path / "a.svg") == [tmp_path / "a.svg"]
    assert plot_recall_curves(make_order(1), tmp_path / "b.png", mark_recall=None) == [tmp_path / "b.png"]
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.svg").exists()
    assert output_paths(tmp_path / "run.v2") == [tmp_path / "run.v2.svg", tmp_path / "run.v2.png"]
    assert output_paths(tmp_path / "x.png", formats=("pdf",)) == [tmp_path / "x.pdf"]


def test_several_runs_share_one_plot_with_a_legend(tmp_path):
    runs = {"Criteria only": make_order(0, front=True), "Random start": [make_order(s) for s in range(3)]}
    (svg,) = plot_recall_curves(runs, tmp_path / "runs.svg", title="Demo")
    text = svg_text(svg)
    assert "Criteria only" in text and "Random start (mean of 3 runs)" in text
    assert text.count("95% found after") == 2


def test_steep_curve_is_zoomed_and_the_whole_pool_can_be_asked_for(tmp_path):
    steep = make_order(2, n=1000, r=20, front=True)
    last = int(recall_curve(steep)[2].searchsorted(20)) + 1
    (svg,) = plot_recall_curves(steep, tmp_path / "zoom.svg", title="Demo")
    shown = re.search(r"first ([\d,]+) of 1,000 shown", svg_text(svg))
    assert shown and last <= int(shown.group(1).replace(",", "")) < 150
    (full,) = plot_recall_curves(steep, tmp_path / "full.svg", title="Demo", xscale="linear")
    assert "shown" not in svg_text(full)
    (log,) = plot_recall_curves(steep, tmp_path / "log.svg", title="Demo", xscale="log")
    assert "log scale" in svg_text(log)
    (flat,) = plot_recall_curves(make_order(0), tmp_path / "flat.svg", title="Demo")  # random: whole pool
    assert "shown" not in svg_text(flat)
    with pytest.raises(ValueError, match="xscale"):
        plot_recall_curves(steep, tmp_path / "x.svg", xscale="sideways")


def test_pools_of_different_sizes_plot_shares(tmp_path):
    (svg,) = plot_recall_curves({"A": make_order(0, n=120), "B": make_order(1, n=300)}, tmp_path / "p.svg")
    assert "share of each pool" in svg_text(svg) and "120/300 records" in svg_text(svg)


def test_readable_names():
    assert readable_name("Hall_2012") == "Hall 2012"
    assert readable_name("data/demo/peer_support_demo.csv") == "Peer support demo"
    assert readable_name("ProtonBeam") == "Proton Beam"


def test_order_without_relevant_records(tmp_path):
    order = make_order(0).assign(label=0)
    with pytest.raises(DataError):
        plot_recall_curves(order, tmp_path / "x")
    with pytest.raises(DataError, match="no orders"):
        plot_recall_curves({}, tmp_path / "x")


def test_stopping_plots_share_the_style(tmp_path):
    rows = pd.DataFrame({"pool": ["Hall_2012", "SYNERGY_Donners_2021"] * 4, "seed": [0, 0, 1, 1] * 2,
                         "rule": ["knee"] * 4 + ["target"] * 4, "target": [0.95] * 8,
                         "effort": [0.3, 0.4, 0.5, 0.6] * 2, "recall": [0.9, 1.0, 0.96, 0.97] * 2})
    svg, png = plot_effort_recall(rows, tmp_path / "effort")  # no suffix: SVG and PNG
    assert (svg.suffix, png.suffix) == (".svg", ".png") and round(png_dpi(png)) == 300
    text = svg_text(svg)
    assert "2 reviews, 2 seeds each" in text and "Hall 2012" in text and "SYNERGY Donners 2021" in text
    assert "Records screened before stopping" in text and "knee" in text
    assert "Run that reached recall 0.95" in text and "Run that stopped short" in text  # the legend
    assert "Hall_2012" not in text  # a name, not a file stem
    summary = pd.DataFrame({"pool": "all", "rule": ["knee", "target"], "target": 0.95, "reliability": [0.8, 0.95],
                            "reliability_lo": [0.7, 0.9], "reliability_hi": [0.9, 0.99]})
    [png] = plot_reliability(summary, tmp_path / "reliability.png")
    assert round(png_dpi(png)) == 300
    [svg] = plot_reliability(summary, tmp_path / "reliability.svg", rows=rows)
    text = svg_text(svg)
    assert "2 reviews, 2 seeds each" in text and "Target recall 0.95" in text and "Stopping rule" in text
    assert style()["savefig.dpi"] == 300 and style()["svg.fonttype"] == "none"
