"""``screener metrics``: score order files (screener's or another tool's) by EVALUATION.md."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from screener.cli._app import app, console
from screener.cli.options import output_file
from screener.labels import LABEL_COLUMN
from screener.orders import score_orders


def _mean_row(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if k != "order"]
    return {"order": "mean", **{k: sum(r[k] for r in rows) / len(rows) for k in keys}}


def _fmt(key: str, value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if key in {"N", "R", "screened"} or key.startswith("records@"):
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{value:.3f}"


def _width(rows: list[dict], names: list[str], shown: list[str]) -> int:
    widths = [max(map(len, names))] + [max(len(k), *(len(_fmt(k, r[k])) for r in rows)) for k in shown]
    return sum(widths) + 3 * len(widths) + 1


def _table(rows: list[dict], names: list[str], shown: list[str], *, transpose: bool) -> Table:
    """One row per order (mean last); transposed (one row per metric) when too wide for the terminal."""
    table = Table(title="screening metrics (priors removed)")
    several = names[-1] == "mean"
    if transpose:
        table.add_column("metric")
        for name in names:
            table.add_column(name, justify="right", overflow="fold")
        for key in shown:
            table.add_row(key, *(_fmt(key, r[key]) for r in rows))
        return table
    table.add_column("order", overflow="fold")
    for key in shown:
        table.add_column(key, justify="right")
    for i, (name, row) in enumerate(zip(names, rows)):
        table.add_row(name, *(_fmt(k, row[k]) for k in shown), end_section=several and i == len(rows) - 2)
    return table


@app.command("metrics")
def metrics_command(
    orders: Annotated[list[Path], typer.Argument(help="Order files (rank,record_id[,label,is_prior,score]).")],
    data: Annotated[Path | None, typer.Option("--data", help="Labelled records; labels are taken from it.")] = None,
    label_column: Annotated[str, typer.Option("--label-column", help="Label column of --data.")] = LABEL_COLUMN,
    prior_ids: Annotated[str | None, typer.Option("--prior-ids", help="Comma-separated prior record ids.")] = None,
    metric: Annotated[str | None, typer.Option("--metrics", help="Comma-separated metric names, e.g. records@95,loss.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write recall curves to PATH.svg and PATH.png (300 dpi), or only the format PATH ends in.",
                                                        callback=output_file)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Score screening orders: records@r, wss@r, recall@p, atd, loss (priors removed)."""
    ids = [p.strip() for p in prior_ids.split(",") if p.strip()] if prior_ids else None
    rows, tables = score_orders(orders, data=data, label_column=label_column, prior_ids=ids, metrics=metric)
    written = []
    if plot is not None:
        from screener.plots import plot_recall_curves, readable_name

        # Titled from the data set (the labelled pool), never from the order files' names.
        written = plot_recall_curves(tables, plot, title=readable_name(data) if data is not None else "")
    if as_json:
        console.print_json(json.dumps({"orders": rows, "mean": _mean_row(rows)}))
        return
    shown = [k for k in rows[0] if k != "order" and not k.startswith("records_share@")]
    if all(r["screened"] == r["N"] for r in rows):
        shown.remove("screened")
    names = [Path(r["order"]).name for r in rows]
    if len(set(names)) < len(names):
        names = [r["order"] for r in rows]
    if len(rows) > 1:
        rows, names = rows + [_mean_row(rows)], names + ["mean"]
    console.print(_table(rows, names, shown, transpose=_width(rows, names, shown) > console.width))
    for path in written:
        console.print(f"wrote {path}", highlight=False)
