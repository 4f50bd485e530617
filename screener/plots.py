"""Recall curves of screening orders (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: plots are written to files, never shown

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from matplotlib.ticker import PercentFormatter  # noqa: E402

from screener.errors import DataError  # noqa: E402
from screener.metrics import records_at  # noqa: E402

_IMAGE_SUFFIXES = {"png", "svg", "pdf", "jpg", "jpeg", "eps"}


def recall_curve(order: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share of N screened, recall, TP curve) of an order, priors removed; both axes start at 0."""
    rows = order.sort_values("rank", kind="stable") if "rank" in order.columns else order
    if "is_prior" in rows.columns:
        rows = rows[rows["is_prior"].fillna(0).astype(int) == 0]
    labels = rows["label"].to_numpy(dtype=np.int64)
    if labels.size == 0 or labels.sum() == 0:
        raise DataError("cannot plot an order without relevant records besides the priors")
    tp = np.cumsum(labels)
    x = np.arange(len(tp) + 1) / len(tp)
    y = np.r_[0, tp] / tp[-1]
    return x, y, tp


def plot_recall_curves(
    orders: Sequence[pd.DataFrame] | pd.DataFrame,
    out: str | Path,
    *,
    title: str = "",
    formats: Sequence[str] = ("png", "svg"),
    mark_recall: float | None = 0.95,
) -> list[Path]:
    """Plot recall against the share of N screened (priors removed) and write one file per format.

    One order draws its curve; several (e.g. seeds of one pool) draw each faintly
    plus their mean on a common grid. The random (diagonal) and ideal curves are
    always drawn; with ``mark_recall`` a dotted vertical line marks the mean
    ``records@r`` of the runs. An image suffix on ``out`` (``.png``, ``.svg``, ...) is replaced by each
    format's (``out.png``, ``out.svg``). Returns the paths written.
    """
    if isinstance(orders, pd.DataFrame):
        orders = [orders]
    if len(orders) == 0:
        raise DataError("no orders to plot")
    curves = [recall_curve(o) for o in orders]

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    ax.plot([0, 1], [0, 1], color="0.55", linestyle="--", linewidth=1, label="random")
    ideal_drawn = set()
    for _, _, tp in curves:
        n, r = len(tp), int(tp[-1])
        if (n, r) not in ideal_drawn:
            ax.plot([0, r / n, 1], [0, 1, 1], color="tab:green", linewidth=1,
                    label="ideal" if not ideal_drawn else None)
            ideal_drawn.add((n, r))

    if len(curves) == 1:
        x, y, _ = curves[0]
        ax.plot(x, y, color="tab:blue", linewidth=1.8, drawstyle="steps-post", label="screening order")
    else:
        grid = np.linspace(0, 1, 501)
        stack = []
        for i, (x, y, _) in enumerate(curves):
            ax.plot(x, y, color="tab:blue", alpha=0.25, linewidth=0.8, drawstyle="steps-post",
                    label=f"{len(curves)} runs" if i == 0 else None)
            # Step interpolation: recall after screening floor(share·N) records.
            stack.append(y[np.searchsorted(x, grid + 1e-12, side="right") - 1])
        ax.plot(grid, np.mean(stack, axis=0), color="tab:blue", linewidth=2, label="mean")

    if mark_recall is not None:
        share = float(np.mean([records_at(tp, mark_recall) / len(tp) for _, _, tp in curves]))
        ax.axvline(share, color="tab:red", linestyle=":", linewidth=1.2,
                   label=f"records@{mark_recall * 100:g} = {share:.1%} of N")
        ax.axhline(mark_recall, color="tab:red", linestyle=":", linewidth=0.6, alpha=0.5)

    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("share of records screened (priors removed)")
    ax.set_ylabel("recall")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(True, alpha=0.3)
    n_values = sorted({len(tp) for _, _, tp in curves})
    r_values = sorted({int(tp[-1]) for _, _, tp in curves})
    subtitle = f"N = {'/'.join(map(str, n_values))}, R = {'/'.join(map(str, r_values))}"
    ax.set_title(f"{title}\n{subtitle}" if title else subtitle, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()

    out = Path(out)
    base = out.with_suffix("") if out.suffix.lower().lstrip(".") in _IMAGE_SUFFIXES else out
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        for fmt in formats:
            path = base.with_name(f"{base.name}.{fmt.lstrip('.')}")
            fig.savefig(path, format=fmt.lstrip("."))
            paths.append(path)
    finally:
        plt.close(fig)
    return paths
