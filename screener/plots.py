"""Figures fit for a paper: recall curves of screening orders, and the one style and writer every plot uses.

A figure is written as SVG (text kept as text, so titles and labels stay searchable and editable) or as a
300-dpi PNG, chosen by the output's suffix; an output without an image suffix gets both. Titles name the
review or data set (:func:`readable_name` turns a pool's stem into one), never a file. matplotlib is
imported with the Agg backend: no display is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: plots are written to files, never shown

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from screener.errors import DataError  # noqa: E402
from screener.metrics import records_at  # noqa: E402

FORMATS = ("svg", "png")
PNG_DPI = 300
# Colour-blind safe (Okabe & Ito 2008), in the order series are drawn.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_IMAGE_SUFFIXES = {"png", "svg", "pdf", "jpg", "jpeg", "eps"}
# The curve is zoomed when every run finds its last relevant record within this share of the pool.
ZOOM_BELOW = 0.5


def style() -> dict:
    """The one style of every screener figure (matplotlib rcParams): sizes for a printed column, text as text."""
    return {
        "figure.figsize": (6.4, 4.4),
        "figure.dpi": 100,
        "savefig.dpi": PNG_DPI,
        "savefig.bbox": "tight",
        "svg.fonttype": "none",  # SVG text stays text: searchable, editable, tested
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
        "grid.alpha": 0.3,
        "legend.fontsize": 8,
        "legend.frameon": False,
        "lines.linewidth": 1.6,
    }


@contextmanager
def styled() -> Iterator[None]:
    """Draw inside screener's style without changing the caller's matplotlib settings."""
    with plt.rc_context(style()):
        yield


def readable_name(name: str | Path) -> str:
    """A data set's name for a title: ``Hall_2012`` → 'Hall 2012', ``peer_support_demo.csv`` → 'Peer support demo'."""
    stem = Path(str(name)).name
    stem = re.sub(r"\.(csv|tsv|xlsx|ris|txt|nbib|gz)$", "", stem, flags=re.I)
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words)  # camelCase → camel Case
    return words[:1].upper() + words[1:] if words else "Screening"


def output_paths(out: str | Path, formats: Sequence[str] | None = None) -> list[Path]:
    """The files a figure goes to: ``out``'s own image suffix, or ``out.svg`` and ``out.png`` without one."""
    out = Path(out)
    suffix = out.suffix.lower().lstrip(".")
    if formats is None:
        if suffix in _IMAGE_SUFFIXES:
            return [out]
        formats = FORMATS
    base = out.with_suffix("") if suffix in _IMAGE_SUFFIXES else out
    return [base.with_name(f"{base.name}.{fmt.lower().lstrip('.')}") for fmt in formats]


def save_figure(fig, out: str | Path, formats: Sequence[str] | None = None) -> list[Path]:
    """Write ``fig`` to every path of :func:`output_paths` (PNG at 300 dpi), close it, return the paths."""
    paths = output_paths(out, formats)
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format=path.suffix.lstrip(".").lower(), dpi=PNG_DPI)
    finally:
        plt.close(fig)
    return paths


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


def _as_runs(orders) -> dict[str, list[pd.DataFrame]]:
    """Orders as {legend label: the orders (seeds) of one run}; a bare list is one run's seeds."""
    if isinstance(orders, pd.DataFrame):
        return {"screening order": [orders]}
    if isinstance(orders, Mapping):
        runs = {str(k): [v] if isinstance(v, pd.DataFrame) else list(v) for k, v in orders.items()}
    else:
        runs = {"screening order": list(orders)}
    if not runs or any(len(v) == 0 for v in runs.values()):
        raise DataError("no orders to plot")
    return runs


