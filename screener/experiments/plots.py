"""Plots of a stopping sweep: effort against recall at stop per rule, and reliability per target.

Drawn in screener's one figure style and written by its one writer (:mod:`screener.plots`): SVG and a
300-dpi PNG for a path without an image suffix, else the suffix's format. Titles name the reviews the
runs come from (:func:`screener.plots.readable_name` of each pool), never a file; axes say in words
what they count; every series drawn is in the legend.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def reviews_title(rows: pd.DataFrame, what: str) -> str:
    """'<what>: Cohen 2006 ADHD, 20 runs' or '<what>: 14 reviews, 20 seeds each' plus the reviews' names."""
    from screener.plots import readable_name

    pools = [p for p in pd.unique(rows["pool"]) if p != "all"] if "pool" in rows else []
    seeds = rows.groupby("pool")["seed"].nunique() if {"pool", "seed"} <= set(rows.columns) else pd.Series(dtype=int)
    runs = f", {int(seeds.iloc[0])} seeds each" if len(seeds) and seeds.nunique() == 1 else ""
    if not pools:
        return what
    if len(pools) == 1:
        return f"{what}: {readable_name(pools[0])}{runs.replace(' each', '')}"
    # wrapped between names, never inside one ("Cohen 2006 Triptans" stays on one line)
    names = textwrap.fill(", ".join(readable_name(p).replace(" ", "\u00a0") for p in pools), 110)
    return f"{what}: {len(pools)} reviews{runs}\n{names.replace(chr(0xa0), ' ')}"


def plot_effort_recall(rows: pd.DataFrame, path: str | Path, target: float | None = None, *,
                       title: str | None = None, formats: Sequence[str] | None = None) -> list[Path]:
    """One panel per rule: every run's (effort, recall at stop), at the highest target by default;
    runs that reached the target and runs that stopped short in two colours. ``title`` defaults to
    the reviews the runs come from. Returns the paths written."""
    from screener.plots import PALETTE, plt, save_figure, styled

    target = target if target is not None else float(rows["target"].max())
    sub = rows[np.isclose(rows["target"], target)]
    reached = (sub["reached"].astype(bool) if "reached" in sub else sub["recall"] >= target - 1e-12).to_numpy()
    rules = sorted(sub["rule"].unique())
    cols = min(4, max(1, len(rules)))
    nrows = -(-len(rules) // cols)
    heading = title or reviews_title(rows, "Stopping rules: effort and recall at stop")
    with styled():
        fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.8 * nrows + 1.0), squeeze=False,
                                 sharex=True, sharey=True)
        for ax, rule in zip(axes.flat, rules):
            here = (sub["rule"] == rule).to_numpy()
            for hit, colour, label in ((True, PALETTE[0], f"Run that reached recall {target:g}"),
                                       (False, PALETTE[1], "Run that stopped short of it")):
                g = sub[here & (reached == hit)]
                ax.scatter(g["effort"], g["recall"], s=8, alpha=0.5, color=colour, label=label)
            ax.axhline(target, color="0.4", lw=0.8, ls="--", label=f"Target recall {target:g}")
            ax.set_title(rule, fontsize=8)
            ax.set_xlim(0, 1.02)
            ax.set_ylim(0, 1.02)
        for ax in axes.flat[len(rules):]:
            ax.axis("off")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.suptitle(f"{heading}\n(each point one run: a review's screening order with one seed)")
        fig.supxlabel("Records screened before stopping (share of the review's records)", y=0.04)
        fig.supylabel("Relevant records found at stop (share)")
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0))
        return save_figure(fig, path, formats)


def plot_reliability(summary: pd.DataFrame, path: str | Path, *, title: str | None = None,
                     rows: pd.DataFrame | None = None, formats: Sequence[str] | None = None) -> list[Path]:
    """Reliability with its Wilson interval, per rule, one marker per target (all pools). ``title``
    defaults to the reviews of the summary's pools (``rows``, the per-run table, adds the seeds)."""
    from screener.plots import plt, save_figure, styled

    s = summary[summary["pool"] == "all"]
    rules = sorted(s["rule"].unique())
    targets = sorted(s["target"].unique())
    heading = title or reviews_title(rows if rows is not None else summary,
                                     "Stopping rules: share of runs reaching the target recall")
    with styled():
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(rules) + 2), 4.2))
        width = 0.8 / max(1, len(targets))
        for j, t in enumerate(targets):
            g = s[np.isclose(s["target"], t)].set_index("rule").reindex(rules)
            x = np.arange(len(rules)) + (j - (len(targets) - 1) / 2) * width
            err = np.clip(np.vstack([g["reliability"] - g["reliability_lo"], g["reliability_hi"] - g["reliability"]]),
                          0, None)
            ax.errorbar(x, g["reliability"], yerr=err, fmt="o", ms=3, capsize=2, label=f"Target recall {t:g}")
        ax.axhline(0.95, color="0.4", lw=0.8, ls="--", label="95% of runs")
        ax.set_xticks(np.arange(len(rules)))
        ax.set_xticklabels(rules, rotation=45, ha="right", fontsize=7)
        ax.set_xlabel("Stopping rule")
        ax.set_ylabel("Runs reaching the target recall\n(share, Wilson 95% interval)")
        ax.set_ylim(0, 1.02)
        ax.set_title(heading, fontsize=9)
        ax.legend(loc="lower left")
        fig.tight_layout()
        return save_figure(fig, path, formats)
