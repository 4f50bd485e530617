"""Plots of a stopping sweep: effort against recall at stop per rule, and reliability per target.

Drawn in screener's one figure style and written by its one writer (:mod:`screener.plots`): SVG or a
300-dpi PNG by the path's suffix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def plot_effort_recall(rows: pd.DataFrame, path: str | Path, target: float | None = None, *,
                       title: str = "Stopping rules: effort and recall at stop") -> Path:
    """One panel per rule: every run's (effort, recall at stop), at the highest target by default."""
    from screener.plots import plt, save_figure, styled

    target = target if target is not None else float(rows["target"].max())
    sub = rows[np.isclose(rows["target"], target)]
    rules = sorted(sub["rule"].unique())
    cols = min(4, max(1, len(rules)))
    nrows = -(-len(rules) // cols)
    with styled():
        fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.8 * nrows + 0.6), squeeze=False,
                                 sharex=True, sharey=True)
        for ax, rule in zip(axes.flat, rules):
            g = sub[sub["rule"] == rule]
            ax.scatter(g["effort"], g["recall"], s=8, alpha=0.5)
            ax.axhline(target, color="0.4", lw=0.8, ls="--")
            ax.set_title(rule, fontsize=8)
            ax.set_xlim(0, 1.02)
            ax.set_ylim(0, 1.02)
        for ax in axes.flat[len(rules):]:
            ax.axis("off")
        fig.suptitle(f"{title} (target recall {target:g})")
        fig.supxlabel("Records screened before stopping (share of pool)")
        fig.supylabel("Relevant records found at stop (share)")
        fig.tight_layout()
        return save_figure(fig, path)[0]


def plot_reliability(summary: pd.DataFrame, path: str | Path, *,
                     title: str = "Stopping rules: reliability per target recall") -> Path:
    """Reliability with its Wilson interval, per rule, one marker per target (all pools)."""
    from screener.plots import plt, save_figure, styled

    s = summary[summary["pool"] == "all"]
    rules = sorted(s["rule"].unique())
    targets = sorted(s["target"].unique())
    with styled():
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(rules) + 2), 3.8))
        width = 0.8 / max(1, len(targets))
        for j, t in enumerate(targets):
            g = s[np.isclose(s["target"], t)].set_index("rule").reindex(rules)
            x = np.arange(len(rules)) + (j - (len(targets) - 1) / 2) * width
            err = np.clip(np.vstack([g["reliability"] - g["reliability_lo"], g["reliability_hi"] - g["reliability"]]),
                          0, None)
            ax.errorbar(x, g["reliability"], yerr=err, fmt="o", ms=3, capsize=2, label=f"target recall {t:g}")
        ax.axhline(0.95, color="0.4", lw=0.8, ls="--")
        ax.set_xticks(np.arange(len(rules)))
        ax.set_xticklabels(rules, rotation=45, ha="right", fontsize=7)
        ax.set_xlabel("Stopping rule")
        ax.set_ylabel("Runs reaching the target (share, Wilson 95%)")
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
        ax.legend()
        fig.tight_layout()
        return save_figure(fig, path)[0]