def plot_recall_curves(
    orders: Sequence[pd.DataFrame] | pd.DataFrame | Mapping[str, pd.DataFrame | Sequence[pd.DataFrame]],
    out: str | Path,
    *,
    title: str = "",
    formats: Sequence[str] | None = None,
    mark_recall: float | None = 0.95,
    xscale: str = "auto",
) -> list[Path]:
    """Plot the share of relevant records found against the records screened (priors removed).

    ``orders`` is one order, a list of orders (seeds of one run: each drawn faintly, their mean boldly)
    or a mapping {legend label: order or seeds}, several runs on one plot with a legend. The random
    (diagonal) and ideal curves are drawn; with ``mark_recall`` a dotted line marks each run's mean
    ``records@r``. ``xscale``: 'linear' (the whole pool), 'zoom' (up to just past the last relevant
    record of any run, said in the axis label), 'log', or 'auto' (zoom when every run finds its last
    relevant record within the first half of the pool, so a steep curve is not squeezed against the
    axis). ``title`` should name the review or data set (see :func:`readable_name`). The format comes
    from ``out``'s suffix (``.svg``, ``.png`` at 300 dpi), both without one, or ``formats``.
    Returns the paths written.
    """
    if xscale not in {"auto", "linear", "zoom", "log"}:
        raise ValueError(f"xscale must be 'auto', 'linear', 'zoom' or 'log', not {xscale!r}")
    runs = {label: [recall_curve(o) for o in group] for label, group in _as_runs(orders).items()}
    curves = [c for group in runs.values() for c in group]
    n_values = sorted({len(tp) for _, _, tp in curves})
    r_values = sorted({int(tp[-1]) for _, _, tp in curves})
    counts = len(n_values) == 1  # one pool: the x-axis counts records; otherwise shares of each pool
    scale = n_values[0] if counts else 1.0
    last = max(records_at(tp, 1.0) / len(tp) for _, _, tp in curves)
    if xscale == "auto":
        xscale = "zoom" if last <= ZOOM_BELOW else "linear"

    with styled():
        fig, ax = plt.subplots()
        ax.plot([0, scale], [0, 1], color="0.55", linestyle="--", linewidth=1, label="Random order")
        ideal_drawn = set()
        for _, _, tp in curves:
            n, r = len(tp), int(tp[-1])
            if (n, r) not in ideal_drawn:
                ax.plot(np.array([0, r / n, 1]) * scale, [0, 1, 1], color="0.3", linewidth=0.9,
                        linestyle="-.", label="Ideal order" if not ideal_drawn else None)
                ideal_drawn.add((n, r))

        grid = np.linspace(0, 1, 2001)
        for i, (label, group) in enumerate(runs.items()):
            colour = PALETTE[i % len(PALETTE)]
            if len(group) == 1:
                x, y, _ = group[0]
                ax.plot(x * scale, y, color=colour, drawstyle="steps-post", label=label)
            else:
                stack = []
                for x, y, _ in group:
                    ax.plot(x * scale, y, color=colour, alpha=0.2, linewidth=0.7, drawstyle="steps-post")
                    # Step interpolation: the share found after screening floor(share·N) records.
                    stack.append(y[np.searchsorted(x, grid + 1e-12, side="right") - 1])
                ax.plot(grid * scale, np.mean(stack, axis=0), color=colour, linewidth=2,
                        label=f"{label} (mean of {len(group)} runs)")
            if mark_recall is not None:
                share = float(np.mean([records_at(tp, mark_recall) / len(tp) for _, _, tp in group]))
                at = f"{share * scale:,.0f} records" if counts else f"{share:.1%} of the pool"
                ax.axvline(share * scale, color=colour, linestyle=":", linewidth=1.1,
                           label=f"{mark_recall:.0%} found after {at}")
        if mark_recall is not None:
            ax.axhline(mark_recall, color="0.4", linestyle=":", linewidth=0.6)

        unit = "Records screened" if counts else "Records screened (share of each pool)"
        if xscale == "log":
            ax.set_xscale("log")
            ax.set_xlim(scale / max(n_values), scale)
            ax.set_xlabel(f"{unit}, log scale")
        elif xscale == "zoom":
            right = min(1.0, last * 1.15 + 0.005)
            ax.set_xlim(0, right * scale)
            shown = f"first {right * scale:,.0f} of {scale:,.0f}" if counts else f"first {right:.0%} of each pool"
            ax.set_xlabel(f"{unit} ({shown} shown)")
        else:
            ax.set_xlim(0, scale)
            ax.set_xlabel(unit)
        if not counts:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("Relevant records found (share)")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        sizes = f"{'/'.join(f'{n:,}' for n in n_values)} records, {'/'.join(map(str, r_values))} relevant"
        ax.set_title(f"{title}\n{sizes}" if title else sizes)
        ax.legend(loc="lower right")
        return save_figure(fig, out, formats)
